"""Anthropic: names and limits from the list, 2026 capabilities, lifecycle, and its cursor."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from adapters.anthropic import AnthropicAdapter
from adapters.base import Price
from adapters.errors import ProviderError
from domain.choices import ModelStatus
from tests.adapters.support import FakeTime, listing_of, load

URL = "https://api.anthropic.com/v1/models"


def page(*entries: dict[str, Any], **paging: Any) -> dict[str, Any]:
    return {"data": list(entries), "has_more": False, "first_id": None, "last_id": None, **paging}


def model(model_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": "model",
        "id": model_id,
        "display_name": model_id.title(),
        "created_at": "2025-10-01T00:00:00Z",
        **fields,
    }


async def listing(router: respx.MockRouter, client: httpx.AsyncClient, *entries: dict[str, Any]) -> Any:
    return await listing_of(AnthropicAdapter, page(*entries), router, client, path="/v1/models")


async def test_the_2026_shape_states_limits_and_capabilities(
    router: respx.MockRouter, client: httpx.AsyncClient
) -> None:
    result = await listing(router, client, load("anthropic_2026_entry.json"))
    (sonnet,) = result.models
    assert (sonnet.display_name, sonnet.context_window, sonnet.max_output_tokens) == (
        "Claude Sonnet 4.5",
        200_000,
        64_000,
    )
    assert sonnet.capabilities == ("tools", "vision", "thinking", "json", "pdf")
    assert sonnet.status is ModelStatus.ACTIVE


async def test_a_capability_the_api_denies_beats_the_hand_kept_file(
    router: respx.MockRouter, client: httpx.AsyncClient
) -> None:
    entry = load("anthropic_2026_entry.json") | {"id": "claude-haiku-4-5-20251001"}
    entry["capabilities"]["pdf_input"] = {"supported": False}
    result = await listing(router, client, entry)
    (haiku,) = result.models
    assert haiku.capabilities == ("tools", "vision", "thinking", "json", "caching")  # caching from the file
    assert haiku.pricing == Price(Decimal("1"), Decimal("5"), Decimal("0.1"))
    assert haiku.display_name == "Claude Sonnet 4.5"  # the API's name wins over the file's


@pytest.mark.parametrize(
    ("lifecycle", "status", "deprecated_at", "retires_at"),
    [
        (
            {"lifecycle": "deprecated", "deprecated_at": "2026-08-01T00:00:00Z", "retires_at": "2099-01-01T00:00:00Z"},
            ModelStatus.ARCHIVED,
            date(2026, 8, 1),
            None,
        ),
        (
            {"lifecycle": "retired", "deprecated_at": "2025-01-06T00:00:00Z", "retires_at": "2025-07-21T00:00:00Z"},
            ModelStatus.ARCHIVED,
            date(2025, 1, 6),
            date(2025, 7, 21),
        ),
        ({"lifecycle": "active", "deprecated_at": None, "retires_at": None}, ModelStatus.ACTIVE, None, None),
        (
            {"lifecycle": "active", "retires_at": "2061-03-01T00:00:00+02:00"},
            ModelStatus.ACTIVE,
            None,
            date(2061, 2, 28),
        ),
        ({}, ModelStatus.ACTIVE, None, None),
    ],
)
async def test_lifecycle_archives_deprecated_and_retired_models(
    router: respx.MockRouter,
    client: httpx.AsyncClient,
    lifecycle: dict[str, Any],
    status: ModelStatus,
    deprecated_at: date | None,
    retires_at: date | None,
) -> None:
    result = await listing(router, client, model("claude-3-opus-20240229", **lifecycle))
    (opus,) = result.models
    assert (opus.status, opus.deprecated_at, opus.retires_at) == (status, deprecated_at, retires_at)


async def test_malformed_entries_are_skipped_and_reported(router: respx.MockRouter, client: httpx.AsyncClient) -> None:
    result = await listing(
        router,
        client,
        {"type": "model", "display_name": "No id"},
        model("claude-a", max_tokens="64k"),
        model("claude-b", capabilities=["vision"]),
        model("claude-c", capabilities={"image_input": {"supported": "yes"}}),
        model("claude-d"),
    )
    assert [each.model_id for each in result.models] == ["claude-d"]
    assert result.warnings == (
        "skipped entry 0: has no id",
        "skipped entry 1: 'claude-a': max_tokens is not a whole number",
        "skipped entry 2: 'claude-b': capabilities is not an object",
        "skipped entry 3: 'claude-c': supported is not true or false",
    )


@pytest.mark.parametrize(
    ("first", "reason"),
    [
        (
            page(model("claude-a"), has_more=True, last_id=None),
            "the model list says it has more pages but names no last_id",
        ),
        (page(model("claude-a"), has_more=True, last_id="claude-a"), "the model list's pages do not advance"),
    ],
)
async def test_a_cursor_that_cannot_be_followed_is_a_provider_error(
    router: respx.MockRouter, client: httpx.AsyncClient, first: dict[str, Any], reason: str
) -> None:
    router.get(URL, params__eq={"limit": "1000"}).respond(200, json=first)
    router.get(URL, params__eq={"limit": "1000", "after_id": "claude-a"}).respond(200, json=first)
    adapter = AnthropicAdapter(base_url=None, api_key="k", client=client, policy=FakeTime().policy())
    with pytest.raises(ProviderError) as raised:
        await adapter.list_models()
    assert raised.value.reason == reason


async def test_an_empty_last_page_ends_the_listing(router: respx.MockRouter, client: httpx.AsyncClient) -> None:
    router.get(URL, params__eq={"limit": "1000"}).respond(
        200, json=page(model("claude-a"), has_more=True, last_id="claude-a")
    )
    router.get(URL, params__eq={"limit": "1000", "after_id": "claude-a"}).respond(
        200, json={"data": [], "has_more": False, "first_id": None, "last_id": None}
    )
    adapter = AnthropicAdapter(base_url=None, api_key="k", client=client, policy=FakeTime().policy())
    assert [each.model_id for each in (await adapter.list_models()).models] == ["claude-a"]
