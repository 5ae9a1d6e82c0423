"""Scalars the contract names, where strawberry's default form is not the one we promise."""

from __future__ import annotations

import decimal
from typing import Any

from strawberry.schema.types.base_scalars import DecimalDefinition
from strawberry.types.scalar import ScalarDefinition

__all__ = ["SCALAR_OVERRIDES", "decimal_text"]


def decimal_text(value: decimal.Decimal) -> str:
    """Plain decimal notation without trailing zeros: "0.0000025", never "2.5E-6" or "2.500"."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


DecimalPlain = ScalarDefinition(
    name="Decimal",
    description="An exact decimal number, as a string: US dollars per million tokens, or dollars for a cost.",
    specified_by_url=None,
    serialize=decimal_text,
    parse_value=DecimalDefinition.parse_value,
    parse_literal=None,
    origin=decimal.Decimal,
)

SCALAR_OVERRIDES: dict[object, Any] = {decimal.Decimal: DecimalPlain}
