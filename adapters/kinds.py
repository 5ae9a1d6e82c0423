"""What every provider kind has by default: its public base URL and its name."""

from __future__ import annotations

from domain.choices import ProviderKind

__all__ = ["DEFAULT_BASE_URLS", "DEFAULT_DISPLAY_NAMES", "default_base_url"]

# The base each provider's official SDK uses; an adapter appends its paths.
DEFAULT_BASE_URLS: dict[ProviderKind, str | None] = {
    ProviderKind.OPENAI: "https://api.openai.com/v1",
    ProviderKind.ANTHROPIC: "https://api.anthropic.com",
    ProviderKind.GOOGLE: "https://generativelanguage.googleapis.com",
    ProviderKind.GROQ: "https://api.groq.com/openai/v1",
    ProviderKind.MISTRAL: "https://api.mistral.ai/v1",
    ProviderKind.OPENROUTER: "https://openrouter.ai/api/v1",
    ProviderKind.OLLAMA: "http://127.0.0.1:11434",
    ProviderKind.OPENAI_COMPATIBLE: None,  # a self-hosted server has no public default
}

DEFAULT_DISPLAY_NAMES: dict[ProviderKind, str] = {
    ProviderKind.OPENAI: "OpenAI",
    ProviderKind.ANTHROPIC: "Anthropic",
    ProviderKind.GOOGLE: "Google",
    ProviderKind.GROQ: "Groq",
    ProviderKind.MISTRAL: "Mistral",
    ProviderKind.OPENROUTER: "OpenRouter",
    ProviderKind.OLLAMA: "Ollama",
    ProviderKind.OPENAI_COMPATIBLE: "OpenAI-compatible",
}


def default_base_url(kind: ProviderKind) -> str | None:
    return DEFAULT_BASE_URLS[kind]
