"""The GraphQL types of prices: Pricing with its tiers and windows, and the inputs that set them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.utils.str_converters import to_camel_case

from api.catalog.fields import EFFECTIVE_FROM
from api.catalog.prices import Price
from api.scalars import DecimalText

__all__ = [
    "PriceTierInput",
    "PriceTierType",
    "PriceWindowInput",
    "PriceWindowType",
    "Pricing",
    "PricingInput",
    "pricing_values",
]


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@strawberry.type(name="PriceTier", description="A request whose prompt reaches minPromptTokens is priced wholly here.")
class PriceTierType:
    min_prompt_tokens: int = strawberry.field(description="Input + cached + cache-write tokens, at least.")
    input_per_million: Decimal | None
    output_per_million: Decimal | None
    cached_input_per_million: Decimal | None
    cache_write_per_million: Decimal | None

    @classmethod
    def from_json(cls, tier: Mapping[str, Any]) -> PriceTierType:
        return cls(
            min_prompt_tokens=tier["minPromptTokens"],
            input_per_million=_decimal(tier.get("inputPerMillion")),
            output_per_million=_decimal(tier.get("outputPerMillion")),
            cached_input_per_million=_decimal(tier.get("cachedInputPerMillion")),
            cache_write_per_million=_decimal(tier.get("cacheWritePerMillion")),
        )


@strawberry.type(
    name="PriceWindow", description="A request made inside the window pays its prices instead of the base ones."
)
class PriceWindowType:
    weekdays: list[int] = strawberry.field(description="ISO: 1 = Monday .. 7 = Sunday, the moment's UTC weekday.")
    start_utc: str = strawberry.field(description='"HH:MM" UTC, inclusive.')
    end_utc: str = strawberry.field(description='"HH:MM" UTC, exclusive; may wrap past midnight; = start: all day.')
    input_per_million: Decimal | None
    output_per_million: Decimal | None
    cached_input_per_million: Decimal | None
    cache_write_per_million: Decimal | None

    @classmethod
    def from_json(cls, window: Mapping[str, Any]) -> PriceWindowType:
        return cls(
            weekdays=list(window["weekdays"]),
            start_utc=window["startUtc"],
            end_utc=window["endUtc"],
            input_per_million=_decimal(window.get("inputPerMillion")),
            output_per_million=_decimal(window.get("outputPerMillion")),
            cached_input_per_million=_decimal(window.get("cachedInputPerMillion")),
            cache_write_per_million=_decimal(window.get("cacheWritePerMillion")),
        )


@strawberry.type(description="USD per million tokens.")
class Pricing:
    input_per_million: Decimal | None
    output_per_million: Decimal | None
    cached_input_per_million: Decimal | None = strawberry.field(description="Cache reads.")
    cache_write_per_million: Decimal | None = strawberry.field(default=None, description="Cache writes.")
    tiers: list[PriceTierType] = strawberry.field(
        default_factory=list, description="Ascending minPromptTokens; empty = one flat price."
    )
    windows: list[PriceWindowType] = strawberry.field(
        default_factory=list, description="Daily discount windows (DeepSeek's off-peak hours); empty = none."
    )
    effective_from: datetime | None = strawberry.field(
        default=None, description="When this price took effect; null = since the model was added."
    )

    @classmethod
    def from_price(cls, price: Price | None) -> Pricing | None:
        """The GraphQL form of a price row; None when it states no price (none, or cleared)."""
        if price is None or not price.is_priced:
            return None
        return cls.of_row(price)

    @classmethod
    def of_row(cls, price: Price) -> Pricing:
        """A row of the series as it is, a cleared price (every rate null) included."""
        return cls(
            input_per_million=price.rates.input,
            output_per_million=price.rates.output,
            cached_input_per_million=price.rates.cached_input,
            cache_write_per_million=price.rates.cache_write,
            tiers=[PriceTierType.from_json(tier) for tier in price.tiers],
            windows=[PriceWindowType.from_json(window) for window in price.windows],
            effective_from=price.effective_from,
        )

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> Pricing | None:
        """A price given as field values ("pricing.inputPerMillion", ...); None when it states none."""
        tiers, windows = values.get("pricing.tiers") or [], values.get("pricing.windows") or []
        rates = [values.get(f"pricing.{name}") for name in _RATES]
        if all(rate is None for rate in rates) and not tiers and not windows:
            return None
        given, out, cached, write = (_decimal(rate) for rate in rates)
        return cls(
            input_per_million=given,
            output_per_million=out,
            cached_input_per_million=cached,
            cache_write_per_million=write,
            tiers=[PriceTierType.from_json(tier) for tier in tiers],
            windows=[PriceWindowType.from_json(window) for window in windows],
        )


_RATES = ("inputPerMillion", "outputPerMillion", "cachedInputPerMillion", "cacheWritePerMillion")


@strawberry.input
class PriceTierInput:
    min_prompt_tokens: int
    input_per_million: DecimalText | None = None
    output_per_million: DecimalText | None = None
    cached_input_per_million: DecimalText | None = None
    cache_write_per_million: DecimalText | None = None


@strawberry.input
class PriceWindowInput:
    weekdays: list[int]
    start_utc: str
    end_utc: str
    input_per_million: DecimalText | None = None
    output_per_million: DecimalText | None = None
    cached_input_per_million: DecimalText | None = None
    cache_write_per_million: DecimalText | None = None


@strawberry.input(description="A field left out is left as it is; null clears it.")
class PricingInput:
    input_per_million: DecimalText | None = strawberry.UNSET
    output_per_million: DecimalText | None = strawberry.UNSET
    cached_input_per_million: DecimalText | None = strawberry.UNSET
    cache_write_per_million: DecimalText | None = strawberry.UNSET
    tiers: list[PriceTierInput] | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces the model's tiers; [] removes them."
    )
    windows: list[PriceWindowInput] | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces the model's discount windows; [] removes them."
    )
    effective_from: datetime | None = strawberry.field(
        default=strawberry.UNSET,
        description="Default now; a later moment schedules the price (the current one stays in force until then).",
    )


def _camel(entry: Any) -> dict[str, Any]:
    return {to_camel_case(name): value for name, value in vars(entry).items()}


def pricing_values(given: PricingInput | None) -> dict[str, Any]:
    """The price fields a PricingInput sets, by field name; `pricing: null` clears every price."""
    if given is None:
        cleared: dict[str, Any] = {f"pricing.{name}": None for name in _RATES}
        return cleared | {"pricing.tiers": [], "pricing.windows": []}
    values: dict[str, Any] = {}
    for name, value in vars(given).items():
        if value is strawberry.UNSET:
            continue
        field = f"pricing.{to_camel_case(name)}"
        if name in ("tiers", "windows"):
            values[field] = [] if value is None else [_camel(entry) for entry in value]
        elif field == EFFECTIVE_FROM:
            if value is not None:
                values[field] = value
        else:
            values[field] = value
    return values
