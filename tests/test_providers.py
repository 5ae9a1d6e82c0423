"""Providers through GraphQL: upsert, defaults, validation, and keys kept secret."""

from __future__ import annotations

import logging

import pytest

from api.secrets import SecretBox
from tables.catalog import AiModel, Provider
from tests.graphql import codes

FIELDS = "id key kind displayName baseUrl hasApiKey enabled lastSyncedAt lastSyncError modelCount"
UPSERT = f"mutation($input: ProviderInput!) {{ upsertProvider(input: $input) {{ {FIELDS} }} }}"
SECRET = "sk-live-0123456789abcdefSECRET"


async def upsert(client, token, **fields):
    return await client(UPSERT, {"input": fields}, token=token)


async def test_a_new_provider_gets_the_defaults_of_its_kind(client, admin_token):
    body = await upsert(client, admin_token, key="openai", kind="OPENAI")
    assert body["data"]["upsertProvider"] == {
        "id": body["data"]["upsertProvider"]["id"],
        "key": "openai",
        "kind": "OPENAI",
        "displayName": "OpenAI",
        "baseUrl": None,
        "hasApiKey": False,
        "enabled": True,
        "lastSyncedAt": None,
        "lastSyncError": None,
        "modelCount": 0,
    }


async def test_an_openai_compatible_provider_is_named_after_its_key(client, admin_token):
    body = await upsert(
        client, admin_token, key="lm-studio", kind="OPENAI_COMPATIBLE", baseUrl="http://127.0.0.1:1234/v1/"
    )
    provider = body["data"]["upsertProvider"]
    assert provider["displayName"] == "lm-studio"
    assert provider["baseUrl"] == "http://127.0.0.1:1234/v1"  # a trailing slash is ignored


async def test_upsert_changes_only_the_fields_given(client, admin_token):
    await upsert(
        client,
        admin_token,
        key="groq",
        kind="GROQ",
        displayName="Groq Cloud",
        apiKey=SECRET,
        baseUrl="https://api.groq.com/openai/v1",
    )
    body = await upsert(client, admin_token, key="groq", kind="GROQ", enabled=False)
    provider = body["data"]["upsertProvider"]
    assert provider["displayName"] == "Groq Cloud"
    assert provider["hasApiKey"] is True
    assert provider["baseUrl"] == "https://api.groq.com/openai/v1"
    assert provider["enabled"] is False
    assert await Provider.count() == 1


async def test_empty_strings_clear_the_key_and_the_base_url(client, admin_token):
    await upsert(client, admin_token, key="mistral", kind="MISTRAL", apiKey=SECRET, baseUrl="https://eu.example/v1")
    body = await upsert(client, admin_token, key="mistral", kind="MISTRAL", apiKey="", baseUrl="")
    provider = body["data"]["upsertProvider"]
    assert provider["hasApiKey"] is False
    assert provider["baseUrl"] is None
    assert (await Provider.select(Provider.api_key).first())["api_key"] is None


async def test_a_provider_key_is_encrypted_at_rest_and_never_returned(client, admin_token, settings, caplog):
    caplog.set_level(logging.DEBUG)
    response = await client.post(
        UPSERT, {"input": {"key": "anthropic", "kind": "ANTHROPIC", "apiKey": SECRET}}, token=admin_token
    )
    assert response.status_code == 200
    assert response.json()["data"]["upsertProvider"]["hasApiKey"] is True
    assert SECRET not in response.text
    listing = await client.post("{ providers { " + FIELDS + " } }", token=admin_token)
    assert SECRET not in listing.text

    raw = await Provider.raw("SELECT * FROM providers")
    stored = raw[0]["api_key"]
    assert SECRET not in " ".join(str(value) for value in raw[0].values())
    from api.secrets import load_secret_box

    assert load_secret_box(settings).decrypt(stored) == SECRET
    assert SECRET not in caplog.text


async def test_a_key_is_unreadable_under_another_secret_key(client, admin_token):
    await upsert(client, admin_token, key="openai", kind="OPENAI", apiKey=SECRET)
    stored = (await Provider.select(Provider.api_key).first())["api_key"]
    from cryptography.fernet import Fernet

    from api.secrets import SecretUnreadable

    with pytest.raises(SecretUnreadable):
        SecretBox([Fernet.generate_key().decode()]).decrypt(stored)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"key": "Open AI"}, "key"),
        ({"key": ""}, "key"),
        ({"key": "x" * 65}, "key"),
        ({"key": "openai:eu"}, "key"),
        ({"displayName": ""}, "displayName"),
        ({"displayName": "x" * 201}, "displayName"),
        ({"baseUrl": "ftp://files.example/models"}, "baseUrl"),
        ({"baseUrl": "not a url"}, "baseUrl"),
        ({"baseUrl": "https://user:pw@api.example/v1"}, "baseUrl"),
        ({"baseUrl": "https://api.example/v1?key=abc"}, "baseUrl"),
        ({"baseUrl": "https://api.example/" + "v" * 2048}, "baseUrl"),
        ({"apiKey": "sk with spaces"}, "apiKey"),
        ({"apiKey": "sk-\n-newline"}, "apiKey"),
        ({"apiKey": "k" * 4097}, "apiKey"),
    ],
)
async def test_bad_provider_input_names_the_field_and_writes_nothing(client, admin_token, fields, field):
    body = await upsert(client, admin_token, **{"key": "openai", "kind": "OPENAI", **fields})
    assert codes(body) == ["VALIDATION_FAILED"]
    assert [f["field"] for f in body["errors"][0]["extensions"]["fields"]] == [field]
    assert await Provider.count() == 0


async def test_a_wrong_enum_value_is_refused_without_echoing_the_key(client, admin_token):
    response = await client.post(UPSERT, {"input": {"key": "x", "kind": "OPENIA", "apiKey": SECRET}}, token=admin_token)
    body = response.json()
    assert codes(body) == ["VALIDATION_FAILED"]
    assert body["errors"][0]["extensions"]["fields"][0]["field"] == "kind"
    assert "ProviderKind" in body["errors"][0]["message"]
    assert "OPENIA" not in response.text  # no value sent is quoted back, the wrong one included
    assert SECRET not in response.text
    assert await Provider.count() == 0


async def test_a_missing_required_field_is_refused_without_echoing_the_key(client, admin_token):
    response = await client.post(UPSERT, {"input": {"kind": "OPENAI", "apiKey": SECRET}}, token=admin_token)
    assert codes(response.json()) == ["VALIDATION_FAILED"]
    assert "key" in response.json()["errors"][0]["message"]
    assert SECRET not in response.text


async def test_providers_are_listed_by_key_with_their_model_counts(client, admin_token, member_token):
    for key, kind in [("openai", "OPENAI"), ("anthropic", "ANTHROPIC"), ("ollama", "OLLAMA")]:
        await upsert(client, admin_token, key=key, kind=kind)
    openai = await Provider.select(Provider.id).where(Provider.key == "openai").first()
    await AiModel.insert(
        AiModel(provider=openai["id"], model_id="gpt-4o", universal_model_id="openai:gpt-4o", display_name="GPT-4o"),
        AiModel(
            provider=openai["id"],
            model_id="gpt-4o-mini",
            universal_model_id="openai:gpt-4o-mini",
            display_name="GPT-4o mini",
        ),
    )
    data = await client.data("{ providers { key modelCount } }", token=member_token)
    assert data["providers"] == [
        {"key": "anthropic", "modelCount": 0},
        {"key": "ollama", "modelCount": 0},
        {"key": "openai", "modelCount": 2},
    ]


async def test_concurrent_upserts_of_many_providers_all_land(client, admin_token):
    import asyncio

    bodies = await asyncio.gather(
        *[
            upsert(
                client,
                admin_token,
                key=f"local-{n}",
                kind="OPENAI_COMPATIBLE",
                baseUrl=f"http://127.0.0.1:{8000 + n}/v1",
            )
            for n in range(20)
        ]
    )
    assert all("errors" not in body for body in bodies), [body.get("errors") for body in bodies]
    assert await Provider.count() == 20


async def test_concurrent_upserts_of_one_provider_leave_one_row(client, admin_token):
    import asyncio

    bodies = await asyncio.gather(
        *[upsert(client, admin_token, key="openai", kind="OPENAI", displayName=f"OpenAI {n}") for n in range(10)]
    )
    assert all("errors" not in body for body in bodies), [body.get("errors") for body in bodies]
    assert await Provider.count() == 1
