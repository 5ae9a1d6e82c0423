"""Groq: `active`, `context_window`, `max_completion_tokens`, and its speech and guard models left out."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from adapters.base import Price
from adapters.groq import GroqAdapter
from domain.choices import ModelStatus
from tests.adapters.support import listing_of


def groq(model_id: str, **fields: Any) -> dict[str, Any]:
    entry = {"id": model_id, "object": "model", "created": 1754408224, "owned_by": "Meta", "active": True}
    return entry | {"context_window": 131072, "public_apps": None, "max_completion_tokens": 8192} | fields


async def listing(router: respx.MockRouter, client: httpx.AsyncClient, *entries: dict[str, Any]) -> Any:
    return await listing_of(GroqAdapter, {"object": "list", "data": list(entries)}, router, client)


async def test_inactive_models_are_archived_and_the_api_gives_the_limits(
    router: respx.MockRouter, client: httpx.AsyncClient
) -> None:
    result = await listing(
        router,
        client,
        groq("openai/gpt-oss-120b", max_completion_tokens=32768),
        groq("llama3-70b-8192", active=False, context_window=8192),
    )
    oss, retired = result.models
    assert (oss.status, oss.context_window, oss.max_output_tokens) == (ModelStatus.ACTIVE, 131072, 32768)
    assert oss.pricing == Price(Decimal("0.15"), Decimal("0.6"), Decimal("0.075"))  # from the hand-kept file
    assert oss.capabilities == ("tools", "thinking", "json", "caching")
    assert (retired.status, retired.context_window) == (ModelStatus.ARCHIVED, 8192)


@pytest.mark.parametrize(
    "model_id",
    [
        "whisper-large-v3",
        "whisper-large-v3-turbo",
        "distil-whisper-large-v3-en",
        "playai-tts",
        "playai-tts-arabic",
        "canopylabs/orpheus-v1-english",
        "meta-llama/llama-guard-4-12b",
        "meta-llama/llama-prompt-guard-2-86m",
    ],
)
async def test_speech_and_safety_models_are_not_chat_models(
    router: respx.MockRouter, client: httpx.AsyncClient, model_id: str
) -> None:
    assert (await listing(router, client, groq(model_id))).models == ()


async def test_malformed_entries_are_skipped_and_reported(router: respx.MockRouter, client: httpx.AsyncClient) -> None:
    result = await listing(
        router,
        client,
        groq("a", active="no"),
        groq("b", context_window="131k"),
        groq("c", max_completion_tokens=True),
        groq("d"),
    )
    assert [model.model_id for model in result.models] == ["d"]
    assert result.warnings == (
        "skipped entry 0: 'a': active is not true or false",
        "skipped entry 1: 'b': context_window is not a whole number",
        "skipped entry 2: 'c': max_completion_tokens is not a whole number",
    )
