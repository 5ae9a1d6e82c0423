"""Scalars the contract names, where strawberry's default form is not the one we promise."""

from __future__ import annotations

import datetime
import decimal
from operator import methodcaller
from typing import Any, NewType

import dateutil.parser
from strawberry.schema.types.base_scalars import wrap_parser
from strawberry.types.scalar import ScalarDefinition

__all__ = ["SCALAR_OVERRIDES", "DecimalText", "decimal_text"]

# A Decimal argument as the client wrote it. Python's Decimal() would read "1_000",
# " 1.5 " and Arabic-Indic digits without a word; the service's own parser
# (api/catalog/fields.py `price`) judges the text instead, on every path alike,
# and names the field when it refuses it.
DecimalText = NewType("DecimalText", str)


def decimal_text(value: decimal.Decimal) -> str:
    """Plain decimal notation without trailing zeros: "0.0000025", never "2.5E-6" or "2.500"."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def submitted_decimal(value: object) -> DecimalText:
    """A Decimal argument's text: a string as sent, a JSON number by its shortest decimal text."""
    if isinstance(value, str):
        return DecimalText(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return DecimalText(repr(value))
    raise ValueError('a decimal number written as a string, such as "2.5"')


DecimalPlain = ScalarDefinition(
    name="Decimal",
    description="An exact decimal number, as a string: US dollars per million tokens, or dollars for a cost.",
    specified_by_url=None,
    serialize=decimal_text,
    parse_value=submitted_decimal,
    parse_literal=None,
    origin=decimal.Decimal,
)


def _moment(text: str) -> datetime.datetime:
    # Python's own ISO reader first (a tenth of dateutil's time: a usage batch sends a thousand moments),
    # then dateutil's, which strawberry's DateTime uses and which reads a few more ISO 8601 forms.
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        moment: datetime.datetime = dateutil.parser.isoparse(text)
        return moment


DateTimeISO = ScalarDefinition(
    name="DateTime",
    description="Date with time (isoformat)",
    specified_by_url=None,
    serialize=methodcaller("isoformat"),
    parse_value=wrap_parser(_moment, "DateTime"),
    parse_literal=None,
    origin=datetime.datetime,
)

# Decimals go out through decimal_text; Decimal arguments are typed DecimalText and come in through
# submitted_decimal. Both are the one scalar the contract calls Decimal.
SCALAR_OVERRIDES: dict[object, Any] = {
    decimal.Decimal: DecimalPlain,
    DecimalText: DecimalPlain,
    datetime.datetime: DateTimeISO,
}
