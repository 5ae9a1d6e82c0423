"""Provider.history: every change to a provider in the one audit log, for admins; a key is "changed", never a value."""

from __future__ import annotations

from tables.endpoints import AuditLog
from tests.graphql import codes

UPSERT = "mutation($input: ProviderInput!) { upsertProvider(input: $input) { id } }"
HISTORY = "{ providers { key history { action changedBy { username } changes { field oldValue newValue } } } }"
SECRET = "sk-provider-0123456789SECRET"


async def upsert(client, token, **fields):
    await client.data(UPSERT, {"input": {"key": "groq", "kind": "GROQ", **fields}}, token=token)


async def test_each_change_to_a_provider_is_audited_newest_first(client, admin_token):
    await upsert(client, admin_token, apiKey=SECRET)
    await upsert(client, admin_token, displayName="Groq Cloud", enabled=False)
    await upsert(client, admin_token, apiKey=SECRET)  # the same key again: no change
    await upsert(client, admin_token, apiKey="sk-rotated-key-99")
    await upsert(client, admin_token, apiKey="")
    response = await client.post(HISTORY, token=admin_token)
    [provider] = response.json()["data"]["providers"]
    history = provider["history"]
    assert [entry["action"] for entry in history] == ["KEY_CHANGED", "KEY_CHANGED", "UPDATED", "CREATED"]
    assert all(entry["changedBy"] == {"username": "alice"} for entry in history)
    cleared, replaced, updated, created = history
    assert cleared["changes"] == [
        {"field": "apiKey", "oldValue": None, "newValue": "changed"},
        {"field": "hasApiKey", "oldValue": True, "newValue": False},
    ]
    assert replaced["changes"] == [{"field": "apiKey", "oldValue": None, "newValue": "changed"}]
    assert updated["changes"] == [
        {"field": "displayName", "oldValue": "Groq", "newValue": "Groq Cloud"},
        {"field": "enabled", "oldValue": True, "newValue": False},
    ]
    assert created["changes"] == [
        {"field": "kind", "oldValue": None, "newValue": "GROQ"},
        {"field": "displayName", "oldValue": None, "newValue": "Groq"},
        {"field": "enabled", "oldValue": None, "newValue": True},
        {"field": "apiKey", "oldValue": None, "newValue": "changed"},
        {"field": "hasApiKey", "oldValue": False, "newValue": True},
    ]
    assert SECRET not in response.text and "sk-rotated" not in response.text


async def test_an_upsert_that_changes_nothing_writes_no_audit_row(client, admin_token):
    await upsert(client, admin_token, displayName="Groq")
    await upsert(client, admin_token, displayName="Groq")
    assert await AuditLog.count() == 1


async def test_a_members_history_request_is_forbidden(client, admin_token, member_token):
    await upsert(client, admin_token)
    body = await client(HISTORY, token=member_token)
    assert "FORBIDDEN" in codes(body)
    listed = await client.data("{ providers { key } }", token=member_token)
    assert listed["providers"] == [{"key": "groq"}]
