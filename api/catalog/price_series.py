"""The dated price series in model_prices: reading the price in force at a moment, and writing new rows.

The price in force at a moment is the row with the latest effective_from at or
before it (a null effective_from is the price the model was added with, in force
before every dated row). "Now" is always read at the moment of the question, so
a scheduled price takes effect at its moment with no job running. Only the one
writer (writer.py) calls the write functions here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from piccolo.columns.combination import WhereRaw

from api import clock
from api.catalog.fields import RATE_FIELDS
from api.catalog.prices import Price, Rates, next_boundary
from api.database import is_postgres
from tables.prices import ModelPrice

__all__ = [
    "BATCH",
    "PRICE_KEYS",
    "NewPrice",
    "delete_scheduled",
    "insert_prices",
    "latest_prices",
    "price_from_row",
    "price_values",
    "prices_at",
    "prices_in_force",
    "series_of",
    "with_prices",
]

BATCH = 500  # models per statement
# The keys with_prices adds to a model row: the price in force, as values_of reads it.
PRICE_KEYS = (*RATE_FIELDS.values(), "price_tiers", "price_windows", "price_id", "price_effective_from")
_RATE_COLUMNS = ("input_price", "output_price", "cached_input_price", "cache_write_price")


def _decimal(value: Any) -> Decimal | None:
    # SQLite hands NUMERIC back as a float in raw rows; its shortest text is the stored decimal (<= 15 digits).
    if value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float) else str(value))


def price_from_row(row: Mapping[str, Any]) -> Price:
    """A model_prices row as a Price."""
    rates = Rates(*(_decimal(row[column]) for column in _RATE_COLUMNS))
    return Price(
        rates=rates,
        tiers=tuple(row["tiers"] or ()),
        windows=tuple(row["windows"] or ()),
        effective_from=row["effective_from"],
        id=row["id"],
        created_at=row["created_at"],
    )


def price_values(price_row: Price | None) -> dict[str, Any]:
    """A price as the row keys with_prices gives (all empty for no price)."""
    if price_row is None:
        rates: list[Decimal | None] = [None] * 4
        return {**dict(zip(_RATE_COLUMNS, rates, strict=True)), "price_tiers": [], "price_windows": []} | {
            "price_id": None,
            "price_effective_from": None,
        }
    r = price_row.rates
    return {
        "input_price": r.input,
        "output_price": r.output,
        "cached_input_price": r.cached_input,
        "cache_write_price": r.cache_write,
        "price_tiers": list(price_row.tiers),
        "price_windows": list(price_row.windows),
        "price_id": price_row.id,
        "price_effective_from": price_row.effective_from,
    }


def _in_force_where(model_ids: Sequence[int], at: datetime) -> WhereRaw:
    placeholders = ", ".join("{}" for _ in model_ids)
    return WhereRaw(
        "model_prices.id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY model"
        " ORDER BY effective_from DESC NULLS LAST) AS position FROM model_prices"
        f" WHERE model IN ({placeholders}) AND (effective_from IS NULL OR effective_from <= {{}})) AS ranked"
        " WHERE position = 1)",
        *model_ids,
        at,
    )


async def prices_in_force(model_ids: Iterable[int], at: datetime | None = None) -> dict[int, Price]:
    """The price in force at `at` (default now) of each model that has one, a statement per BATCH models."""
    moment = at or clock.now()
    ids = sorted(set(model_ids))
    found: dict[int, Price] = {}
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        rows = await ModelPrice.select().where(_in_force_where(batch, moment)).output(load_json=True)
        found.update({row["model"]: price_from_row(row) for row in rows})
    return found


async def prices_at(keys: list[tuple[int, datetime]]) -> list[Price | None]:
    """For each (model id, moment): the price in force then; one statement per distinct moment (a DataLoader's)."""
    wanted: dict[datetime, set[int]] = defaultdict(set)
    for model_id, moment in keys:
        wanted[moment].add(model_id)
    found: dict[tuple[int, datetime], Price] = {}
    for moment, ids in wanted.items():
        for model_id, price_row in (await prices_in_force(ids, moment)).items():
            found[(model_id, moment)] = price_row
    return [found.get(key) for key in keys]


async def latest_prices(keys: list[tuple[int, int]]) -> list[list[Price]]:
    """For each (model id, n): its n rows with the latest effective_from (scheduled ones included), newest first."""
    wanted = sorted({model_id for model_id, _ in keys})
    limit = max((n for _, n in keys), default=0)
    found: dict[int, list[Price]] = defaultdict(list)
    if wanted and limit > 0:
        placeholders = ", ".join("{}" for _ in wanted)
        where = WhereRaw(
            "model_prices.id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY model"
            " ORDER BY effective_from DESC NULLS LAST) AS position FROM model_prices"
            f" WHERE model IN ({placeholders})) AS ranked WHERE position <= {{}})",
            *wanted,
            limit,
        )
        rows = await ModelPrice.select().where(where).output(load_json=True)
        for row in rows:
            found[row["model"]].append(price_from_row(row))
    for prices in found.values():
        prices.sort(key=_newest_first)
    return [found[model_id][:n] for model_id, n in keys]


def _newest_first(price_row: Price) -> tuple[int, float]:
    moment = price_row.effective_from
    return (0, -moment.timestamp()) if moment is not None else (1, 0.0)


async def series_of(model_ids: Iterable[int]) -> dict[int, list[Price]]:
    """Every price row of these models, oldest first (the initial price, then by effective_from)."""
    ids = sorted(set(model_ids))
    found: dict[int, list[Price]] = defaultdict(list)
    for start in range(0, len(ids), BATCH):
        rows = (
            await ModelPrice.select().where(ModelPrice.model.is_in(ids[start : start + BATCH])).output(load_json=True)
        )
        for row in rows:
            found[row["model"]].append(price_from_row(row))
    for prices in found.values():
        prices.sort(
            key=lambda p: (p.effective_from is not None, p.effective_from.timestamp() if p.effective_from else 0)
        )
    return found


def in_force(series: Sequence[Price], at: datetime) -> Price | None:
    """The row of a series (oldest first) in force at a moment."""
    current = None
    for price_row in series:
        if price_row.effective_from is None or price_row.effective_from <= at:
            current = price_row
    return current


async def with_prices(rows: Sequence[dict[str, Any]], at: datetime | None = None) -> list[dict[str, Any]]:
    """The model rows with the price in force at `at` (default now) under PRICE_KEYS, in place and returned."""
    found = await prices_in_force([row["id"] for row in rows], at)
    for row in rows:
        row.update(price_values(found.get(row["id"])))
    return list(rows)


@dataclass(frozen=True)
class NewPrice:
    """A price row to write: the whole price (rates, tiers, windows) from a moment on."""

    model_id: int
    effective_from: datetime | None
    rates: Rates
    tiers: Sequence[dict[str, Any]]
    windows: Sequence[dict[str, Any]]
    version: int


async def delete_scheduled(pairs: Sequence[tuple[int, datetime]]) -> None:
    """Remove the rows at these (model, moment) pairs, so a new price at the same moment replaces them."""
    for start in range(0, len(pairs), BATCH):
        for model_id, moment in pairs[start : start + BATCH]:
            await ModelPrice.delete().where(ModelPrice.model == model_id, ModelPrice.effective_from == moment)


async def insert_prices(prices: Sequence[NewPrice]) -> None:
    """Insert the rows, a batch per statement, inside the caller's transaction."""
    for start in range(0, len(prices), BATCH):
        await ModelPrice.insert(
            *(
                ModelPrice(
                    model=p.model_id,
                    effective_from=p.effective_from,
                    input_price=p.rates.input,
                    output_price=p.rates.output,
                    cached_input_price=p.rates.cached_input,
                    cache_write_price=p.rates.cache_write,
                    tiers=list(p.tiers),
                    windows=list(p.windows),
                    version=p.version,
                )
                for p in prices[start : start + BATCH]
            )
        )


async def next_catalog_boundary(now: datetime) -> datetime | None:
    """The first moment after `now` at which any model's price in force changes: a scheduled price, a window edge."""
    scheduled = (
        await ModelPrice.select(ModelPrice.effective_from)
        .where(ModelPrice.effective_from > now)
        .order_by(ModelPrice.effective_from)
        .first()
    )
    moments = [scheduled["effective_from"]] if scheduled else []
    # Discount windows open and close every day without a write; few models have them.
    has_windows = "model_prices.windows::text <> '[]'" if is_postgres() else "model_prices.windows <> '[]'"
    windowed = await ModelPrice.select(ModelPrice.model).where(WhereRaw(has_windows))
    if windowed:
        for series in (await series_of(row["model"] for row in windowed)).values():
            moment = next_boundary(series, now)
            if moment is not None:
                moments.append(moment)
    return min(moments) if moments else None
