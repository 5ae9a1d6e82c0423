"""OpenAI: only text chat models, the hand-kept file's figures, and `shutdown_date`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from adapters.base import Price
from adapters.openai import OpenAIAdapter
from domain.choices import ModelStatus
from tests.adapters.support import listing_of


def body(*entries: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [{"object": "model", "created": 1744316542, "owned_by": "system", **entry} for entry in entries],
    }


@pytest.mark.parametrize(
    ("model_id", "chat"),
    [
        ("gpt-4o", True),
        ("o3", True),
        ("chatgpt-4o-latest", True),
        ("gpt-4o-search-preview", True),
        ("ft:gpt-4o-mini-2024-07-18:acme::AbC123", True),
        ("text-embedding-3-small", False),
        ("whisper-1", False),
        ("tts-1-hd", False),
        ("gpt-4o-mini-tts", False),
        ("gpt-4o-transcribe", False),
        ("gpt-4o-audio-preview", False),
        ("gpt-realtime", False),
        ("dall-e-3", False),
        ("gpt-image-1", False),
        ("sora-2", False),
        ("omni-moderation-latest", False),
        ("davinci-002", False),
        ("babbage-002", False),
        ("gpt-3.5-turbo-instruct", False),
        ("computer-use-preview", False),
    ],
)
async def test_only_text_chat_models_are_listed(
    router: respx.MockRouter, client: httpx.AsyncClient, model_id: str, chat: bool
) -> None:
    listing = await listing_of(OpenAIAdapter, body({"id": model_id}), router, client)
    assert [model.model_id for model in listing.models] == ([model_id] if chat else [])


async def test_the_hand_kept_file_gives_what_the_list_does_not(
    router: respx.MockRouter, client: httpx.AsyncClient
) -> None:
    listing = await listing_of(OpenAIAdapter, body({"id": "gpt-5.4-mini"}, {"id": "gpt-4o"}), router, client)
    known, unknown = listing.models
    assert (known.display_name, known.context_window, known.max_output_tokens) == ("GPT-5.4 mini", 400_000, 128_000)
    assert known.capabilities == ("tools", "vision", "thinking", "json", "caching")
    assert known.pricing == Price(Decimal("0.75"), Decimal("4.5"), Decimal("0.075"))
    assert (unknown.display_name, unknown.pricing, unknown.capabilities) == ("gpt-4o", Price(), ())
    assert known.config == {"id": "gpt-5.4-mini", "object": "model", "created": 1744316542, "owned_by": "system"}


@pytest.mark.parametrize(
    ("shutdown_date", "status", "retires_at"),
    [
        ("2026-01-15", ModelStatus.ARCHIVED, date(2026, 1, 15)),
        ("2099-10-23", ModelStatus.ACTIVE, None),  # beyond fifty years: a sentinel, not a plan
        ("2060-10-23", ModelStatus.ACTIVE, date(2060, 10, 23)),
        (None, ModelStatus.ACTIVE, None),
    ],
)
async def test_shutdown_date_is_the_retirement(
    router: respx.MockRouter,
    client: httpx.AsyncClient,
    shutdown_date: str | None,
    status: ModelStatus,
    retires_at: date | None,
) -> None:
    listing = await listing_of(OpenAIAdapter, body({"id": "gpt-4", "shutdown_date": shutdown_date}), router, client)
    (model,) = listing.models
    assert (model.status, model.retires_at) == (status, retires_at)


async def test_malformed_entries_are_skipped_and_reported(router: respx.MockRouter, client: httpx.AsyncClient) -> None:
    entries = [
        {"object": "model"},
        {"id": 42},
        {"id": "  "},
        "gpt-4o",
        {"id": "gpt-4.1", "shutdown_date": "soon"},
        {"id": "gpt-4o"},
        {"id": "gpt-4o"},
    ]
    listing = await listing_of(OpenAIAdapter, {"object": "list", "data": entries}, router, client)
    assert [model.model_id for model in listing.models] == ["gpt-4o"]
    assert listing.warnings == (
        "skipped entry 0: has no id",
        "skipped entry 1: has no id",
        "skipped entry 2: has no id",
        "skipped entry 3: the entry is not an object",
        "skipped entry 4: 'gpt-4.1': shutdown_date: a date is not a date",
        "skipped entry 6: a second entry for 'gpt-4o'",
    )
