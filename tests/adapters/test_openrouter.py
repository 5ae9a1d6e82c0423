"""OpenRouter: exact prices from decimal text, tiers, tags from parameters and modalities, expiration."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from adapters.base import Price, PriceTier
from adapters.errors import ProviderError
from adapters.fields import Fields, MalformedEntry
from adapters.openrouter import OpenRouterAdapter, per_million, read_price
from domain.choices import ModelStatus
from tests.adapters.support import FakeTime, listing_of, load

URL = "https://openrouter.ai/api/v1/models"


@pytest.mark.parametrize(
    ("per_token", "expected"),
    [
        ("0.0000025", "2.5"),
        ("0.00000015", "0.15"),
        ("0.000000075", "0.075"),
        ("0.00000375", "3.75"),
        ("0.000015", "15"),
        ("0.01", "10000"),
        ("0", "0"),
        ("0.0", "0"),
        (" 0.000003 ", "3"),
        ("2.5e-06", "2.5"),
        (2.5e-06, "2.5"),
        (7.9e-07, "0.79"),  # float arithmetic gives 0.7899999999999999
        (0, "0"),
    ],
)
def test_a_per_token_price_is_an_exact_per_million_decimal(per_token: object, expected: str) -> None:
    price = per_million(per_token)
    assert price == Decimal(expected) and str(price) == expected


@pytest.mark.parametrize("per_token", ["-1", "-0.000001", -1, None])
def test_a_negative_price_is_no_price(per_token: object) -> None:
    assert per_million(per_token) is None


@pytest.mark.parametrize("per_token", ["abc", "", "NaN", "Infinity", "1,5", True, [], {"usd": "1"}])
def test_a_price_that_is_not_a_number_is_malformed(per_token: object) -> None:
    with pytest.raises(MalformedEntry):
        per_million(per_token)


def test_overrides_by_prompt_size_become_tiers() -> None:
    pricing = {
        "prompt": "0.00000125",
        "completion": "0.00001",
        "input_cache_read": "0.00000031",
        "overrides": [
            {"min_prompt_tokens": 1000000, "prompt": "0.000005"},
            {
                "min_prompt_tokens": 200001,
                "prompt": "0.0000025",
                "completion": "0.000015",
                "input_cache_read": "0.000000625",
            },
        ],
    }
    assert read_price(Fields(pricing)) == Price(
        Decimal("1.25"),
        Decimal("10"),
        Decimal("0.31"),
        None,
        tiers=(
            PriceTier(200001, Decimal("2.5"), Decimal("15"), Decimal("0.625")),
            PriceTier(1000000, Decimal("5")),
        ),
    )


@pytest.mark.parametrize(
    "pricing",
    [
        {"prompt": "1", "overrides": {"min_prompt_tokens": 1}},
        {"prompt": "1", "overrides": ["0.000005"]},
        {"prompt": "1", "overrides": [{"prompt": "0.000005"}]},
        {"prompt": "1", "overrides": [{"min_prompt_tokens": 200001, "prompt": "lots"}]},
    ],
)
def test_a_broken_override_is_malformed(pricing: dict[str, Any]) -> None:
    with pytest.raises(MalformedEntry):
        read_price(Fields(pricing))


def router_model(**fields: Any) -> dict[str, Any]:
    entry = {
        "id": "vendor/model",
        "name": "Vendor: Model",
        "created": 1733506137,
        "context_length": 131072,
        "architecture": {"modality": "text->text", "input_modalities": ["text"], "output_modalities": ["text"]},
        "pricing": {"prompt": "0.000001", "completion": "0.000002"},
        "top_provider": {"context_length": 131072, "max_completion_tokens": 8192, "is_moderated": False},
        "supported_parameters": ["max_tokens", "temperature"],
    }
    return entry | fields


async def listing(router: respx.MockRouter, client: httpx.AsyncClient, *entries: dict[str, Any]) -> Any:
    return await listing_of(OpenRouterAdapter, {"data": list(entries)}, router, client, key=None)


async def test_the_captured_catalog(router: respx.MockRouter, client: httpx.AsyncClient) -> None:
    result = await listing(router, client, *load("openrouter_models.json")["data"])
    mini, sonnet, llama = result.models
    assert (mini.display_name, mini.context_window, mini.max_output_tokens) == ("OpenAI: GPT-4o-mini", 128000, 16384)
    assert mini.pricing == Price(Decimal("0.15"), Decimal("0.6"), Decimal("0.075"))
    assert mini.capabilities == ("tools", "vision", "json", "caching", "pdf")
    assert sonnet.pricing == Price(Decimal("3"), Decimal("15"), Decimal("0.3"), Decimal("3.75"))
    assert sonnet.capabilities == ("tools", "vision", "thinking", "json", "caching", "pdf")
    assert (llama.pricing, llama.capabilities, llama.max_output_tokens) == (Price(Decimal(0), Decimal(0)), (), 2048)


@pytest.mark.parametrize(
    ("fields", "tags"),
    [
        ({"supported_parameters": ["tools", "tool_choice"]}, ("tools",)),
        ({"supported_parameters": ["reasoning"]}, ("thinking",)),
        ({"supported_parameters": ["include_reasoning"]}, ("thinking",)),
        ({"supported_parameters": ["response_format"]}, ("json",)),
        ({"supported_parameters": ["structured_outputs"]}, ("json",)),
        ({"architecture": {"input_modalities": ["text", "image"], "output_modalities": ["text"]}}, ("vision",)),
        ({"architecture": {"input_modalities": ["text", "file"], "output_modalities": ["text"]}}, ("pdf",)),
        ({"architecture": {"input_modalities": ["text", "audio"], "output_modalities": ["text"]}}, ("audio",)),
        ({"architecture": {"modality": "text+image->text"}}, ("vision",)),
        ({"pricing": {"prompt": "0.000001", "completion": "0.000002", "input_cache_read": "0.0000001"}}, ("caching",)),
        ({"supported_parameters": ["web_search_options", "seed", "logprobs"]}, ()),
    ],
)
async def test_parameters_and_modalities_become_tags(
    router: respx.MockRouter, client: httpx.AsyncClient, fields: dict[str, Any], tags: tuple[str, ...]
) -> None:
    (model,) = (await listing(router, client, router_model(**fields))).models
    assert model.capabilities == tags
    assert (model.supports_tools, model.supports_vision) == ("tools" in tags, "vision" in tags)


@pytest.mark.parametrize(
    "architecture",
    [
        {"modality": "text+image->image", "input_modalities": ["text", "image"], "output_modalities": ["image"]},
        {"modality": "text->text+image", "input_modalities": ["text"], "output_modalities": ["text", "image"]},
        {"input_modalities": ["text"], "output_modalities": ["embeddings"]},
        {"modality": "text->audio"},
    ],
)
async def test_only_text_output_models_are_listed(
    router: respx.MockRouter, client: httpx.AsyncClient, architecture: dict[str, Any]
) -> None:
    assert (await listing(router, client, router_model(architecture=architecture))).models == ()


async def test_the_auto_router_has_no_price(router: respx.MockRouter, client: httpx.AsyncClient) -> None:
    auto = router_model(id="openrouter/auto", pricing={"prompt": "-1", "completion": "-1"}, context_length=2000000)
    (model,) = (await listing(router, client, auto)).models
    assert model.pricing == Price()


@pytest.mark.parametrize(
    ("expiration_date", "status", "retires_at"),
    [
        ("2025-11-30", ModelStatus.ARCHIVED, date(2025, 11, 30)),
        ("2098-12-31", ModelStatus.ACTIVE, None),  # OpenRouter's "no end date"
        ("2061-01-01", ModelStatus.ACTIVE, date(2061, 1, 1)),
        (None, ModelStatus.ACTIVE, None),
    ],
)
async def test_an_expiration_date_passed_archives_a_model_and_a_far_future_one_is_none(
    router: respx.MockRouter,
    client: httpx.AsyncClient,
    expiration_date: str | None,
    status: ModelStatus,
    retires_at: date | None,
) -> None:
    (model,) = (await listing(router, client, router_model(expiration_date=expiration_date))).models
    assert (model.status, model.retires_at) == (status, retires_at)


async def test_malformed_entries_are_skipped_and_reported(router: respx.MockRouter, client: httpx.AsyncClient) -> None:
    result = await listing(
        router,
        client,
        router_model(id=None),
        router_model(id="a/b", pricing={"prompt": "cheap"}),
        router_model(id="a/c", supported_parameters="tools"),
        router_model(id="a/d"),
    )
    assert [model.model_id for model in result.models] == ["a/d"]
    assert result.warnings == (
        "skipped entry 0: has no id",
        "skipped entry 1: 'a/b': pricing.prompt: a price is not a number",
        "skipped entry 2: 'a/c': supported_parameters is not a list of strings",
    )


async def test_no_key_sends_no_authorization(router: respx.MockRouter, client: httpx.AsyncClient) -> None:
    await listing(router, client, router_model())
    assert "authorization" not in router.calls.last.request.headers


async def test_a_next_link_is_asked_of_our_own_base_only(router: respx.MockRouter, client: httpx.AsyncClient) -> None:
    first = {"data": [router_model(id="a/1")], "links": {"next": "https://elsewhere.example/api/v1/models?offset=1"}}
    router.get(URL, params__eq={}).respond(200, json=first)
    second = router.get(URL, params__eq={"offset": "1"}).respond(200, json={"data": [router_model(id="a/2")]})
    adapter = OpenRouterAdapter(base_url=None, api_key="sk-or-v1-x", client=client, policy=FakeTime().policy())
    assert [model.model_id for model in (await adapter.list_models()).models] == ["a/1", "a/2"]
    assert second.calls.last.request.url.host == "openrouter.ai"


async def test_a_next_link_without_a_page_is_a_provider_error(
    router: respx.MockRouter, client: httpx.AsyncClient
) -> None:
    router.get(URL).respond(200, json={"data": [router_model()], "links": {"next": "/api/v1/models"}})
    adapter = OpenRouterAdapter(base_url=None, api_key=None, client=client, policy=FakeTime().policy())
    with pytest.raises(ProviderError):
        await adapter.list_models()
