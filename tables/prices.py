"""A model's prices over time: one row per price, in force from its moment until the next one's."""

from __future__ import annotations

from piccolo.columns import JSON, ForeignKey, Integer, Numeric, OnDelete, Serial, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from tables.catalog import PRICE_DIGITS, AiModel

__all__ = ["ModelPrice"]


class ModelPrice(Table, tablename="model_prices"):
    """The price in force at a moment is the row with the latest effective_from at or before it."""

    id: Serial  # piccolo's primary key, declared for type checkers
    model = ForeignKey(AiModel, null=False, on_delete=OnDelete.cascade)
    # null: the price the model was added with, in force for as long as the catalog knows the model
    effective_from = Timestamptz(null=True, default=None)
    input_price = Numeric(digits=PRICE_DIGITS, null=True, default=None)
    output_price = Numeric(digits=PRICE_DIGITS, null=True, default=None)
    cached_input_price = Numeric(digits=PRICE_DIGITS, null=True, default=None)
    cache_write_price = Numeric(digits=PRICE_DIGITS, null=True, default=None)
    tiers = JSON(default=[])  # [{"minPromptTokens", "inputPerMillion", ...}], ascending, decimal strings
    windows = JSON(default=[])  # [{"weekdays", "startUtc", "endUtc", "inputPerMillion", ...}]
    version = Integer()  # the model's version that wrote it
    created_at = Timestamptz(default=TimestamptzNow())

    # The unique pair indexes `model` (its first column) for the lookups too.
    one_price_per_moment = Unique(["model", "effective_from"])
    prices_in_bounds = Check(
        "(input_price IS NULL OR (input_price >= 0 AND input_price <= 10000))"
        " AND (output_price IS NULL OR (output_price >= 0 AND output_price <= 10000))"
        " AND (cached_input_price IS NULL OR (cached_input_price >= 0 AND cached_input_price <= 10000))"
        " AND (cache_write_price IS NULL OR (cache_write_price >= 0 AND cache_write_price <= 10000))"
    )
