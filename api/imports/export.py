"""The modelcatalog/v1 document: the public catalog as importModels takes it back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from api import clock
from api.catalog import lookup
from api.catalog.fields import CONTENT_FIELDS, MODEL_COLUMNS, PRICE_FIELDS, json_value, values_of
from api.catalog.price_series import price_values, series_of, with_prices
from api.catalog.prices import Price
from api.imports.document import CATALOG_FORMAT
from tables.catalog import Provider

__all__ = ["export_catalog"]


async def export_catalog(model_filter: lookup.ModelFilter | None = None) -> dict[str, Any]:
    """Providers (never their keys) and public models, by key and universalModelId; decimals as strings."""
    rows = await with_prices(await lookup.all_models(model_filter or lookup.ModelFilter()))
    now = clock.now()
    series = await series_of(row["id"] for row in rows)
    later = {
        model_id: [price for price in prices if price.effective_from is not None and price.effective_from > now]
        for model_id, prices in series.items()
    }
    providers = await Provider.select(
        Provider.id, Provider.key, Provider.kind, Provider.display_name, Provider.base_url
    )
    used = {row["provider"] for row in rows}
    exported = [p for p in providers if p["id"] in used or model_filter is None]
    key_of = {p["id"]: p["key"] for p in providers}
    return {
        "format": CATALOG_FORMAT,
        "exportedAt": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "providers": [
            {"key": p["key"], "kind": p["kind"], "displayName": p["display_name"], "baseUrl": p["base_url"]}
            for p in sorted(exported, key=lambda p: p["key"])
        ],
        "models": [_model(row, key_of[row["provider"]], later.get(row["id"], [])) for row in rows],
    }


def _model(row: dict[str, Any], provider: str, scheduled: list[Price]) -> dict[str, Any]:
    values = {name: json_value(value) for name, value in values_of(row).items()}
    model: dict[str, Any] = {
        "universalModelId": values["universalModelId"],
        "provider": provider,
        "modelId": values["modelId"],
    }
    model.update({name: values[name] for name in CONTENT_FIELDS if name not in PRICE_FIELDS})
    model["pricing"] = {name.removeprefix("pricing."): values[name] for name in PRICE_FIELDS}
    model["scheduledPrices"] = [_scheduled(price) for price in scheduled]
    model.update(
        status=values["status"],
        enabled=values["enabled"],
        isDefault=values["isDefault"],
        lockedFields=values["lockedFields"],
    )
    return model


def _scheduled(price: Price) -> dict[str, Any]:
    assert price.effective_from is not None
    values = values_of(price_values(price) | dict.fromkeys(MODEL_COLUMNS.values()))
    moment = price.effective_from.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return {"effectiveFrom": moment} | {
        name.removeprefix("pricing."): json_value(values[name]) for name in PRICE_FIELDS
    }
