"""Ollama: tags then one show per model, capabilities and context length from show, a bounded fan-out."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from adapters.base import Price
from adapters.ollama import SHOW_CONCURRENCY, OllamaAdapter
from tests.adapters.cases import CASES
from tests.adapters.support import FakeTime, load

BASE = "http://127.0.0.1:11434"
(OLLAMA,) = [case for case in CASES if case.adapter is OllamaAdapter]


def adapter(client: httpx.AsyncClient, key: str | None = None) -> OllamaAdapter:
    return OllamaAdapter(base_url=BASE, api_key=key, client=client, policy=FakeTime().policy())


def tag(name: str, **fields: Any) -> dict[str, Any]:
    entry = {"name": name, "model": name, "modified_at": "2025-06-02T10:14:05.118246914+02:00", "size": 5225388164}
    return entry | {"digest": "0" * 64, "details": {"format": "gguf", "family": "llama", "families": None}} | fields


async def test_capabilities_and_context_come_from_show(router: respx.MockRouter, client: httpx.AsyncClient) -> None:
    OLLAMA.mount(router, BASE)
    deepseek, llama, qwen = (await adapter(client).list_models()).models
    assert (deepseek.model_id, deepseek.context_window, deepseek.capabilities) == ("deepseek-r1", 131072, ("thinking",))
    assert (llama.model_id, llama.context_window, llama.capabilities) == ("llama3.2", 8192, ("vision",))
    assert (qwen.model_id, qwen.context_window, qwen.capabilities) == ("qwen3:8b", 40960, ("tools", "thinking"))
    assert qwen.pricing == Price(Decimal(0), Decimal(0), Decimal(0))
    assert set(qwen.config["show"]) == {"capabilities", "details", "model_info", "modified_at"}  # no license text
    assert qwen.config["tag"]["digest"].startswith("500a1f06")


async def test_no_key_sends_no_authorization(router: respx.MockRouter, client: httpx.AsyncClient) -> None:
    routes = OLLAMA.mount(router, BASE)
    await adapter(client).list_models()
    assert all("authorization" not in route.calls.last.request.headers for route in routes)


@pytest.mark.parametrize(
    ("show", "context_window", "capabilities"),
    [
        (
            {
                "model_info": {
                    "general.architecture": "gemma3",
                    "gemma3.context_length": 131072,
                    "gemma3.vision.image_size": 896,
                },
                "capabilities": ["completion", "vision"],
            },
            131072,
            ("vision",),
        ),
        (
            {"model_info": {"general.architecture": "phi3", "phi3.context_length": 16384}},
            16384,
            (),
        ),  # before capabilities existed
        (
            {"model_info": {"llama.context_length": 8192}, "capabilities": ["completion", "tools", "insert"]},
            8192,
            ("tools",),
        ),
        ({"capabilities": ["completion", "audio"]}, None, ("audio",)),
    ],
)
async def test_show_answers_of_several_ages(
    router: respx.MockRouter,
    client: httpx.AsyncClient,
    show: dict[str, Any],
    context_window: int | None,
    capabilities: tuple[str, ...],
) -> None:
    router.get(BASE + "/api/tags").respond(200, json={"models": [tag("m:7b")]})
    router.post(BASE + "/api/show").respond(200, json=show)
    (model,) = (await adapter(client).list_models()).models
    assert (model.context_window, model.capabilities) == (context_window, capabilities)


async def test_a_context_length_in_tags_is_used_when_show_has_none(
    router: respx.MockRouter, client: httpx.AsyncClient
) -> None:
    details = {"format": "gguf", "family": "qwen3", "context_length": 40960}
    router.get(BASE + "/api/tags").respond(200, json={"models": [tag("qwen3:8b", details=details)]})
    router.post(BASE + "/api/show").respond(200, json={"capabilities": ["completion"]})
    (model,) = (await adapter(client).list_models()).models
    assert model.context_window == 40960


async def test_a_cloud_model_has_no_price(router: respx.MockRouter, client: httpx.AsyncClient) -> None:
    router.get(BASE + "/api/tags").respond(
        200,
        json={"models": [tag("gpt-oss:120b-cloud", remote_model="gpt-oss:120b", remote_host="https://ollama.com:443")]},
    )
    router.post(BASE + "/api/show").respond(200, json={"capabilities": ["completion", "tools", "thinking"]})
    (model,) = (await adapter(client).list_models()).models
    assert model.pricing == Price()


async def test_embedding_only_models_are_not_chat_models(router: respx.MockRouter, client: httpx.AsyncClient) -> None:
    router.get(BASE + "/api/tags").respond(200, json={"models": [tag("nomic-embed-text:latest"), tag("flux:latest")]})
    router.post(BASE + "/api/show", json={"model": "nomic-embed-text:latest"}).respond(
        200, json=load("ollama_show_nomic-embed-text.json")
    )
    router.post(BASE + "/api/show", json={"model": "flux:latest"}).respond(200, json={"capabilities": ["image"]})
    assert (await adapter(client).list_models()).models == ()


async def test_malformed_tags_are_skipped_and_reported_without_a_show(
    router: respx.MockRouter, client: httpx.AsyncClient
) -> None:
    router.get(BASE + "/api/tags").respond(
        200, json={"models": [{"size": 1}, "llama3", tag("qwen3:8b"), tag("bad:1b")]}
    )
    shows = router.post(BASE + "/api/show", json={"model": "qwen3:8b"}).respond(
        200, json=load("ollama_show_qwen3.json")
    )
    router.post(BASE + "/api/show", json={"model": "bad:1b"}).respond(200, json={"capabilities": "completion"})
    result = await adapter(client).list_models()
    assert [model.model_id for model in result.models] == ["qwen3:8b"]
    assert result.warnings == (
        "skipped entry 0: has no name",
        "skipped entry 1: the entry is not an object",
        "skipped entry 3: 'bad:1b': capabilities is not a list of strings",
    )
    assert shows.call_count == 1
    assert len(router.calls) == 3


async def test_show_requests_run_a_few_at_a_time(router: respx.MockRouter, client: httpx.AsyncClient) -> None:
    names = [f"model-{number}:7b" for number in range(12)]
    router.get(BASE + "/api/tags").respond(200, json={"models": [tag(name) for name in names]})
    running, most = 0, 0

    async def show(request: httpx.Request) -> httpx.Response:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01)
        running -= 1
        return httpx.Response(
            200, json={"capabilities": ["completion"], "details": {"family": json.loads(request.content)["model"]}}
        )

    router.post(BASE + "/api/show").mock(side_effect=show)
    result = await adapter(client).list_models()
    assert [model.model_id for model in result.models] == names
    assert [model.config["show"]["details"]["family"] for model in result.models] == names
    assert 1 < most <= SHOW_CONCURRENCY
