"""Prices as values: the bounds of a price, tiers by prompt size, daily discount windows, and the cost arithmetic.

Nothing here touches the database (price_series.py does). A price's tiers and
windows travel in one canonical JSON form (camelCase keys, decimal strings),
the form model_prices stores, history records and the export writes.

The arithmetic (DESIGN "Prices over time, and usage"): the prompt is input +
cached + cache-write tokens; inside a discount window the window's non-null
prices replace the base ones; then every tier whose minPromptTokens the prompt
reaches overrides the prices it states, lowest first, so the highest tier
reached prices the whole request and a field it leaves null is the next lower
tier's; cached and cache-write tokens cost the input price when their own is
null. Exact Decimal arithmetic throughout.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from api.scalars import decimal_text

__all__ = [
    "MAX_PRICE",
    "MAX_TIERS",
    "MAX_WINDOWS",
    "PRICE_DIGITS",
    "PRICE_PLACES",
    "RATE_NAMES",
    "Cost",
    "Price",
    "PriceProblem",
    "Rates",
    "check_tiers",
    "check_windows",
    "cost_of",
    "next_boundary",
    "price",
    "window_at",
]

MAX_PRICE = Decimal(10_000)
PRICE_PLACES = 12  # the columns' scale: Numeric(20, 12)
# SQLite keeps a NUMERIC value as a double, exact to 15 significant digits; more would change silently.
PRICE_DIGITS = 15
MAX_TIERS = 20
MAX_WINDOWS = 50
MAX_TOKENS = 100_000_000  # a tier's threshold has the bounds of a context window
MILLION = Decimal(1_000_000)
# A price written as text: ASCII digits, one optional dot, an optional minus (to be told it is negative) and an
# optional exponent ("1e-6" is exact and unambiguous; the bounds judge the number it makes). Python's Decimal
# also reads "1_000", " 1.5 " and other scripts' digits; a price written so was not meant for a machine.
PRICE_TEXT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
NOT_FINITE = frozenset({"nan", "snan", "inf", "infinity"})
PRICE_RULE = "a decimal number of US dollars per million tokens"
CLOCK = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
# The four per-million prices of a price, a tier and a window, by their JSON names.
RATE_NAMES = ("inputPerMillion", "outputPerMillion", "cachedInputPerMillion", "cacheWritePerMillion")


class PriceProblem(ValueError):
    """A bad part of a tier or window list; `path` names it below the field ("1.minPromptTokens")."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path


def price(value: Any) -> Decimal | None:
    """A price in USD per million tokens, exact, within the bounds; ValueError otherwise."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError(PRICE_RULE)
    if isinstance(value, Decimal):
        number = value
    else:
        # A float goes through its shortest decimal text: 0.15, never 0.1499999...
        number = _price_text(repr(value) if isinstance(value, float) else str(value))
    if not number.is_finite():
        raise ValueError("a finite number")
    if not 0 <= number <= MAX_PRICE:
        raise ValueError(f"between 0 and {MAX_PRICE:,} US dollars per million tokens")
    significant, places = _digits(number)
    if places > PRICE_PLACES:
        raise ValueError(f"at most {PRICE_PLACES} decimal places")
    if significant > PRICE_DIGITS:
        raise ValueError(f"at most {PRICE_DIGITS} significant digits")
    return Decimal(decimal_text(number))


def _price_text(text: str) -> Decimal:
    if PRICE_TEXT.fullmatch(text):
        try:
            return Decimal(text)
        except InvalidOperation:  # an exponent beyond what a decimal holds: far too small or far too large
            tiny = "e-" in text.lower()
            bound = f"at most {PRICE_PLACES} decimal places" if tiny else f"at most {MAX_PRICE:,} US dollars"
            raise ValueError(bound) from None
    if text.lower().lstrip("+-") in NOT_FINITE:
        raise ValueError("a finite number")
    raise ValueError(f'{PRICE_RULE}, written plainly: ASCII digits and one optional dot, such as "2.5"')


def _digits(number: Decimal) -> tuple[int, int]:
    """Significant digits and decimal places, read from the digits themselves (nothing rounds)."""
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # finite numbers only
    kept = list(digits)
    while len(kept) > 1 and kept[-1] == 0:
        kept.pop()
        exponent += 1
    if kept == [0]:
        return 1, 0
    return len(kept), max(0, -exponent)


def _rates_json(entry: Mapping[str, Any], where: str) -> dict[str, str | None]:
    rates: dict[str, str | None] = {}
    for name in RATE_NAMES:
        try:
            value = price(entry.get(name))
        except ValueError as problem:
            raise PriceProblem(f"{where}.{name}", str(problem)) from None
        rates[name] = None if value is None else decimal_text(value)
    if all(value is None for value in rates.values()):
        raise PriceProblem(where, "states no price: give at least one of " + ", ".join(RATE_NAMES))
    return rates


def _entries(value: Any, limit: int, allowed: frozenset[str], kind: str) -> list[Mapping[str, Any]]:
    if not isinstance(value, list | tuple) or not all(isinstance(entry, Mapping) for entry in value):
        raise ValueError(f"a list of {kind} objects")
    if len(value) > limit:
        raise ValueError(f"at most {limit} {kind}s")
    for index, entry in enumerate(value):
        unknown = sorted(str(key)[:40] for key in entry if key not in allowed)
        if unknown:
            raise PriceProblem(f"{index}.{unknown[0]}", f"not a field of a {kind}")
    return list(value)


TIER_KEYS = frozenset({"minPromptTokens", *RATE_NAMES})
WINDOW_KEYS = frozenset({"weekdays", "startUtc", "endUtc", *RATE_NAMES})


def check_tiers(value: Any) -> list[dict[str, Any]]:
    """Tiers in canonical form: strictly ascending minPromptTokens, each within bounds and with a price."""
    tiers: list[dict[str, Any]] = []
    for index, entry in enumerate(_entries(value, MAX_TIERS, TIER_KEYS, "tier")):
        minimum = entry.get("minPromptTokens")
        if isinstance(minimum, float) and minimum.is_integer():
            minimum = int(minimum)
        if isinstance(minimum, bool) or not isinstance(minimum, int) or not 1 <= minimum <= MAX_TOKENS:
            raise PriceProblem(f"{index}.minPromptTokens", f"a whole number of tokens from 1 to {MAX_TOKENS:,}")
        if tiers and minimum <= tiers[-1]["minPromptTokens"]:
            earlier = tiers[-1]["minPromptTokens"]
            what = "repeats" if minimum == earlier else "is below"
            raise PriceProblem(
                f"{index}.minPromptTokens", f"{minimum:,} {what} the tier before it ({earlier:,}): tiers ascend"
            )
        tiers.append({"minPromptTokens": minimum, **_rates_json(entry, str(index))})
    return tiers


def _minutes(text: Any, where: str) -> int:
    if not isinstance(text, str) or not CLOCK.fullmatch(text):
        raise PriceProblem(where, 'a UTC time of day written "HH:MM", from "00:00" to "23:59"')
    return int(text[:2]) * 60 + int(text[3:])


def check_windows(value: Any) -> list[dict[str, Any]]:
    """Discount windows in canonical form: ISO weekdays (1 = Monday), "HH:MM" UTC start and end, their prices."""
    windows: list[dict[str, Any]] = []
    for index, entry in enumerate(_entries(value, MAX_WINDOWS, WINDOW_KEYS, "window")):
        days = entry.get("weekdays")
        if (
            not isinstance(days, list | tuple)
            or not days
            or not all(isinstance(day, int) and not isinstance(day, bool) and 1 <= day <= 7 for day in days)
        ):
            raise PriceProblem(f"{index}.weekdays", "a list of ISO weekdays, 1 (Monday) to 7 (Sunday)")
        if len(set(days)) != len(days):
            raise PriceProblem(f"{index}.weekdays", "names a day twice")
        _minutes(entry.get("startUtc"), f"{index}.startUtc")
        _minutes(entry.get("endUtc"), f"{index}.endUtc")
        windows.append(
            {
                "weekdays": sorted(days),
                "startUtc": entry["startUtc"],
                "endUtc": entry["endUtc"],
                **_rates_json(entry, str(index)),
            }
        )
    return windows


@dataclass(frozen=True)
class Rates:
    """USD per million tokens of each kind; None is not priced."""

    input: Decimal | None = None
    output: Decimal | None = None
    cached_input: Decimal | None = None
    cache_write: Decimal | None = None

    @classmethod
    def from_json(cls, entry: Mapping[str, Any]) -> Rates:
        values = [entry.get(name) for name in RATE_NAMES]
        return cls(*(None if value is None else Decimal(str(value)) for value in values))

    def over(self, other: Rates) -> Rates:
        """These rates where they are stated, `other`'s where they are not."""
        return Rates(
            self.input if self.input is not None else other.input,
            self.output if self.output is not None else other.output,
            self.cached_input if self.cached_input is not None else other.cached_input,
            self.cache_write if self.cache_write is not None else other.cache_write,
        )


@dataclass(frozen=True)
class Price:
    """One row of a model's price series."""

    rates: Rates
    tiers: tuple[dict[str, Any], ...] = ()
    windows: tuple[dict[str, Any], ...] = ()
    effective_from: datetime | None = None  # None: since the model was added
    id: int | None = None
    created_at: datetime | None = None

    @property
    def is_priced(self) -> bool:
        """Whether it states any price at all (a cleared price states none)."""
        stated = (self.rates.input, self.rates.output, self.rates.cached_input, self.rates.cache_write)
        return any(rate is not None for rate in stated) or bool(self.tiers) or bool(self.windows)


def _seconds_of_day(moment: datetime) -> float:
    return moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1_000_000


def _inside(window: Mapping[str, Any], moment: datetime) -> bool:
    if moment.isoweekday() not in window["weekdays"]:
        return False
    start = _minutes(window["startUtc"], "startUtc") * 60
    end = _minutes(window["endUtc"], "endUtc") * 60
    now = _seconds_of_day(moment)
    if start == end:
        return True  # the whole day
    if start < end:
        return start <= now < end
    return now >= start or now < end  # wraps past midnight


def window_at(windows: Sequence[Mapping[str, Any]], moment: datetime) -> dict[str, Any] | None:
    """The first window a moment falls inside: its UTC weekday is one of the window's and its time in [start, end)."""
    utc = moment.astimezone(UTC)
    for window in windows:
        if _inside(window, utc):
            return dict(window)
    return None


@dataclass(frozen=True)
class Cost:
    """What a request costs in USD, by kind of token, and the tier and window that priced it."""

    input_cost: Decimal
    output_cost: Decimal
    cached_input_cost: Decimal
    cache_write_cost: Decimal
    tier: dict[str, Any] | None
    window: dict[str, Any] | None
    rates: Rates

    @property
    def total(self) -> Decimal:
        return self.input_cost + self.output_cost + self.cached_input_cost + self.cache_write_cost


def request_rates(
    price_row: Price, moment: datetime, prompt_tokens: int
) -> tuple[Rates, dict[str, Any] | None, dict[str, Any] | None]:
    """The rates a request of this prompt size pays at this moment, and the tier and window that set them."""
    rates = price_row.rates
    window = window_at(price_row.windows, moment)
    if window is not None:
        rates = Rates.from_json(window).over(rates)
    tier = None
    for each in price_row.tiers:  # ascending
        if prompt_tokens < each["minPromptTokens"]:
            break
        rates = Rates.from_json(each).over(rates)
        tier = dict(each)
    # Cache reads and writes the provider prices at nothing of their own cost what input costs.
    rates = replace(
        rates,
        cached_input=rates.cached_input if rates.cached_input is not None else rates.input,
        cache_write=rates.cache_write if rates.cache_write is not None else rates.input,
    )
    return rates, tier, window


def cost_of(
    price_row: Price, moment: datetime, *, input_tokens: int, output_tokens: int, cached_tokens: int, write_tokens: int
) -> Cost | None:
    """The exact cost of a request priced by this row at this moment; None when a token it has is unpriced."""
    rates, tier, window = request_rates(price_row, moment, input_tokens + cached_tokens + write_tokens)
    parts = [
        (rates.input, input_tokens),
        (rates.output, output_tokens),
        (rates.cached_input, cached_tokens),
        (rates.cache_write, write_tokens),
    ]
    if any(rate is None and tokens > 0 for rate, tokens in parts) or not price_row.is_priced:
        return None
    with localcontext() as exact:
        exact.prec = 60  # 2**31 tokens times a 20-digit price fits with room to spare: nothing rounds
        each, out, cached, write = (tokens * (rate or Decimal(0)) / MILLION for rate, tokens in parts)
    return Cost(each, out, cached, write, tier=tier, window=window, rates=rates)


def next_boundary(series: Sequence[Price], after: datetime) -> datetime | None:
    """The first moment after `after` at which what the series bills changes (a cached answer's expiry).

    That is the next row's effectiveFrom, or a start or end of a discount window of
    the row in force, whichever comes first; None when nothing changes again.
    """
    moment = after.astimezone(UTC)
    later = [row.effective_from for row in series if row.effective_from is not None and row.effective_from > moment]
    upcoming = min(later) if later else None
    current = None
    for row in series:  # oldest first
        if row.effective_from is None or row.effective_from <= moment:
            current = row
    edges = []
    for window in current.windows if current is not None else ():
        for clock_text in (window["startUtc"], window["endUtc"]):
            minutes = _minutes(clock_text, "window")
            # the same time of day on each of the next eight days: a weekday set repeats weekly
            day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
            for offset in range(8):
                edge = day + timedelta(days=offset, minutes=minutes)
                if edge > moment:
                    edges.append(edge)
                    break
    candidates = [edge for edge in [upcoming, *edges] if edge is not None]
    return min(candidates) if candidates else None
