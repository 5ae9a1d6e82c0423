"""The hand-kept files: they load, they agree with the seed catalog, and a mistake in one is refused."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from adapters.base import Price
from adapters.handkept import hand_kept, read_hand_kept
from api.imports.seed import SEED_FILE
from domain.capabilities import CAPABILITIES
from domain.choices import ProviderKind

SEEDED = [ProviderKind.OPENAI, ProviderKind.ANTHROPIC, ProviderKind.GOOGLE, ProviderKind.GROQ, ProviderKind.MISTRAL]


def seed_models(kind: ProviderKind) -> list[dict[str, Any]]:
    document = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    return [model for model in document["models"] if model["provider"] == kind.value.lower()]


def decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


@pytest.mark.parametrize("kind", SEEDED)
def test_each_file_states_the_seed_catalogs_figures(kind: ProviderKind) -> None:
    known = hand_kept(kind)
    seeded = seed_models(kind)
    assert len(known) == len(seeded) > 0
    for seed in seeded:
        stated = known.lookup(seed["modelId"])
        assert stated is not None, seed["modelId"]
        assert (stated.display_name, stated.description) == (seed["displayName"], seed["description"])
        assert (stated.context_window, stated.max_output_tokens) == (seed["contextWindow"], seed["maxOutputTokens"])
        assert stated.tags["tools"] is seed["supportsTools"] and stated.tags["vision"] is seed["supportsVision"]
        assert {tag for tag, on in stated.tags.items() if on} == set(seed["capabilities"]) & set(CAPABILITIES)
        prices = seed["pricing"] or {}
        expected = Price(
            decimal(prices.get("inputPerMillion")),
            decimal(prices.get("outputPerMillion")),
            decimal(prices.get("cachedInputPerMillion")),
        )
        assert (stated.pricing or Price()) == expected


@pytest.mark.parametrize("kind", [ProviderKind.OPENROUTER, ProviderKind.OLLAMA, ProviderKind.OPENAI_COMPATIBLE])
def test_a_kind_whose_api_says_enough_has_no_file(kind: ProviderKind) -> None:
    assert len(hand_kept(kind)) == 0


@pytest.mark.parametrize(
    ("listed", "kept"),
    [("claude-haiku-4-5-20251001", "claude-haiku-4-5"), ("gpt-5.4-2026-03-05", "gpt-5.4"), ("gpt-5.4", "gpt-5.4")],
)
def test_a_dated_snapshot_finds_its_alias(listed: str, kept: str) -> None:
    kinds = {"claude": ProviderKind.ANTHROPIC, "gpt": ProviderKind.OPENAI}
    stated = hand_kept(kinds[listed.split("-")[0]]).lookup(listed)
    assert stated is not None and stated.model_id == kept


def test_tiers_are_read() -> None:
    known = read_hand_kept(
        {
            "models": {
                "m": {
                    "pricing": {
                        "inputPerMillion": "3",
                        "tiers": [{"minPromptTokens": 200001, "inputPerMillion": "6", "outputPerMillion": "22.5"}],
                    }
                }
            }
        }
    )
    stated = known.lookup("m")
    assert stated is not None and stated.pricing is not None
    tier = stated.pricing.tiers[0]
    assert (tier.min_prompt_tokens, tier.input_per_million, tier.output_per_million) == (
        200001,
        Decimal("6"),
        Decimal("22.5"),
    )


@pytest.mark.parametrize(
    "entry",
    [
        {"capabilities": ["tools", "streaming"]},
        {"contextLength": 8192},
        {"pricing": {"inputPerMillion": 2.5}},
        {"pricing": {"inputPrice": "2.5"}},
    ],
)
def test_a_mistake_in_a_file_is_refused(entry: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        read_hand_kept({"models": {"m": entry}})
