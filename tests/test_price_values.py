"""The price arithmetic and its parsers, as a table: tiers, windows, and when a cached price stops holding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from api.catalog.prices import Price, PriceProblem, Rates, check_tiers, check_windows, cost_of, next_boundary
from api.imports.litellm_prices import litellm_windows, per_million

MONDAY = datetime(2026, 11, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(4.0000000000000003e-07, "0.4"), (7.9e-07, "0.79"), (1.5e-07, "0.15"), (0.0, "0"), (3e-06, "3")],
)
def test_litellm_prices_become_exact_per_million_decimals(value, expected):
    assert per_million("input_cost_per_token", value) == expected


@pytest.mark.parametrize(
    ("tiers", "path"),
    [
        (
            [{"minPromptTokens": 10, "inputPerMillion": "1"}, {"minPromptTokens": 10, "inputPerMillion": "2"}],
            "1.minPromptTokens",
        ),
        ([{"minPromptTokens": 10}], "0"),
        ([{"minPromptTokens": 10, "inputPerMillion": "-1"}], "0.inputPerMillion"),
        ([{"minPromptTokens": 10, "inputPerMillion": "1", "extra": 1}], "0.extra"),
    ],
)
def test_bad_tiers_name_their_part(tiers, path):
    with pytest.raises(PriceProblem) as problem:
        check_tiers(tiers)
    assert problem.value.path == path


def test_a_window_wraps_past_midnight_by_the_moments_utc_weekday():
    [window] = check_windows([{"weekdays": [5], "startUtc": "22:00", "endUtc": "02:00", "inputPerMillion": "1"}])
    price = Price(Rates(Decimal(2), Decimal(4)), windows=(window,))
    friday_night = MONDAY + timedelta(days=4, hours=23)

    def window_of(moment):
        cost = cost_of(price, moment, input_tokens=1_000_000, output_tokens=0, cached_tokens=0, write_tokens=0)
        assert cost is not None
        return cost.window is not None, cost.total

    assert window_of(friday_night) == (True, Decimal(1))
    assert window_of(friday_night + timedelta(hours=2)) == (False, Decimal(2))  # Saturday is not one of its days
    assert window_of(MONDAY + timedelta(days=4, hours=1)) == (True, Decimal(1))  # Friday 01:00 is inside


def test_beijing_weekdays_become_utc_windows():
    row = {
        "off_peak_pricing": {
            "input_cost_per_token": 1e-07,
            "weekday_timezone": "Asia/Shanghai",
            "windows": [{"hours_utc": "10:00-00:00", "weekdays": [1]}],
        }
    }
    windows = [(w["weekdays"], w["startUtc"], w["endUtc"]) for w in litellm_windows(row)]
    # Monday in Beijing is UTC Monday until 16:00, and UTC Sunday from 16:00 on
    assert windows == [([1], "10:00", "16:00"), ([7], "16:00", "00:00")]


def test_a_cached_price_holds_until_the_next_row_or_window_edge():
    windows = tuple(check_windows([{"weekdays": [1], "startUtc": "16:30", "endUtc": "00:30", "inputPerMillion": "1"}]))
    later = MONDAY + timedelta(days=3)
    series = [Price(Rates(Decimal(2)), windows=windows), Price(Rates(Decimal(3)), effective_from=later)]
    assert next_boundary(series, MONDAY + timedelta(hours=12)) == MONDAY + timedelta(hours=16, minutes=30)
    assert next_boundary(series, MONDAY + timedelta(hours=17)) == MONDAY + timedelta(days=1, minutes=30)
    assert next_boundary(series[1:], MONDAY) == later
    assert next_boundary(series[1:], later) is None
