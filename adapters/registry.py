"""From provider kind to adapter: a lazy registry, the key each kind needs, and the variables that hold them."""

from __future__ import annotations

import functools
import importlib
from types import MappingProxyType

import httpx

from adapters.base import Adapter
from adapters.errors import ProviderError
from adapters.http import DEFAULT_POLICY, HttpPolicy
from adapters.kinds import DEFAULT_DISPLAY_NAMES
from domain.choices import ProviderKind

__all__ = [
    "API_KEY_VARIABLES",
    "BASE_URL_VARIABLES",
    "KEY_REQUIRED",
    "adapter_class",
    "adapter_for",
]

# Module and class per kind, imported on first use: a deployment that syncs one provider loads one module.
_ADAPTERS: dict[ProviderKind, tuple[str, str]] = {
    ProviderKind.OPENAI: ("adapters.openai", "OpenAIAdapter"),
    ProviderKind.ANTHROPIC: ("adapters.anthropic", "AnthropicAdapter"),
    ProviderKind.GOOGLE: ("adapters.google", "GoogleAdapter"),
    ProviderKind.GROQ: ("adapters.groq", "GroqAdapter"),
    ProviderKind.MISTRAL: ("adapters.mistral", "MistralAdapter"),
    ProviderKind.OPENROUTER: ("adapters.openrouter", "OpenRouterAdapter"),
    ProviderKind.OLLAMA: ("adapters.ollama", "OllamaAdapter"),
    ProviderKind.OPENAI_COMPATIBLE: ("adapters.openai_compatible", "OpenAICompatibleAdapter"),
}

# The environment variable the service reads when a provider row has no key (adapters never read it).
API_KEY_VARIABLES: MappingProxyType[ProviderKind, str] = MappingProxyType(
    {
        ProviderKind.OPENAI: "OPENAI_API_KEY",
        ProviderKind.ANTHROPIC: "ANTHROPIC_API_KEY",
        ProviderKind.GOOGLE: "GEMINI_API_KEY",
        ProviderKind.GROQ: "GROQ_API_KEY",
        ProviderKind.MISTRAL: "MISTRAL_API_KEY",
        ProviderKind.OPENROUTER: "OPENROUTER_API_KEY",
    }
)
BASE_URL_VARIABLES: MappingProxyType[ProviderKind, str] = MappingProxyType({ProviderKind.OLLAMA: "OLLAMA_BASE_URL"})

# OpenRouter's model list is public; Ollama and OpenAI-compatible servers usually run without auth.
KEY_REQUIRED: frozenset[ProviderKind] = frozenset(
    {ProviderKind.OPENAI, ProviderKind.ANTHROPIC, ProviderKind.GOOGLE, ProviderKind.GROQ, ProviderKind.MISTRAL}
)


@functools.cache
def adapter_class(kind: ProviderKind) -> type[Adapter]:
    """The adapter class of a kind, importing its module the first time it is asked for."""
    module_name, class_name = _ADAPTERS[kind]
    adapter = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(adapter, type) and issubclass(adapter, Adapter) and adapter.kind is kind):
        raise TypeError(f"{module_name}.{class_name} is not the adapter of {kind}")
    return adapter


def adapter_for(
    kind: ProviderKind,
    *,
    base_url: str | None,
    api_key: str | None,
    client: httpx.AsyncClient,
    policy: HttpPolicy = DEFAULT_POLICY,
) -> Adapter:
    """The adapter for a provider; a kind that needs a key and has none is a ProviderError naming the variable."""
    if kind in KEY_REQUIRED and not (api_key or "").strip():
        reason = f"no API key: set {API_KEY_VARIABLES[kind]} or give the provider a key"
        raise ProviderError(reason, provider=DEFAULT_DISPLAY_NAMES[kind])
    return adapter_class(kind)(base_url=base_url, api_key=api_key, client=client, policy=policy)
