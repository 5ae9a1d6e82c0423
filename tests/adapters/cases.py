"""One row per adapter: where it lists, the recorded answers it gets, and the models it must return."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import respx

from adapters.anthropic import AnthropicAdapter
from adapters.base import Adapter
from adapters.google import GoogleAdapter
from adapters.groq import GroqAdapter
from adapters.mistral import MistralAdapter
from adapters.ollama import OllamaAdapter
from adapters.openai import OpenAIAdapter
from adapters.openai_compatible import OpenAICompatibleAdapter
from adapters.openrouter import OpenRouterAdapter
from tests.adapters.support import KEY, load

__all__ = ["CASES", "Case", "openrouter_pages"]

Mount = Callable[[respx.MockRouter, str], list[respx.Route]]


@dataclass(frozen=True)
class Case:
    """An adapter, the base its routes live under, and what a full listing there returns."""

    adapter: type[Adapter]
    base_url: str  # where the routes are mounted: the kind's default, or a local server
    mount: Mount  # mounts every request of one listing; returns the routes in the order they are asked
    model_ids: tuple[str, ...]
    refusal: tuple[int, Any]  # the provider's own answer to a bad key
    auth: dict[str, str]  # the headers the key travels in
    rate_limited: tuple[dict[str, str], Any]  # the provider's own 429: headers and body
    uses_default_base: bool = True

    @property
    def id(self) -> str:
        return self.adapter.kind.value


def _one_list(path: str, body: str) -> Mount:
    def mount(router: respx.MockRouter, base: str) -> list[respx.Route]:
        return [router.get(base + path).respond(200, json=load(body))]

    return mount


def _anthropic(router: respx.MockRouter, base: str) -> list[respx.Route]:
    url = base + "/v1/models"
    return [
        router.get(url, params__eq={"limit": "1000"}).respond(200, json=load("anthropic_page1.json")),
        router.get(url, params__eq={"limit": "1000", "after_id": "claude-opus-4-1-20250805"}).respond(
            200, json=load("anthropic_page2.json")
        ),
    ]


def _google(router: respx.MockRouter, base: str) -> list[respx.Route]:
    url = base + "/v1beta/models"
    token = load("google_page1.json")["nextPageToken"]
    return [
        router.get(url, params__eq={"pageSize": "1000"}).respond(200, json=load("google_page1.json")),
        router.get(url, params__eq={"pageSize": "1000", "pageToken": token}).respond(
            200, json=load("google_page2.json")
        ),
    ]


def openrouter_pages() -> tuple[dict[str, Any], dict[str, Any]]:
    """The recorded catalog split in two pages joined by the 2026 `links.next`."""
    models = load("openrouter_models.json")["data"]
    first = {"data": models[:2], "total_count": 3, "links": {"next": "/api/v1/models?offset=2&limit=2"}}
    second = {"data": copy.deepcopy(models[2:]), "total_count": 3, "links": {"next": None}}
    return first, second


def _openrouter(router: respx.MockRouter, base: str) -> list[respx.Route]:
    first, second = openrouter_pages()
    return [
        router.get(base + "/models", params__eq={}).respond(200, json=first),
        router.get(base + "/models", params__eq={"offset": "2", "limit": "2"}).respond(200, json=second),
    ]


OLLAMA_SHOWS = {
    "deepseek-r1:latest": "ollama_show_deepseek-r1.json",
    "llama3.2:latest": "ollama_show_llama3.2.json",
    "qwen3:8b": "ollama_show_qwen3.json",
    "nomic-embed-text:latest": "ollama_show_nomic-embed-text.json",
}


def _ollama(router: respx.MockRouter, base: str) -> list[respx.Route]:
    tags = router.get(base + "/api/tags").respond(200, json=load("ollama_tags.json"))
    shows = [
        router.post(base + "/api/show", json={"model": name}).respond(200, json=load(body))
        for name, body in OLLAMA_SHOWS.items()
    ]
    return [tags, *shows]


BEARER = {"authorization": f"Bearer {KEY}"}

CASES = [
    Case(
        OpenAIAdapter,
        "https://api.openai.com/v1",
        _one_list("/models", "openai_models.json"),
        (
            "gpt-4.5-preview",
            "gpt-4o-mini-2024-07-18",
            "o1-mini",
            "gpt-3.5-turbo",
            "gpt-3.5-turbo-16k",
            "gpt-4o",
            "gpt-4o-mini",
            "gpt-4o-2024-11-20",
            "gpt-4.1",
            "gpt-4.1-2025-04-14",
            "o4-mini",
            "gpt-4",
        ),
        (401, load("openai_401.json")),
        BEARER,
        ({"retry-after": "3", "x-ratelimit-reset-requests": "2m59.56s"}, load("openai_429.json")),
    ),
    Case(
        AnthropicAdapter,
        "https://api.anthropic.com",
        _anthropic,
        (
            "claude-sonnet-4-5-20250929",
            "claude-opus-4-1-20250805",
            "claude-opus-4-20250514",
            "claude-sonnet-4-20250514",
            "claude-3-7-sonnet-20250219",
            "claude-3-5-sonnet-20241022",
            "claude-3-5-haiku-20241022",
            "claude-3-5-sonnet-20240620",
            "claude-3-haiku-20240307",
        ),
        (401, load("anthropic_401.json")),
        {"x-api-key": KEY, "anthropic-version": "2023-06-01"},
        (
            {"retry-after": "3", "anthropic-ratelimit-requests-reset": "2026-11-25T12:00:03Z"},
            load("anthropic_429.json"),
        ),
    ),
    Case(
        GoogleAdapter,
        "https://generativelanguage.googleapis.com",
        _google,
        ("gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.0-flash", "gemma-3-27b-it", "gemini-flash-latest"),
        (400, load("google_400_bad_key.json")),  # Gemini answers a bad key with 400, not 401
        {"x-goog-api-key": KEY},
        ({}, load("google_429.json")),  # the wait is in the body (RetryInfo), never in a header
    ),
    Case(
        GroqAdapter,
        "https://api.groq.com/openai/v1",
        _one_list("/models", "groq_models.json"),
        (
            "llama-3.1-8b-instant",
            "qwen/qwen3-32b",
            "groq/compound",
            "openai/gpt-oss-120b",
            "moonshotai/kimi-k2-instruct-0905",
            "llama-3.3-70b-versatile",
            "meta-llama/llama-4-maverick-17b-128e-instruct",
        ),
        (401, load("groq_401.json")),
        BEARER,
        ({"retry-after": "3"}, load("groq_429.json")),
    ),
    Case(
        MistralAdapter,
        "https://api.mistral.ai/v1",
        _one_list("/models", "mistral_models.json"),
        ("mistral-medium-latest", "open-mistral-nemo", "devstral-small-2507", "open-mixtral-8x7b"),
        (401, load("mistral_401.json")),
        BEARER,
        ({"retry-after": "3"}, load("mistral_429.json")),
    ),
    Case(
        OpenRouterAdapter,
        "https://openrouter.ai/api/v1",
        _openrouter,
        ("openai/gpt-4o-mini", "anthropic/claude-sonnet-4", "meta-llama/llama-3.3-70b-instruct:free"),
        (401, load("openrouter_401.json")),
        BEARER,
        ({}, load("openrouter_429.json")),  # its reset time is inside the body, in epoch milliseconds
    ),
    Case(
        OllamaAdapter,
        "http://127.0.0.1:11434",
        _ollama,
        ("deepseek-r1", "llama3.2", "qwen3:8b"),
        (401, {"error": "unauthorized"}),  # ollama.com; a local server has no auth
        BEARER,
        ({}, {"error": "rate limit exceeded"}),
    ),
    Case(
        OpenAICompatibleAdapter,
        "http://127.0.0.1:8000/v1",
        _one_list("/models", "vllm_models.json"),
        ("Qwen/Qwen2.5-7B-Instruct", "sql-lora", "support-tone-lora", "/llm_reco_ssd/zangdunju/vllm/models/test/"),
        (401, load("vllm_401.json")),
        BEARER,
        ({"retry-after": "3"}, {"error": {"message": "Too many requests", "type": "RateLimitError", "code": 429}}),
        uses_default_base=False,
    ),
]
