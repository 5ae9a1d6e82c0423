"""A model's fields as clients name them, their columns, and the bounds every path checks.

GraphQL, the CLI, import and sync all hand a model's values to the service as a
dict keyed by these field names ("contextWindow", "pricing.inputPerMillion"),
the names history and `lockedFields` use too.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from api.catalog.prices import PriceProblem, check_tiers, check_windows, price
from api.errors import FieldError, ValidationFailed
from api.scalars import decimal_text
from api.text import identifier_problem, name_problem, printable, prose_problem
from domain.choices import CostTier, ModelStatus, SpeedTier

__all__ = [
    "CONTENT_FIELDS",
    "EFFECTIVE_FROM",
    "FIELD_COLUMNS",
    "LOCKABLE_FIELDS",
    "MAX_CONTEXT",
    "MAX_ID",
    "MAX_NAME",
    "MAX_REASON",
    "MODEL_COLUMNS",
    "PRICE_FIELDS",
    "RATE_FIELDS",
    "check_values",
    "clean_reason",
    "json_value",
    "plain_decimal",
    "values_of",
]

MAX_CONTEXT = 100_000_000
MAX_NAME = 200
MAX_ID = 256
MAX_DESCRIPTION = 10_000
MAX_CAPABILITIES = 64
MAX_REASON = 1000
CAPABILITY = re.compile(r"[a-z0-9][a-z0-9_.:-]{0,63}")  # used with fullmatch: `$` lets a trailing newline in

# The price in force, by field name, and the keys a row read with its price (price_series.with_prices) holds it
# under: the four rates, the tiers and the discount windows (canonical JSON lists, see prices.py).
RATE_FIELDS = {
    "pricing.inputPerMillion": "input_price",
    "pricing.outputPerMillion": "output_price",
    "pricing.cachedInputPerMillion": "cached_input_price",
    "pricing.cacheWritePerMillion": "cache_write_price",
}
PRICE_FIELDS = {**RATE_FIELDS, "pricing.tiers": "price_tiers", "pricing.windows": "price_windows"}
# Not a field of a model: when a price change takes effect (a later moment schedules it).
EFFECTIVE_FROM = "pricing.effectiveFrom"

# What describes a model: what a person edits, sync owns, import carries and revert restores.
CONTENT_FIELDS = {
    "displayName": "display_name",
    "description": "description",
    "contextWindow": "context_window",
    "maxOutputTokens": "max_output_tokens",
    "supportsTools": "supports_tools",
    "supportsVision": "supports_vision",
    "capabilities": "capabilities",
    "speedTier": "speed_tier",
    "costTier": "cost_tier",
    **PRICE_FIELDS,
}

LOCKABLE_FIELDS = frozenset(CONTENT_FIELDS)

FIELD_COLUMNS = {
    "universalModelId": "universal_model_id",
    "modelId": "model_id",
    **CONTENT_FIELDS,
    "status": "status",
    "enabled": "enabled",
    "isDefault": "is_default",
    "lockedFields": "locked_fields",
}
# The fields stored on ai_models itself (the prices are a series of their own).
MODEL_COLUMNS = {name: column for name, column in FIELD_COLUMNS.items() if name not in PRICE_FIELDS}

_ENUMS: dict[str, type[enum.StrEnum]] = {"speedTier": SpeedTier, "costTier": CostTier, "status": ModelStatus}


def plain_decimal(value: Decimal) -> Decimal:
    """The same number without trailing zeros or an exponent: 2.500 -> 2.5, 1E+1 -> 10."""
    return Decimal(decimal_text(value))


def values_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """A model row's values keyed by field name, in the form check_values returns."""
    values = {name: row[column] for name, column in FIELD_COLUMNS.items()}
    for name in RATE_FIELDS:
        if values[name] is not None:
            values[name] = plain_decimal(Decimal(values[name]))
    return values


def json_value(value: Any) -> Any:
    """A value as history and exports store it: decimals as strings, enums by name."""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    return value


def clean_reason(reason: str | None) -> str | None:
    """The reason given for a change, trimmed; None when blank."""
    if reason is None or not reason.strip():
        return None
    if len(reason) > MAX_REASON:
        raise ValidationFailed.one("reason", f"at most {MAX_REASON} characters")
    problem = prose_problem(reason)
    if problem:
        raise ValidationFailed.one("reason", problem)
    return reason.strip()


def check_values(values: Mapping[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    """The given values, cleaned, and what is wrong with them: the bounds of every path."""
    clean: dict[str, Any] = {}
    problems: list[FieldError] = []
    for name, value in values.items():
        try:
            clean[name] = _clean(name, value)
        except PriceProblem as problem:
            problems.append(FieldError(f"{name}.{problem.path}", str(problem)))
        except ValueError as problem:
            problems.append(FieldError(name, str(problem)))
    return clean, problems


def _clean(name: str, value: Any) -> Any:
    if name in ("displayName",):
        return _text(value, MAX_NAME, required=True, problem_of=name_problem)
    if name in ("modelId", "universalModelId"):
        return _identifier(value)
    if name == "description":
        return (
            None if value is None else _text(value, MAX_DESCRIPTION, required=False, problem_of=prose_problem) or None
        )
    if name in ("contextWindow", "maxOutputTokens"):
        return _token_count(value)
    if name in ("supportsTools", "supportsVision", "enabled"):
        if not isinstance(value, bool):
            raise ValueError("true or false")
        return value
    if name == "capabilities":
        return _capabilities(value)
    if name in _ENUMS:
        return _choice(value, _ENUMS[name], nullable=name != "status")
    if name in RATE_FIELDS:
        return price(value)
    if name == "pricing.tiers":
        return check_tiers([] if value is None else value)
    if name == "pricing.windows":
        return check_windows([] if value is None else value)
    raise ValueError("not a field of a model")


def _text(value: Any, limit: int, *, required: bool, problem_of: Callable[[str], str | None]) -> str:
    if not isinstance(value, str):
        raise ValueError("a string")
    text: str = value.strip()
    if required and not text:
        raise ValueError("must not be empty")
    if len(text) > limit:
        raise ValueError(f"at most {limit} characters")
    problem = problem_of(text)
    if problem:
        raise ValueError(problem)
    return text


def _identifier(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("a string")
    if not value or not value.strip():
        raise ValueError("must not be empty")
    if len(value) > MAX_ID:
        raise ValueError(f"at most {MAX_ID} characters")
    problem = identifier_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _token_count(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON files write 128000 as 128000.0
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("a whole number of tokens")
    if not 1 <= value <= MAX_CONTEXT:
        raise ValueError(f"between 1 and {MAX_CONTEXT:,} tokens")
    return value


def _capabilities(value: Any) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(tag, str) for tag in value):
        raise ValueError("a list of strings")
    tags: list[str] = []
    for tag in value:
        if not CAPABILITY.fullmatch(tag):
            shown = printable(tag[:70])
            raise ValueError(f'"{shown}" is not a lower-case tag such as "tools", "vision" or "json"')
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_CAPABILITIES:
        raise ValueError(f"at most {MAX_CAPABILITIES} tags")
    return tags


def _choice(value: Any, kind: type[enum.StrEnum], *, nullable: bool) -> enum.StrEnum | None:
    if value is None and nullable:
        return None
    try:
        return kind(value)
    except ValueError:
        raise ValueError("one of " + ", ".join(member.value for member in kind)) from None
