"""What production hides: bugs' messages, introspection, suggestions and GraphiQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from cryptography.fernet import Fernet

from api.app import create_app
from api.config import ConfigError, Settings
from api.providers import service as providers
from api.secrets import EXAMPLE_SECRET_KEYS
from tests.graphql import GraphQLClient, codes


@pytest.fixture
async def production(settings) -> AsyncIterator[GraphQLClient]:
    app = create_app(replace(settings, env="production"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://catalog.test") as http:
        yield GraphQLClient(http)


async def broken_listing() -> list:
    raise RuntimeError("connection to db-internal.corp:5432 refused for user catalog_rw")


async def test_a_bug_is_masked_in_production_with_a_request_id(production, admin_token, monkeypatch, caplog):
    monkeypatch.setattr(providers, "list_providers", broken_listing)
    response = await production.post("{ providers { key } }", token=admin_token)
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "db-internal" not in response.text
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    assert response.headers["x-request-id"] in error["message"]
    assert "db-internal" in caplog.text  # the operator still sees it, in the log


async def test_a_bug_shows_its_message_in_development(client, admin_token, monkeypatch):
    monkeypatch.setattr(providers, "list_providers", broken_listing)
    body = await client("{ providers { key } }", token=admin_token)
    assert codes(body) == ["INTERNAL_SERVER_ERROR"]
    assert "refused" in body["errors"][0]["message"]


async def test_coded_errors_pass_the_mask_in_production(production, member_token):
    body = await production('mutation { upsertProvider(input: {key: "x", kind: OPENAI}) { key } }', token=member_token)
    assert codes(body) == ["FORBIDDEN"]
    assert "ADMIN" in body["errors"][0]["message"]
    assert codes(await production("{ me { username } }")) == ["UNAUTHENTICATED"]


async def test_limits_still_say_why_in_production(production, admin_token):
    query = "{ " + " ".join(f"a{n}: me {{ username }}" for n in range(16)) + " }"
    body = await production(query, token=admin_token)
    assert codes(body) == ["QUERY_TOO_COMPLEX"]
    assert "aliases" in body["errors"][0]["message"]


async def test_introspection_is_off_in_production(production, admin_token):
    body = await production("{ __schema { types { name } } }", token=admin_token)
    assert set(codes(body)) == {"VALIDATION_FAILED"}
    assert "introspection" in body["errors"][0]["message"].lower()
    assert body.get("data") is None


async def test_introspection_is_on_in_development(client, admin_token):
    data = await client.data("{ __schema { queryType { name } } }", token=admin_token)
    assert data == {"__schema": {"queryType": {"name": "Query"}}}


async def test_no_suggestions_in_production(production, admin_token):
    body = await production("{ mee { username } }", token=admin_token)
    assert codes(body) == ["VALIDATION_FAILED"]
    assert "Did you mean" not in body["errors"][0]["message"]
    enum = await production('mutation { upsertProvider(input: {key: "x", kind: OPENIA}) { key } }', token=admin_token)
    assert "Did you mean" not in enum["errors"][0]["message"]


async def test_graphiql_is_served_in_development_only(client, production):
    page = await client.http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    hidden = await production.http.get("/graphql", headers={"Accept": "text/html"})
    assert hidden.status_code == 404


def test_production_refuses_to_start_without_a_secret_key(settings):
    with pytest.raises(ConfigError, match="MODELCATALOG_SECRET_KEY is required"):
        create_app(replace(settings, env="production", secret_key=None))


def test_production_refuses_a_documented_example_key(settings):
    example = next(iter(EXAMPLE_SECRET_KEYS))
    with pytest.raises(ConfigError, match="example"):
        create_app(replace(settings, env="production", secret_key=example))


@pytest.mark.parametrize(
    "spelling",
    [
        "PTrIp+74hRS7imroMIbr/KpbHd/2m8ul/vRu27ZjJZY=",  # the standard base64 alphabet: the same 32 bytes
        " PTrIp-74hRS7imroMIbr_KpbHd_2m8ul_vRu27ZjJZY= ",
        f"{Fernet.generate_key().decode()},PTrIp+74hRS7imroMIbr/KpbHd/2m8ul/vRu27ZjJZY=",  # second in the list
    ],
)
def test_production_refuses_the_example_key_however_it_is_spelled(settings, spelling):
    with pytest.raises(ConfigError, match="example"):
        create_app(replace(settings, env="production", secret_key=spelling))


def test_production_refuses_a_key_that_is_not_a_fernet_key(settings):
    with pytest.raises(ConfigError, match="Fernet"):
        create_app(replace(settings, env="production", secret_key="change-me"))


def test_an_unknown_environment_is_refused():
    with pytest.raises(ConfigError, match="MODELCATALOG_ENV"):
        Settings.from_env({"MODELCATALOG_ENV": "staging"})
