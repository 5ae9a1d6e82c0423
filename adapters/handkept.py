"""The hand-kept facts the providers' APIs do not give (adapters/pricing/<kind>.json), read once per kind."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from importlib import resources
from typing import Any

from adapters.base import Price, PriceTier
from adapters.stated import StatedModel
from domain.capabilities import CAPABILITIES
from domain.choices import ProviderKind

__all__ = ["HandKept", "hand_kept", "read_hand_kept"]

_FIELDS = {"displayName", "description", "contextWindow", "maxOutputTokens", "capabilities", "pricing"}
_PRICES = {
    "inputPerMillion": "input_per_million",
    "outputPerMillion": "output_per_million",
    "cachedInputPerMillion": "cached_input_per_million",
    "cacheWritePerMillion": "cache_write_per_million",
}
# A dated snapshot (claude-haiku-4-5-20251001, gpt-4o-2024-08-06) is the model its undated alias names.
_DATE_STAMP = re.compile(r"-(\d{8}|\d{4}-\d{2}-\d{2})$")


def _decimals(prices: Mapping[str, Any], where: str) -> dict[str, Decimal]:
    values = {}
    for name, text in prices.items():
        if name not in _PRICES or not isinstance(text, str):
            raise ValueError(f"{where}: {name} is not a price field written as a decimal string")
        values[_PRICES[name]] = Decimal(text)
    return values


def _without(document: Mapping[str, Any], key: str) -> dict[str, Any]:
    return {name: value for name, value in document.items() if name != key}


def _price(document: Mapping[str, Any], where: str) -> Price:
    tiers = tuple(
        PriceTier(tier["minPromptTokens"], **_decimals(_without(tier, "minPromptTokens"), where))
        for tier in document.get("tiers", ())
    )
    return Price(**_decimals(_without(document, "tiers"), where), tiers=tiers)


def _stated(model_id: str, entry: Mapping[str, Any]) -> StatedModel:
    where = f"hand-kept {model_id!r}"
    if not set(entry) <= _FIELDS:
        raise ValueError(f"{where}: unknown fields {sorted(set(entry) - _FIELDS)}")
    tags = entry.get("capabilities")
    if tags is not None and not set(tags) <= set(CAPABILITIES):
        raise ValueError(f"{where}: tags outside the capability vocabulary {sorted(set(tags) - set(CAPABILITIES))}")
    # The file states a model's whole tag set: a tag it leaves out is a capability the model lacks.
    return StatedModel(
        model_id=model_id,
        display_name=entry.get("displayName"),
        description=entry.get("description"),
        context_window=entry.get("contextWindow"),
        max_output_tokens=entry.get("maxOutputTokens"),
        tags={} if tags is None else {tag: tag in tags for tag in CAPABILITIES},
        pricing=_price(entry["pricing"], where) if "pricing" in entry else None,
    )


class HandKept:
    """One kind's hand-kept models, looked up by id (or by the id without a date stamp)."""

    def __init__(self, models: Mapping[str, StatedModel]) -> None:
        self._models = dict(models)

    def __len__(self) -> int:
        return len(self._models)

    def lookup(self, model_id: str) -> StatedModel | None:
        """The hand-kept statement for a listed id, if any."""
        return self._models.get(model_id) or self._models.get(_DATE_STAMP.sub("", model_id))


def read_hand_kept(document: Mapping[str, Any]) -> HandKept:
    """Parse a hand-kept document; a mistake in it is a ValueError (the files are tested)."""
    models = document.get("models", {})
    return HandKept({model_id: _stated(model_id, entry) for model_id, entry in models.items()})


@functools.cache
def hand_kept(kind: ProviderKind) -> HandKept:
    """The shipped file for a kind; a kind without a file has no hand-kept models."""
    path = resources.files("adapters") / "pricing" / f"{kind.value.lower()}.json"
    if not path.is_file():
        return HandKept({})
    return read_hand_kept(json.loads(path.read_text(encoding="utf-8")))
