"""`modelcatalog rotate-secrets` and `modelcatalog import-local-models`, run as a script runs them."""

from __future__ import annotations

import json
import os
from dataclasses import replace

import httpx
from cryptography.fernet import Fernet

from api.app import create_app
from api.secrets import SecretBox, SecretUnreadable
from tables.catalog import Provider
from tables.endpoints import AuditLog, LocalEndpoint
from tests.commands import cli
from tests.endpoints import HEALTH, create_endpoint
from tests.graphql import GraphQLClient
from tests.model_server import ollama_server

PROVIDER_SECRET = "sk-provider-ROTATE-0123456789"
ENDPOINT_SECRET = "sk-endpoint-ROTATE-9876543210"
LIST = "{ localEndpoints { name baseUrl endpointType isActive hasApiKey apiKeyHint availableModels } }"


async def stored_keys() -> list[str]:
    providers = await Provider.select(Provider.api_key).where(Provider.api_key.is_not_null())
    endpoints = await LocalEndpoint.select(LocalEndpoint.api_key).where(LocalEndpoint.api_key.is_not_null())
    return [row["api_key"] for row in [*providers, *endpoints]]


async def test_rotation_re_encrypts_every_key_so_the_old_key_can_go(client, admin_token, member_token, settings):
    old = os.environ["MODELCATALOG_SECRET_KEY"]
    new = Fernet.generate_key().decode()
    await client.data(
        "mutation($input: ProviderInput!) { upsertProvider(input: $input) { id } }",
        {"input": {"key": "openai", "kind": "OPENAI", "apiKey": PROVIDER_SECRET}},
        token=admin_token,
    )
    async with ollama_server() as server:
        endpoint = await create_endpoint(client, member_token, baseUrl=server.url, apiKey=ENDPOINT_SECRET)
        result = cli("rotate-secrets", env={"MODELCATALOG_SECRET_KEY": f"{new},{old}"})
        assert result.returncode == 0, result.stderr
        assert "re-encrypted 1 provider key and 1 endpoint key" in result.stdout
        assert PROVIDER_SECRET not in result.stdout + result.stderr
        keys = await stored_keys()
        assert sorted(SecretBox([new]).decrypt(token) for token in keys) == sorted([PROVIDER_SECRET, ENDPOINT_SECRET])
        for token in keys:
            try:
                SecretBox([old]).decrypt(token)
            except SecretUnreadable:
                continue
            raise AssertionError("a key is still readable under the old secret key")
        # The service, configured with the new key alone, still sends the endpoint's key.
        app = create_app(replace(settings, secret_key=new))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://catalog.test") as http:
            fresh = GraphQLClient(http)
            data = await fresh.data(HEALTH, {"id": endpoint["id"]}, token=member_token)
            hint = await fresh.data(LIST, token=member_token)
    assert data["checkEndpointHealth"]["status"] == "HEALTHY"
    assert server.requests[0].headers["authorization"] == f"Bearer {ENDPOINT_SECRET}"
    assert hint["localEndpoints"][0]["apiKeyHint"] == "...3210"


async def test_rotation_changes_nothing_when_a_key_cannot_be_read(client, admin_token):
    await client.data(
        "mutation($input: ProviderInput!) { upsertProvider(input: $input) { id } }",
        {"input": {"key": "openai", "kind": "OPENAI", "apiKey": PROVIDER_SECRET}},
        token=admin_token,
    )
    before = await stored_keys()
    result = cli("rotate-secrets", env={"MODELCATALOG_SECRET_KEY": Fernet.generate_key().decode()})
    assert result.returncode == 2
    assert "provider openai" in result.stderr and "nothing was changed" in result.stderr
    assert await stored_keys() == before


def write(tmp_path, rows) -> str:
    path = tmp_path / "localStorage.json"
    path.write_text(json.dumps(rows))
    return str(path)


async def test_a_browsers_list_becomes_the_users_endpoints(client, member_token, tmp_path):
    rows = [
        {"name": "Laptop", "baseUrl": "http://127.0.0.1:11434", "isActive": True, "availableModels": ["llama3.2"]},
        {
            "name": "LM Studio",
            "baseUrl": "http://127.0.0.1:1234/v1",
            "apiKey": ENDPOINT_SECRET,
            "isActive": False,
            "availableModels": ["qwen2.5-7b-instruct"],
            "id": "kept-by-the-browser",  # what else the browser kept is left alone
        },
    ]
    result = cli("import-local-models", write(tmp_path, rows), "--user", "bob")
    assert result.returncode == 0, result.stderr
    assert "imported 2 endpoints for bob" in result.stderr
    assert ENDPOINT_SECRET not in result.stdout + result.stderr
    data = await client.data(LIST, token=member_token)
    assert data["localEndpoints"] == [
        {
            "name": "LM Studio",
            "baseUrl": "http://127.0.0.1:1234/v1",
            "endpointType": "OPENAI_COMPATIBLE",
            "isActive": False,
            "hasApiKey": True,
            "apiKeyHint": "...3210",
            "availableModels": ["qwen2.5-7b-instruct"],
        },
        {
            "name": "Laptop",
            "baseUrl": "http://127.0.0.1:11434",
            "endpointType": "OLLAMA",
            "isActive": True,
            "hasApiKey": False,
            "apiKeyHint": None,
            "availableModels": ["llama3.2"],
        },
    ]
    assert ENDPOINT_SECRET not in " ".join(await stored_keys())
    audit = await AuditLog.select(AuditLog.action, AuditLog.changed_by)
    assert audit == [{"action": "CREATED", "changed_by": None}] * 2


async def test_bad_rows_are_reported_and_nothing_is_half_imported(member_token, tmp_path):
    rows = [
        {"name": "Good", "baseUrl": "http://127.0.0.1:11434"},
        {"name": "Metadata", "baseUrl": "http://169.254.169.254/latest"},
        {"baseUrl": "http://127.0.0.1:8000/v1"},
        {"name": "Spaces", "baseUrl": "http://127.0.0.1:1234/v1", "apiKey": "sk bad SECRET-VALUE"},
        {"name": "Good", "baseUrl": "http://127.0.0.1:11435"},
        "not an object",
        {"name": "Flag", "baseUrl": "http://127.0.0.1:1", "isActive": "yes"},
        {"name": "Creds", "baseUrl": "http://user:pw@127.0.0.1:11434"},
    ]
    result = cli("import-local-models", write(tmp_path, rows), "--user", "bob", env={"COLUMNS": "200"})
    assert result.returncode == 1
    assert "nothing was imported" in result.stderr
    cells = [[cell.strip() for cell in line.split("│")[1:-1]] for line in result.stdout.splitlines() if "│" in line]
    reported = [(row, field) for row, field, _ in cells]
    assert reported == [
        ("1", "baseUrl"),
        ("2", "name"),
        ("3", "apiKey"),
        ("4", "name"),
        ("5", "row"),
        ("6", "isActive"),
        ("7", "baseUrl"),
    ]
    assert "SECRET-VALUE" not in result.stdout + result.stderr
    assert await LocalEndpoint.count() == 0


async def test_a_dry_run_writes_nothing(member_token, tmp_path):
    result = cli(
        "import-local-models",
        write(tmp_path, [{"name": "A", "baseUrl": "http://127.0.0.1:1"}]),
        "--user",
        "bob",
        "--dry-run",
    )
    assert result.returncode == 0, result.stderr
    assert "nothing was written" in result.stderr
    assert await LocalEndpoint.count() == 0


async def test_a_file_that_is_not_a_list_or_an_unknown_user_is_refused(member_token, tmp_path):
    not_a_list = cli("import-local-models", write(tmp_path, {"name": "x"}), "--user", "bob")
    unknown = cli("import-local-models", write(tmp_path, []), "--user", "nobody")
    assert (not_a_list.returncode, unknown.returncode) == (2, 2)
    assert "a JSON list of endpoints" in not_a_list.stderr
    assert "no user named 'nobody'" in unknown.stderr
