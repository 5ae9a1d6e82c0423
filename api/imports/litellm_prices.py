"""LiteLLM's prices in the catalog's terms: per-million rates, long-context tiers and off-peak windows.

DESIGN's LiteLLM rules, matching what LiteLLM's own cost_per_token bills:
- a per-token float becomes a per-million decimal through its decimal text, after
  rounding a number written with more than 15 significant digits to 15
  (`4.0000000000000003e-07` is float residue for 0.40 per million);
- `*_above_<N>k_tokens` prices are a tier from N*1000+1 prompt tokens (LiteLLM bills
  them when the prompt exceeds N*1000; xAI's from N*1000, which it reaches);
- `tiered_pricing` ranges `[from, to]` bill a prompt of from < tokens <= to wholly at
  that range: a tier from `from`+1, the range from 0 being the base price; a range's
  cache prices, when it has none, are its own input price;
- `off_peak_pricing` holds the prices and the windows (`hours_utc` every day, or
  `windows` of `weekdays` and `hours_utc`, the weekdays read in `weekday_timezone`):
  each becomes windows by UTC weekday and time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Context, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from api.scalars import decimal_text

__all__ = ["LiteLLMPriceProblem", "litellm_defaults", "litellm_tiers", "litellm_windows", "per_million", "rates_of"]

PER_MILLION = Decimal(1_000_000)
SIGNIFICANT = Context(prec=15)
RATE_KEYS = {
    "input_cost_per_token": "inputPerMillion",
    "output_cost_per_token": "outputPerMillion",
    "cache_read_input_token_cost": "cachedInputPerMillion",
    "cache_creation_input_token_cost": "cacheWritePerMillion",
}
ABOVE = re.compile(rf"^({'|'.join(RATE_KEYS)})_above_(\d+)(k?)_tokens$")
INCLUSIVE_THRESHOLDS = frozenset({"xai"})  # providers that bill the higher tier once the prompt reaches it
# Fireworks bills cached input at half the input price where the file names no cache price (LiteLLM's rule too).
DEFAULT_CACHE_READ_RATIO = {"fireworks_ai": Decimal("0.5")}
DAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
SPAN = re.compile(r"^\s*([01][0-9]|2[0-3]):([0-5][0-9])\s*-\s*([01][0-9]|2[0-3]):([0-5][0-9])\s*$")
DAY_MINUTES = 24 * 60


class LiteLLMPriceProblem(ValueError):
    """A price of a row that cannot be read; `source` names the row's key for it."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(message)
        self.source = source


def per_million(source: str, value: Any) -> str | None:
    """A per-token price as a per-million decimal string, exactly, float residue rounded to 15 digits."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LiteLLMPriceProblem(source, "a number of US dollars per token")
    try:
        per_token = Decimal(repr(value))
    except InvalidOperation:
        raise LiteLLMPriceProblem(source, "a finite number") from None
    if not per_token.is_finite():
        raise LiteLLMPriceProblem(source, "a finite number")
    # A float written with 16 or 17 significant digits carries the residue of binary arithmetic.
    return decimal_text(SIGNIFICANT.create_decimal(per_token) * PER_MILLION)


def rates_of(entry: Mapping[str, Any], where: str = "") -> dict[str, str | None]:
    """The four per-million rates an object of LiteLLM price keys states (None where it states none)."""
    return {name: per_million(f"{where}{key}", entry.get(key)) for key, name in RATE_KEYS.items()}


def litellm_defaults(rates: dict[str, str | None], provider: str) -> dict[str, str | None]:
    """The rates with what LiteLLM bills where a row is silent: a provider's cache-read ratio; no input price, 0."""
    rates = dict(rates)
    ratio = DEFAULT_CACHE_READ_RATIO.get(provider)
    if ratio is not None and rates["cachedInputPerMillion"] is None and rates["inputPerMillion"] is not None:
        rates["cachedInputPerMillion"] = decimal_text(Decimal(rates["inputPerMillion"]) * ratio)
    if rates["inputPerMillion"] is None and rates["outputPerMillion"] is not None:
        # a model that bills its input by the second or the image bills no input token (LiteLLM counts 0)
        rates["inputPerMillion"] = "0"
    return rates


def _above_tiers(entry: Mapping[str, Any], provider: str) -> list[dict[str, Any]]:
    by_threshold: dict[int, dict[str, Any]] = {}
    for key, value in entry.items():
        match = ABOVE.match(key)
        if match is None or value is None:
            continue
        threshold = int(match.group(2)) * (1000 if match.group(3) else 1)
        start = threshold if provider in INCLUSIVE_THRESHOLDS else threshold + 1
        tier = by_threshold.setdefault(start, {"minPromptTokens": start} | dict.fromkeys(RATE_KEYS.values()))
        tier[RATE_KEYS[match.group(1)]] = per_million(key, value)
    return [by_threshold[start] for start in sorted(by_threshold)]


def _ranges(entry: Mapping[str, Any]) -> list[tuple[int, Mapping[str, Any]]]:
    tiers = entry.get("tiered_pricing")
    if tiers is None:
        return []
    if not isinstance(tiers, list) or not all(isinstance(tier, dict) for tier in tiers):
        raise LiteLLMPriceProblem("tiered_pricing", "a list of objects with a range and prices")
    ranges = []
    for number, tier in enumerate(tiers):
        bounds = tier.get("range")
        valid = isinstance(bounds, list) and len(bounds) == 2
        if not valid or not all(isinstance(b, int | float) and not isinstance(b, bool) for b in bounds):
            raise LiteLLMPriceProblem(f"tiered_pricing.{number}.range", "a range [from, to] of token counts")
        if "input_cost_per_token" in tier:  # LiteLLM prices a range without an input price flat
            ranges.append((int(bounds[0]), tier))
    return sorted(ranges, key=lambda pair: pair[0])


def _range_rates(tier: Mapping[str, Any], number: int, top_output: str | None) -> dict[str, Any]:
    rates = rates_of(tier, f"tiered_pricing.{number}.")
    # A range's cache reads and writes cost its own input price when it has none of its own (not the base's).
    rates["cachedInputPerMillion"] = rates["cachedInputPerMillion"] or rates["inputPerMillion"]
    rates["cacheWritePerMillion"] = rates["cacheWritePerMillion"] or rates["inputPerMillion"]
    rates["outputPerMillion"] = rates["outputPerMillion"] or top_output
    return rates


def litellm_tiers(entry: Mapping[str, Any], provider: str) -> tuple[dict[str, str | None] | None, list[dict[str, Any]]]:
    """The tiers a row states, and the base rates its `tiered_pricing` range from 0 replaces (None: keep)."""
    ranges = _ranges(entry)
    if not ranges:
        return None, _above_tiers(entry, provider)
    top_output = per_million("output_cost_per_token", entry.get("output_cost_per_token"))
    base = None
    tiers = []
    for number, (start, tier) in enumerate(ranges):
        rates = _range_rates(tier, number, top_output)
        if start <= 0:
            base = rates
        else:
            tiers.append({"minPromptTokens": start + 1, **rates})
    return base, tiers


def _weekdays(value: Any) -> list[int]:
    if value is None:
        return [1, 2, 3, 4, 5, 6, 7]
    days = set()
    for day in value if isinstance(value, list) else []:
        if isinstance(day, int) and not isinstance(day, bool) and 1 <= day <= 7:
            days.add(day)
        elif isinstance(day, str) and day.strip().lower()[:3] in DAYS:
            days.add(DAYS[day.strip().lower()[:3]])
    return sorted(days)


def _spans(value: Any) -> list[tuple[int, int]]:
    """ "HH:MM-HH:MM" spans as [start, end) minute ranges within a day (a wrap splits, start = end is all day)."""
    texts = (
        [value]
        if isinstance(value, str)
        else [v for v in value if isinstance(v, str)]
        if isinstance(value, list)
        else []
    )
    spans = []
    for text in texts:
        match = SPAN.match(text)
        if match is None:
            continue  # LiteLLM ignores a malformed span
        hours = [int(part) for part in match.groups()]
        start, end = hours[0] * 60 + hours[1], hours[2] * 60 + hours[3]
        if start < end:
            spans.append((start, end))
        elif start == end:
            spans.append((0, DAY_MINUTES))
        else:
            spans += [(start, DAY_MINUTES), (0, end)]
    return spans


def _offset_minutes(zone: Any) -> int:
    if not isinstance(zone, str) or not zone.strip():
        return 0
    try:
        offset = datetime.now(UTC).astimezone(ZoneInfo(zone.strip())).utcoffset()
    except (ValueError, ZoneInfoNotFoundError):
        return 0  # LiteLLM reads an unknown zone as UTC
    return int(offset.total_seconds() // 60) if offset is not None else 0


def _clock(minutes: int) -> str:
    minutes %= DAY_MINUTES
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _utc_windows(days: list[int], spans: list[tuple[int, int]], offset: int) -> list[tuple[list[int], int, int]]:
    """Windows on the weekdays of a zone `offset` minutes from UTC, as windows on UTC weekdays."""
    windows = []
    cut = (DAY_MINUTES - offset) % DAY_MINUTES if offset > 0 else -offset
    for start, end in spans:
        if offset == 0:
            pieces = [(start, end, 0)]
        elif offset > 0:  # past `cut` UTC it is already the next day there
            pieces = [(start, min(end, cut), 0), (max(start, cut), end, 1)]
        else:  # before `cut` UTC it is still the day before there
            pieces = [(start, min(end, cut), -1), (max(start, cut), end, 0)]
        for low, high, shift in pieces:
            if low < high:
                windows.append((sorted({(day - shift - 1) % 7 + 1 for day in days}), low, high))
    return windows


def litellm_windows(entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The discount windows of a row's `off_peak_pricing`, by UTC weekday and time, each with the block's prices."""
    block = entry.get("off_peak_pricing")
    if block is None:
        return []
    if not isinstance(block, dict):
        raise LiteLLMPriceProblem("off_peak_pricing", "an object of prices and windows")
    rates = rates_of(block, "off_peak_pricing.")
    if all(rate is None for rate in rates.values()):
        return []
    offset = _offset_minutes(block.get("weekday_timezone"))
    rules: list[tuple[list[int], list[tuple[int, int]]]] = [([1, 2, 3, 4, 5, 6, 7], _spans(block.get("hours_utc")))]
    for rule in block.get("windows") or []:
        if isinstance(rule, dict):
            rules.append((_weekdays(rule.get("weekdays")), _spans(rule.get("hours_utc"))))
    windows = []
    for days, spans in rules:
        if not days:
            continue
        for utc_days, start, end in _utc_windows(days, spans, offset):
            windows.append({"weekdays": utc_days, "startUtc": _clock(start), "endUtc": _clock(end), **rates})
    return windows
