"""Self-hosted OpenAI-compatible servers (vLLM, LM Studio, llama.cpp), and the base URL and key checks."""

from __future__ import annotations

import httpx
import pytest
import respx

from adapters.errors import ProviderError
from adapters.openai_compatible import OpenAICompatibleAdapter
from tests.adapters.support import KEY, FakeTime, listing_of, load

BASE = "http://127.0.0.1:1234/v1"


@pytest.mark.parametrize(
    ("body", "windows"),
    [
        (
            "vllm_models.json",
            {
                "Qwen/Qwen2.5-7B-Instruct": 32768,
                "sql-lora": None,  # LoRA cards carry null
                "support-tone-lora": None,
                "/llm_reco_ssd/zangdunju/vllm/models/test/": 32768,
            },
        ),
        ("lmstudio_models.json", {"qwen2.5-7b-instruct": None, "qwen/qwen3-4b-thinking-2507": None}),
        ("llamacpp_models.json", {"qwen2.5-coder-7b-instruct-q4_k_m.gguf": 32768}),
    ],
)
async def test_each_servers_list_gives_ids_and_context_windows(
    router: respx.MockRouter, client: httpx.AsyncClient, body: str, windows: dict[str, int | None]
) -> None:
    listing = await listing_of(OpenAICompatibleAdapter, load(body), router, client, base_url=BASE, key=None)
    assert {model.model_id: model.context_window for model in listing.models} == windows
    assert all(model.pricing.input_per_million is None for model in listing.models)


async def test_a_key_is_sent_as_bearer_and_none_sends_nothing(
    router: respx.MockRouter, client: httpx.AsyncClient
) -> None:
    await listing_of(OpenAICompatibleAdapter, load("lmstudio_models.json"), router, client, base_url=BASE, key=None)
    assert "authorization" not in router.calls.last.request.headers
    await listing_of(
        OpenAICompatibleAdapter, load("lmstudio_models.json"), router, client, base_url=BASE, key=f" {KEY}\n"
    )
    assert router.calls.last.request.headers["authorization"] == f"Bearer {KEY}"


def test_a_server_without_a_base_url_is_a_provider_error(client: httpx.AsyncClient) -> None:
    with pytest.raises(ProviderError) as raised:
        OpenAICompatibleAdapter(base_url="  ", api_key=None, client=client)
    assert str(raised.value) == "OpenAI-compatible: no base URL is set for this provider"


@pytest.mark.parametrize("key", [f"{KEY}\nX-Injected: 1", f"sk-{KEY}-é", f"{KEY}\x00"])
def test_a_key_no_header_can_carry_is_refused_without_quoting_it(client: httpx.AsyncClient, key: str) -> None:
    with pytest.raises(ProviderError) as raised:
        OpenAICompatibleAdapter(base_url=BASE, api_key=key, client=client)
    assert raised.value.reason == "the API key contains characters an HTTP header cannot carry"
    assert KEY not in str(raised.value)


async def test_a_vllm_that_wants_a_key_is_refused_cleanly(router: respx.MockRouter, client: httpx.AsyncClient) -> None:
    router.get(BASE + "/models").respond(401, json=load("vllm_401.json"))
    adapter = OpenAICompatibleAdapter(base_url=BASE, api_key=None, client=client, policy=FakeTime().policy())
    with pytest.raises(ProviderError) as raised:
        await adapter.list_models()
    assert str(raised.value) == "OpenAI-compatible: the API key was refused (HTTP 401)"
