"""NormalizedModel's invariants, and how an API's statement and the hand-kept one become one model."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from adapters.base import NormalizedModel, Price
from adapters.stated import StatedModel, merge, normalize
from domain.choices import ModelStatus

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("tools", "vision", "capabilities"),
    [
        (False, False, ("streaming",)),
        (False, False, ("tools",)),
        (True, False, ()),
        (False, True, ("tools",)),
        (False, False, ("vision",)),
    ],
)
def test_a_normalized_model_keeps_the_vocabulary_and_the_flags_in_step(
    tools: bool, vision: bool, capabilities: tuple[str, ...]
) -> None:
    with pytest.raises(ValueError):
        NormalizedModel("m", "M", supports_tools=tools, supports_vision=vision, capabilities=capabilities)


def test_a_stated_model_refuses_a_tag_outside_the_vocabulary() -> None:
    with pytest.raises(ValueError):
        StatedModel("m", tags={"code": True})


def test_the_api_wins_where_it_states_a_value_and_the_hand_kept_file_fills_the_rest() -> None:
    api = StatedModel(
        "gpt-x", display_name=None, context_window=200_000, tags={"vision": False}, config={"id": "gpt-x"}
    )
    known = StatedModel(
        "gpt-x",
        display_name="GPT X",
        context_window=128_000,
        max_output_tokens=16_384,
        tags={"tools": True, "vision": True, "caching": True},
        pricing=Price(Decimal("2.5"), Decimal("10")),
    )
    model = normalize(merge(api, known), today=TODAY)
    assert (model.display_name, model.context_window, model.max_output_tokens) == ("GPT X", 200_000, 16_384)
    assert (model.supports_tools, model.supports_vision, model.capabilities) == (True, False, ("tools", "caching"))
    assert model.pricing == Price(Decimal("2.5"), Decimal("10"))
    assert model.config == {"id": "gpt-x"}


def test_an_unknown_model_is_its_id_with_no_price() -> None:
    model = normalize(merge(StatedModel("new-model"), None), today=TODAY)
    assert (model.display_name, model.capabilities, model.pricing, model.status) == (
        "new-model",
        (),
        Price(),
        ModelStatus.ACTIVE,
    )


@pytest.mark.parametrize(
    ("stated", "status"),
    [
        (StatedModel("m", archived=True), ModelStatus.ARCHIVED),
        (StatedModel("m", deprecated_at=date(2025, 3, 30)), ModelStatus.ARCHIVED),
        (StatedModel("m", retires_at=TODAY), ModelStatus.ARCHIVED),
        (StatedModel("m", deprecated_at=date(2027, 1, 5), retires_at=date(2027, 6, 1)), ModelStatus.ACTIVE),
        (StatedModel("m"), ModelStatus.ACTIVE),
    ],
)
def test_a_flag_or_a_date_reached_archives_a_model_and_the_dates_are_kept(
    stated: StatedModel, status: ModelStatus
) -> None:
    model = normalize(stated, today=TODAY)
    assert model.status is status
    assert (model.deprecated_at, model.retires_at) == (stated.deprecated_at, stated.retires_at)
