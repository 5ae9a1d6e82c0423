"""Google: generateContent models only, ids without `models/`, limits and tags from the list."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from adapters.base import Price
from adapters.google import GoogleAdapter
from tests.adapters.support import listing_of, load


def body(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"models": list(entries)}


def gemini(name: str, **fields: Any) -> dict[str, Any]:
    entry = {
        "name": f"models/{name}",
        "version": "001",
        "displayName": name,
        "inputTokenLimit": 1048576,
        "outputTokenLimit": 65536,
        "supportedGenerationMethods": ["generateContent", "countTokens"],
    }
    return entry | fields


async def listing(router: respx.MockRouter, client: httpx.AsyncClient, *entries: dict[str, Any]) -> Any:
    return await listing_of(GoogleAdapter, body(*entries), router, client, path="/v1beta/models")


async def test_the_captured_page_gives_ids_limits_and_tags(router: respx.MockRouter, client: httpx.AsyncClient) -> None:
    result = await listing(router, client, *load("google_page1.json")["models"])
    flash, _, flash2, gemma = result.models
    assert (flash.model_id, flash.display_name, flash.context_window, flash.max_output_tokens) == (
        "gemini-2.5-flash",
        "Gemini 2.5 Flash",
        1048576,
        65536,
    )
    assert flash.capabilities == ("thinking", "caching")
    assert flash2.capabilities == ("caching",)  # no `thinking` key: proto3 leaves false out
    assert (gemma.model_id, gemma.description, gemma.capabilities) == ("gemma-3-27b-it", None, ())
    assert flash.config["name"] == "models/gemini-2.5-flash"


@pytest.mark.parametrize(
    ("entry", "listed"),
    [
        (gemini("gemini-2.5-flash-lite"), True),
        (gemini("gemini-embedding-001", supportedGenerationMethods=["embedContent", "countTokens"]), False),
        (gemini("imagen-4.0-generate-001", supportedGenerationMethods=["predict"]), False),
        (gemini("veo-3.1-generate-preview", supportedGenerationMethods=["predictLongRunning"]), False),
        (gemini("aqa", supportedGenerationMethods=["generateAnswer"]), False),
        (gemini("gemini-2.5-flash-preview-tts"), False),
        (gemini("gemini-2.5-flash-image"), False),
        (gemini("gemini-2.0-flash-live-001", supportedGenerationMethods=["bidiGenerateContent"]), False),
    ],
)
async def test_only_text_chat_models_are_listed(
    router: respx.MockRouter, client: httpx.AsyncClient, entry: dict[str, Any], listed: bool
) -> None:
    result = await listing(router, client, entry)
    assert len(result.models) == (1 if listed else 0)


async def test_the_hand_kept_file_adds_prices_and_the_api_keeps_its_limits(
    router: respx.MockRouter, client: httpx.AsyncClient
) -> None:
    result = await listing(
        router, client, gemini("gemini-3.5-flash", inputTokenLimit=2097152, displayName="Gemini 3.5 Flash")
    )
    (flash,) = result.models
    assert flash.context_window == 2097152
    assert flash.pricing == Price(Decimal("1.5"), Decimal("9"), Decimal("0.15"))
    assert flash.capabilities == ("tools", "vision", "thinking", "json", "caching", "pdf", "audio", "web_search")


async def test_malformed_entries_are_skipped_and_reported(router: respx.MockRouter, client: httpx.AsyncClient) -> None:
    result = await listing(
        router,
        client,
        {"displayName": "no name", "supportedGenerationMethods": ["generateContent"]},
        gemini("gemini-a", supportedGenerationMethods="generateContent"),
        gemini("gemini-b", inputTokenLimit=1.5),
        gemini("gemini-c", thinking="true"),
        gemini("gemini-d"),
    )
    assert [model.model_id for model in result.models] == ["gemini-d"]
    assert result.warnings == (
        "skipped entry 0: has no name",
        "skipped entry 1: 'models/gemini-a': supportedGenerationMethods is not a list of strings",
        "skipped entry 2: 'models/gemini-b': inputTokenLimit is not a whole number",
        "skipped entry 3: 'models/gemini-c': thinking is not true or false",
    )


async def test_an_empty_page_token_ends_the_listing(router: respx.MockRouter, client: httpx.AsyncClient) -> None:
    result = await listing_of(
        GoogleAdapter, {"models": [gemini("gemini-d")], "nextPageToken": ""}, router, client, path="/v1beta/models"
    )
    assert [model.model_id for model in result.models] == ["gemini-d"]
