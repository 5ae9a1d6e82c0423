"""The registry: a class per kind, imported lazily, and a missing key named by its variable."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from adapters.errors import ProviderError
from adapters.kinds import DEFAULT_BASE_URLS
from adapters.registry import API_KEY_VARIABLES, BASE_URL_VARIABLES, KEY_REQUIRED, adapter_class, adapter_for
from domain.choices import ProviderKind
from tests.adapters.support import KEY


@pytest.mark.parametrize("kind", list(ProviderKind))
def test_every_kind_has_its_adapter(kind: ProviderKind) -> None:
    assert adapter_class(kind).kind is kind


def test_no_adapter_module_is_imported_before_it_is_asked_for() -> None:
    script = (
        "import sys, adapters.registry as r\n"
        "from domain.choices import ProviderKind as K\n"
        "assert 'adapters.groq' not in sys.modules and 'adapters.openai' not in sys.modules\n"
        "r.adapter_class(K.GROQ)\n"
        "assert 'adapters.groq' in sys.modules and 'adapters.ollama' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)


@pytest.mark.parametrize("kind", sorted(KEY_REQUIRED))
@pytest.mark.parametrize("api_key", [None, "", "   "])
def test_a_missing_key_names_the_variable_to_set(
    kind: ProviderKind, api_key: str | None, client: httpx.AsyncClient
) -> None:
    with pytest.raises(ProviderError) as raised:
        adapter_for(kind, base_url=None, api_key=api_key, client=client)
    assert API_KEY_VARIABLES[kind] in str(raised.value)


@pytest.mark.parametrize(
    ("kind", "base_url"),
    [
        (ProviderKind.OPENROUTER, None),
        (ProviderKind.OLLAMA, None),
        (ProviderKind.OPENAI_COMPATIBLE, "http://127.0.0.1:8000/v1"),
    ],
)
def test_kinds_that_list_without_a_key_need_none(
    kind: ProviderKind, base_url: str | None, client: httpx.AsyncClient
) -> None:
    adapter = adapter_for(kind, base_url=base_url, api_key=None, client=client)
    assert adapter.base_url == (base_url or DEFAULT_BASE_URLS[kind])


def test_the_variables_are_the_usual_ones() -> None:
    assert dict(API_KEY_VARIABLES) == {
        ProviderKind.OPENAI: "OPENAI_API_KEY",
        ProviderKind.ANTHROPIC: "ANTHROPIC_API_KEY",
        ProviderKind.GOOGLE: "GEMINI_API_KEY",
        ProviderKind.GROQ: "GROQ_API_KEY",
        ProviderKind.MISTRAL: "MISTRAL_API_KEY",
        ProviderKind.OPENROUTER: "OPENROUTER_API_KEY",
    }
    assert dict(BASE_URL_VARIABLES) == {ProviderKind.OLLAMA: "OLLAMA_BASE_URL"}
    assert KEY_REQUIRED <= set(API_KEY_VARIABLES)


def test_a_given_base_wins_over_the_default_and_loses_its_trailing_slash(client: httpx.AsyncClient) -> None:
    adapter = adapter_for(
        ProviderKind.OPENAI, base_url="https://gateway.example.test/openai/v1/", api_key=KEY, client=client
    )
    assert adapter.base_url == "https://gateway.example.test/openai/v1"
    assert KEY not in repr(adapter)
