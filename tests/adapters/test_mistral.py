"""Mistral: chat models by `capabilities.completion_chat`, its flags as tags, and `deprecation`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from adapters.base import Price
from adapters.mistral import MistralAdapter
from domain.choices import ModelStatus
from tests.adapters.support import listing_of, load

NO_CAPABILITIES = {
    "completion_chat": False,
    "function_calling": False,
    "completion_fim": False,
    "fine_tuning": False,
    "vision": False,
    "ocr": False,
    "classification": False,
    "moderation": False,
    "audio": False,
}


def mistral(model_id: str, capabilities: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    entry = {"id": model_id, "object": "model", "created": 1766520693, "owned_by": "mistralai"}
    entry["capabilities"] = NO_CAPABILITIES | {"completion_chat": True} | (capabilities or {})
    return (
        entry
        | {"name": model_id, "description": None, "max_context_length": 32768, "aliases": [], "deprecation": None}
        | fields
    )


async def listing(router: respx.MockRouter, client: httpx.AsyncClient, *entries: dict[str, Any]) -> Any:
    return await listing_of(MistralAdapter, {"object": "list", "data": list(entries)}, router, client)


async def test_the_captured_list_maps_flags_and_lifecycle(router: respx.MockRouter, client: httpx.AsyncClient) -> None:
    result = await listing(router, client, *load("mistral_models.json")["data"])
    medium, nemo, devstral, mixtral = result.models
    assert (medium.display_name, medium.context_window) == ("Mistral Medium 3.5", 131072)  # the API's window wins
    assert medium.capabilities == (
        "tools",
        "vision",
        "thinking",
        "json",
    )  # no `reasoning` key before 2026: the file says
    assert medium.pricing == Price(Decimal("1.5"), Decimal("7.5"))
    assert medium.description == "Update on Mistral Medium 3 with improved capabilities."
    assert (nemo.display_name, nemo.capabilities) == ("open-mistral-nemo", ("tools",))
    assert devstral.status is ModelStatus.ACTIVE
    assert (mixtral.status, mixtral.deprecated_at) == (ModelStatus.ARCHIVED, date(2025, 3, 30))


@pytest.mark.parametrize(
    ("capabilities", "fields", "tags", "status"),
    [
        ({"reasoning": True, "audio": True}, {}, ("thinking", "audio"), ModelStatus.ACTIVE),
        ({"vision": True}, {"deprecation": "2061-06-30T00:00:00Z"}, ("vision",), ModelStatus.ACTIVE),
        (
            {},
            {"type": "fine-tuned", "archived": True, "job": "job-1", "root": "open-mistral-7b"},
            (),
            ModelStatus.ARCHIVED,
        ),
    ],
)
async def test_flags_become_tags_and_a_date_to_come_keeps_the_model(
    router: respx.MockRouter,
    client: httpx.AsyncClient,
    capabilities: dict[str, Any],
    fields: dict[str, Any],
    tags: tuple[str, ...],
    status: ModelStatus,
) -> None:
    (model,) = (await listing(router, client, mistral("ministral-x", capabilities, **fields))).models
    assert (model.capabilities, model.status) == (tags, status)


async def test_classifiers_and_ocr_are_not_chat_models(router: respx.MockRouter, client: httpx.AsyncClient) -> None:
    result = await listing(
        router,
        client,
        mistral("mistral-moderation-latest", {"completion_chat": False, "moderation": True}),
        mistral("mistral-ocr-latest", {"completion_chat": False, "ocr": True}),
        mistral("mistral-embed", {"completion_chat": False}),
    )
    assert result.models == () and result.warnings == ()


async def test_malformed_entries_are_skipped_and_reported(router: respx.MockRouter, client: httpx.AsyncClient) -> None:
    no_capabilities = mistral("a")
    del no_capabilities["capabilities"]
    result = await listing(
        router,
        client,
        no_capabilities,
        mistral("b", {"vision": "yes"}),
        mistral("c", deprecation="next spring"),
        mistral("d"),
    )
    assert [model.model_id for model in result.models] == ["d"]
    assert result.warnings == (
        "skipped entry 0: 'a': has no capabilities",
        "skipped entry 1: 'b': vision is not true or false",
        "skipped entry 2: 'c': deprecation: a date is not a date",
    )
