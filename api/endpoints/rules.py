"""Local endpoints' rules, written once: names, keys, types, and how their models are named in the catalog.

A private model's universalModelId is `local-<kind>/<endpoint id>:<model id>`,
e.g. `local-ollama/12:llama3.2`. The part before the colon cannot be a provider
key (keys have no `/`), so no public model, import or sync can ever take a
private model's id, and endpoint ids are never reused (tables/endpoints.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from api.errors import FieldError
from api.providers.rules import api_key_problem
from api.text import name_problem
from domain.choices import EndpointType, ProviderKind
from tables.endpoints import MAX_ENDPOINT_NAME

__all__ = [
    "LOCAL_PROVIDERS",
    "LOCAL_PROVIDER_KEYS",
    "MAX_ENDPOINTS_PER_USER",
    "MAX_MODELS_PER_ENDPOINT",
    "MAX_SHARES",
    "api_key_field_problems",
    "default_endpoint_type",
    "local_provider",
    "model_namespace",
    "name_field_problems",
    "provider_kind",
]

MAX_ENDPOINTS_PER_USER = 100  # a person's own servers; more is a script probing the network through us
MAX_SHARES = 500
MAX_MODELS_PER_ENDPOINT = 500  # a server of one's own; a listing longer than this would flood the picker

# The provider rows private models belong to, one per adapter kind (created when first needed).
LOCAL_PROVIDERS: Mapping[ProviderKind, tuple[str, str]] = {
    ProviderKind.OLLAMA: ("local-ollama", "Local endpoints (Ollama)"),
    ProviderKind.OPENAI_COMPATIBLE: ("local-openai-compatible", "Local endpoints (OpenAI-compatible)"),
}

# Their keys: rows no provider lists (their models are each endpoint's own), so sync and availability skip them.
LOCAL_PROVIDER_KEYS = frozenset(key for key, _ in LOCAL_PROVIDERS.values())


def provider_kind(endpoint_type: EndpointType | str) -> ProviderKind:
    """The adapter kind that talks to an endpoint: Ollama's own API, or OpenAI's model list for the rest."""
    return ProviderKind.OLLAMA if EndpointType(endpoint_type) is EndpointType.OLLAMA else ProviderKind.OPENAI_COMPATIBLE


def local_provider(endpoint_type: EndpointType | str) -> tuple[str, str]:
    """The key and display name of the provider row an endpoint's models belong to."""
    return LOCAL_PROVIDERS[provider_kind(endpoint_type)]


def model_namespace(endpoint: Mapping[str, Any]) -> str:
    """What an endpoint's models' universalModelIds start with, before the colon."""
    key, _ = local_provider(endpoint["endpoint_type"])
    return f"{key}/{endpoint['id']}"


def default_endpoint_type(base_url: str) -> EndpointType:
    """The type a URL suggests when none is given: OpenAI's `/v1` base, else Ollama's own API."""
    path = urlsplit(base_url).path.rstrip("/")
    return EndpointType.OPENAI_COMPATIBLE if path.endswith("/v1") else EndpointType.OLLAMA


def name_field_problems(name: str | None) -> list[FieldError]:
    """What is wrong with an endpoint's name."""
    if name is None or not name.strip():
        return [FieldError("name", "must not be empty")]
    if len(name.strip()) > MAX_ENDPOINT_NAME:
        return [FieldError("name", f"at most {MAX_ENDPOINT_NAME} characters")]
    problem = name_problem(name.strip())
    return [FieldError("name", problem)] if problem else []


def api_key_field_problems(api_key: str | None) -> list[FieldError]:
    """What is wrong with an API key to store (the message never quotes it)."""
    if not api_key:
        return []
    problem = api_key_problem(api_key.strip())
    return [FieldError("apiKey", problem)] if problem else []
