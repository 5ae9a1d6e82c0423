"""Local endpoints through GraphQL: the owner's CRUD, isolation from everyone else, keys kept secret, the audit."""

from __future__ import annotations

import logging
import sqlite3
import subprocess

import pytest

from api.endpoints.rules import MAX_ENDPOINTS_PER_USER
from api.secrets import load_secret_box
from tables.endpoints import AuditLog, LocalEndpoint
from tables.piccolo_app import ALL_TABLES
from tables.users import User
from tests.conftest import TEST_DATABASE_URL
from tests.database import is_postgres
from tests.endpoints import CREATE, DISCOVER, ENDPOINT_FIELDS, HEALTH, SHARE, UPDATE, create_endpoint, new_user
from tests.graphql import codes

SECRET = "sk-local-0123456789abcdefSECRETf3a9"
LIST = f"{{ localEndpoints {{ {ENDPOINT_FIELDS} }} }}"
ONE = f"query($id: ID!) {{ localEndpoint(id: $id) {{ {ENDPOINT_FIELDS} }} }}"
DELETE = "mutation($id: ID!) { deleteLocalEndpoint(id: $id) }"
HISTORY = """
query($id: ID!) {
  localEndpoint(id: $id) { history { action changedBy { username } changes { field oldValue newValue } } }
}
"""


async def test_a_member_registers_an_endpoint_and_sees_it_listed(client, member_token):
    created = await create_endpoint(client, member_token, name="Laptop Ollama", baseUrl="http://127.0.0.1:11434/")
    assert created["baseUrl"] == "http://127.0.0.1:11434"  # a trailing slash is ignored
    assert created["endpointType"] == "OLLAMA"
    assert created["isActive"] is True
    assert created["healthStatus"] == "UNKNOWN"
    assert created["availableModels"] == []
    assert created["isOwn"] is True
    assert created["owner"] == {"username": "bob"}
    assert created["hasApiKey"] is False and created["apiKeyHint"] is None
    data = await client.data(LIST, token=member_token)
    assert [endpoint["name"] for endpoint in data["localEndpoints"]] == ["Laptop Ollama"]


async def test_a_v1_base_url_is_an_openai_compatible_server_unless_told(client, member_token):
    vllm = await create_endpoint(client, member_token, name="vLLM", baseUrl="http://127.0.0.1:8000/v1")
    custom = await create_endpoint(
        client, member_token, name="llama.cpp", baseUrl="http://127.0.0.1:8080/v1", endpointType="CUSTOM"
    )
    assert (vllm["endpointType"], custom["endpointType"]) == ("OPENAI_COMPATIBLE", "CUSTOM")


async def test_update_changes_only_the_fields_given(client, member_token):
    endpoint = await create_endpoint(client, member_token, apiKey=SECRET)
    body = await client(
        UPDATE, {"id": endpoint["id"], "input": {"name": "Desktop", "isActive": False}}, token=member_token
    )
    updated = body["data"]["updateLocalEndpoint"]
    assert (updated["name"], updated["isActive"], updated["baseUrl"]) == ("Desktop", False, "http://127.0.0.1:11434")
    assert updated["hasApiKey"] is True


async def test_an_empty_key_clears_it(client, member_token):
    endpoint = await create_endpoint(client, member_token, apiKey=SECRET)
    data = await client.data(UPDATE, {"id": endpoint["id"], "input": {"apiKey": ""}}, token=member_token)
    assert data["updateLocalEndpoint"]["hasApiKey"] is False
    assert (await LocalEndpoint.select(LocalEndpoint.api_key).first())["api_key"] is None


async def test_a_new_url_starts_the_health_afresh(client, member_token):
    endpoint = await create_endpoint(client, member_token)
    await LocalEndpoint.update({LocalEndpoint.health_status: "HEALTHY"}).where(LocalEndpoint.id == int(endpoint["id"]))
    data = await client.data(
        UPDATE, {"id": endpoint["id"], "input": {"baseUrl": "http://127.0.0.1:11435"}}, token=member_token
    )
    assert data["updateLocalEndpoint"]["healthStatus"] == "UNKNOWN"


async def test_two_endpoints_of_one_user_cannot_share_a_name(client, member_token):
    await create_endpoint(client, member_token, name="Ollama")
    again = {"name": "Ollama", "baseUrl": "http://127.0.0.1:1234/v1"}
    body = await client(CREATE, {"input": again}, token=member_token)
    assert codes(body) == ["VALIDATION_FAILED"]
    assert body["errors"][0]["extensions"]["fields"][0]["field"] == "name"
    other = await create_endpoint(client, member_token, name="Other")
    body = await client(UPDATE, {"id": other["id"], "input": {"name": "Ollama"}}, token=member_token)
    assert body["errors"][0]["extensions"]["fields"][0]["field"] == "name"


async def test_two_users_may_use_the_same_name(client, member_token, admin_token):
    await create_endpoint(client, member_token, name="Ollama")
    await create_endpoint(client, admin_token, name="Ollama")
    assert await LocalEndpoint.count() == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "bad\u200bname"}, "name"),
        ({"name": "line\nbreak"}, "name"),
        ({"baseUrl": ""}, "baseUrl"),
        ({"baseUrl": "not a url"}, "baseUrl"),
        ({"baseUrl": "http://127.0.0.1:11434/?token=1"}, "baseUrl"),
        ({"baseUrl": "http://127.0.0.1:" + "1" * 2100}, "baseUrl"),
        ({"apiKey": "sk with spaces"}, "apiKey"),
        ({"apiKey": "k" * 4097}, "apiKey"),
    ],
)
async def test_bad_endpoint_input_names_the_field_and_writes_nothing(client, member_token, fields, field):
    given = {"name": "Ollama", "baseUrl": "http://127.0.0.1:11434", **fields}
    body = await client(CREATE, {"input": given}, token=member_token)
    assert codes(body) == ["VALIDATION_FAILED"]
    assert [f["field"] for f in body["errors"][0]["extensions"]["fields"]] == [field]
    assert await LocalEndpoint.count() == 0


async def test_a_bad_key_is_refused_without_being_echoed(client, member_token):
    secret = "sk-\nSECRET-WITH-NEWLINE"
    response = await client.post(
        CREATE, {"input": {"name": "x", "baseUrl": "http://127.0.0.1:11434", "apiKey": secret}}, token=member_token
    )
    assert codes(response.json()) == ["VALIDATION_FAILED"]
    assert "SECRET-WITH-NEWLINE" not in response.text


async def test_a_user_has_at_most_a_hundred_endpoints(client, member_token):
    owner = (await User.select(User.id).where(User.username == "bob").first())["id"]
    await LocalEndpoint.insert(
        *(
            LocalEndpoint(owner=owner, name=f"e{n}", base_url="http://127.0.0.1:11434", endpoint_type="OLLAMA")
            for n in range(MAX_ENDPOINTS_PER_USER)
        )
    )
    body = await client(CREATE, {"input": {"name": "one more", "baseUrl": "http://127.0.0.1:11434"}}, member_token)
    assert codes(body) == ["VALIDATION_FAILED"]


# Isolation: another user's endpoint does not exist for them, admins included, whatever they ask.
OPERATIONS = {
    "localEndpoint": (ONE, {}),
    "updateLocalEndpoint": (UPDATE, {"input": {"name": "mine now"}}),
    "deleteLocalEndpoint": (DELETE, {}),
    "checkEndpointHealth": (HEALTH, {}),
    "discoverEndpointModels": (DISCOVER, {}),
    "shareLocalEndpoint": (SHARE, {"usernames": ["carol"]}),
}


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("caller", ["member", "admin"])
async def test_another_users_endpoint_is_not_found_for_every_operation(
    client, member_token, admin_token, operation, caller
):
    await new_user("carol")
    owner = await new_user("dave")
    endpoint = await create_endpoint(client, owner, apiKey=SECRET)
    query, variables = OPERATIONS[operation]
    token = member_token if caller == "member" else admin_token
    body = await client(query, {"id": endpoint["id"], **variables}, token=token)
    assert codes(body) == ["NOT_FOUND"]
    assert body["errors"][0]["message"] == "no local endpoint with id " + endpoint["id"]
    missing = await client(query, {"id": "999999", **variables}, token=token)
    assert missing["errors"][0]["message"] == "no local endpoint with id 999999"  # the same answer: nothing leaks
    row = await LocalEndpoint.select().first()
    assert (row["name"], row["health_status"], row["shared_with_everyone"]) == ("My Ollama", "UNKNOWN", False)
    data = await client.data("{ localEndpoints { id } sharedLocalEndpoints { id } }", token=token)
    assert data == {"localEndpoints": [], "sharedLocalEndpoints": []}


async def test_lists_hold_only_the_callers_own(client, member_token, admin_token):
    await create_endpoint(client, member_token, name="bob's")
    await create_endpoint(client, admin_token, name="alice's")
    bob = await client.data(LIST, token=member_token)
    alice = await client.data(LIST, token=admin_token)
    assert [e["name"] for e in bob["localEndpoints"]] == ["bob's"]
    assert [e["name"] for e in alice["localEndpoints"]] == ["alice's"]


async def test_every_operation_needs_a_token(client, member_token):
    endpoint = await create_endpoint(client, member_token)
    for query, variables in OPERATIONS.values():
        body = await client(query, {"id": endpoint["id"], **variables})
        assert codes(body) == ["UNAUTHENTICATED"]
    assert codes(await client(LIST)) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize("bad_id", ["abc", "-1", "1.5", "\u0661"])
async def test_an_id_that_is_not_digits_is_refused(client, member_token, bad_id):
    body = await client(ONE, {"id": bad_id}, token=member_token)
    assert codes(body) == ["VALIDATION_FAILED"]


async def test_deleting_an_endpoint_removes_it(client, member_token):
    endpoint = await create_endpoint(client, member_token)
    assert (await client.data(DELETE, {"id": endpoint["id"]}, token=member_token))["deleteLocalEndpoint"] is True
    assert await LocalEndpoint.count() == 0
    assert codes(await client(DELETE, {"id": endpoint["id"]}, token=member_token)) == ["NOT_FOUND"]


# Keys: encrypted at rest, a hint to the owner, never anything else.


async def test_the_key_is_encrypted_at_rest_and_only_its_hint_leaves_the_server(client, member_token, settings, caplog):
    caplog.set_level(logging.DEBUG)
    response = await client.post(
        CREATE, {"input": {"name": "x", "baseUrl": "http://127.0.0.1:11434", "apiKey": SECRET}}, token=member_token
    )
    endpoint = response.json()["data"]["createLocalEndpoint"]
    assert (endpoint["hasApiKey"], endpoint["apiKeyHint"]) == (True, "...f3a9")
    listing = await client.post(LIST, token=member_token)
    history = await client.post(HISTORY, {"id": endpoint["id"]}, token=member_token)
    for text in (response.text, listing.text, history.text, caplog.text):
        assert SECRET not in text
    stored = (await LocalEndpoint.select(LocalEndpoint.api_key).first())["api_key"]
    assert load_secret_box(settings).decrypt(stored) == SECRET


def _database_dump() -> str:
    """Everything the test database holds, as a dump tool writes it."""
    if is_postgres():
        return subprocess.run(
            ["pg_dump", "--data-only", TEST_DATABASE_URL], capture_output=True, text=True, check=True, timeout=60
        ).stdout
    path = TEST_DATABASE_URL.removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        return "\n".join(connection.iterdump())


async def test_a_database_dump_holds_no_key_in_plain_text(client, admin_token, member_token):
    provider_key = "sk-provider-PLAINTEXT-0123456789"
    await client.data(
        "mutation($input: ProviderInput!) { upsertProvider(input: $input) { id } }",
        {"input": {"key": "openai", "kind": "OPENAI", "apiKey": provider_key}},
        token=admin_token,
    )
    await create_endpoint(client, member_token, apiKey=SECRET)
    dump = _database_dump()
    assert "local_endpoints" in dump and "providers" in dump  # the dump has the rows
    assert SECRET not in dump and provider_key not in dump
    assert SECRET[-12:] not in dump and provider_key[-12:] not in dump  # nor a piece long enough to matter
    assert {table._meta.tablename for table in ALL_TABLES} >= {"local_endpoints", "audit_log"}


async def test_a_shared_users_view_has_no_key_hint(client, member_token):
    carol = await new_user("carol")
    endpoint = await create_endpoint(client, member_token, apiKey=SECRET)
    await client.data(SHARE, {"id": endpoint["id"], "usernames": ["carol"]}, token=member_token)
    response = await client.post(ONE, {"id": endpoint["id"]}, token=carol)
    seen = response.json()["data"]["localEndpoint"]
    assert (seen["isOwn"], seen["apiKeyHint"], seen["sharedWith"]) == (False, None, [])
    assert "f3a9" not in response.text and SECRET not in response.text


# The audit: every change, with its fields, who and when; a key is "changed", never a value.


async def test_every_change_to_an_endpoint_is_audited_newest_first(client, member_token):
    await new_user("carol")
    endpoint = await create_endpoint(client, member_token, apiKey=SECRET)
    await client.data(UPDATE, {"id": endpoint["id"], "input": {"name": "Renamed"}}, token=member_token)
    await client.data(UPDATE, {"id": endpoint["id"], "input": {"apiKey": "sk-another-key-0000"}}, token=member_token)
    await client.data(UPDATE, {"id": endpoint["id"], "input": {"apiKey": "sk-another-key-0000"}}, token=member_token)
    await client.data(SHARE, {"id": endpoint["id"], "usernames": ["carol"]}, token=member_token)
    data = await client.data(HISTORY, {"id": endpoint["id"]}, token=member_token)
    history = data["localEndpoint"]["history"]
    assert [entry["action"] for entry in history] == ["SHARED", "KEY_CHANGED", "UPDATED", "CREATED"]
    assert all(entry["changedBy"] == {"username": "bob"} for entry in history)
    shared, key, renamed, created = history
    assert shared["changes"] == [{"field": "sharedWith", "oldValue": [], "newValue": ["carol"]}]
    assert key["changes"] == [{"field": "apiKey", "oldValue": None, "newValue": "changed"}]
    assert renamed["changes"] == [{"field": "name", "oldValue": "My Ollama", "newValue": "Renamed"}]
    assert {"field": "apiKey", "oldValue": None, "newValue": "changed"} in created["changes"]
    assert {"field": "baseUrl", "oldValue": None, "newValue": "http://127.0.0.1:11434"} in created["changes"]


async def test_clearing_a_key_is_audited_without_a_value(client, member_token):
    endpoint = await create_endpoint(client, member_token, apiKey=SECRET)
    await client.data(UPDATE, {"id": endpoint["id"], "input": {"apiKey": ""}}, token=member_token)
    data = await client.data(HISTORY, {"id": endpoint["id"]}, token=member_token)
    assert data["localEndpoint"]["history"][0] == {
        "action": "KEY_CHANGED",
        "changedBy": {"username": "bob"},
        "changes": [
            {"field": "apiKey", "oldValue": None, "newValue": "changed"},
            {"field": "hasApiKey", "oldValue": True, "newValue": False},
        ],
    }


async def test_an_update_that_changes_nothing_writes_no_audit_row(client, member_token):
    endpoint = await create_endpoint(client, member_token)
    await client.data(UPDATE, {"id": endpoint["id"], "input": {"name": "My Ollama"}}, token=member_token)
    assert await AuditLog.count() == 1  # CREATED only


async def test_a_deletion_stays_on_record(client, member_token):
    endpoint = await create_endpoint(client, member_token)
    await client.data(DELETE, {"id": endpoint["id"]}, token=member_token)
    rows = await AuditLog.select().order_by(AuditLog.id).output(load_json=True)
    assert [row["action"] for row in rows] == ["CREATED", "DELETED"]
    assert {"field": "name", "oldValue": "My Ollama", "newValue": None} in rows[1]["changes"]


async def test_a_failed_change_writes_no_audit_row(client, member_token):
    endpoint = await create_endpoint(client, member_token)
    await client(UPDATE, {"id": endpoint["id"], "input": {"baseUrl": "http://169.254.169.254"}}, token=member_token)
    assert await AuditLog.count() == 1
