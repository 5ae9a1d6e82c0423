"""Who may call what: tokens, revocation and roles, as a client sees them."""

from __future__ import annotations

import sqlite3
import time

import pytest

from api.errors import Conflict, ValidationFailed
from api.users import service as users
from domain.choices import Role
from tables.engine import database_url, sqlite_path
from tables.users import ApiToken
from tests.database import is_postgres
from tests.graphql import codes

UPSERT = """mutation($input: ProviderInput!) { upsertProvider(input: $input) { key } }"""


async def test_member_reads_who_they_are(client, member_token):
    data = await client.data("{ me { id username role createdAt } }", token=member_token)
    assert data["me"]["username"] == "bob"
    assert data["me"]["role"] == "MEMBER"
    assert data["me"]["createdAt"]


async def test_no_token_is_unauthenticated(client):
    body = await client("{ me { username } }")
    assert codes(body) == ["UNAUTHENTICATED"]
    assert "Authorization: Bearer" in body["errors"][0]["message"]
    assert body["data"] is None


@pytest.mark.parametrize(
    "header", ["Bearer mc_not-a-token", "Bearer ", "Basic YWxpY2U6cHc=", "mc_token-without-scheme"]
)
async def test_a_bad_authorization_header_is_unauthenticated(client, admin_token, header):
    response = await client.http.post(
        "/graphql", json={"query": "{ me { username } }"}, headers={"Authorization": header}
    )
    assert response.status_code == 200
    assert codes(response.json()) == ["UNAUTHENTICATED"]


async def test_a_revoked_token_is_unauthenticated(client, admin_token):
    assert (await client.data("{ me { username } }", token=admin_token))["me"]["username"] == "alice"
    assert await users.revoke_token(token=admin_token) == 1
    body = await client("{ me { username } }", token=admin_token)
    assert codes(body) == ["UNAUTHENTICATED"]
    assert "revoked" in body["errors"][0]["message"]


async def test_revoking_one_token_leaves_the_users_other_tokens(client, admin_token):
    second = await users.create_token("alice", "laptop")
    await users.revoke_token(username="alice", name="default")
    assert codes(await client("{ me { username } }", token=admin_token)) == ["UNAUTHENTICATED"]
    assert (await client.data("{ me { username } }", token=second))["me"]["username"] == "alice"


async def test_member_cannot_upsert_a_provider(client, member_token):
    body = await client(UPSERT, {"input": {"key": "openai", "kind": "OPENAI"}}, token=member_token)
    assert codes(body) == ["FORBIDDEN"]
    assert await client.data("{ providers { key } }", token=member_token) == {"providers": []}


async def test_anonymous_caller_cannot_upsert_a_provider(client):
    body = await client(UPSERT, {"input": {"key": "openai", "kind": "OPENAI"}})
    assert codes(body) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize("query", ["{ me { username } }", "{ providers { key } }"])
async def test_every_query_needs_a_token(client, query):
    assert codes(await client(query)) == ["UNAUTHENTICATED"]


async def test_tokens_are_stored_as_sha256_only(admin_token):
    rows = await ApiToken.select()
    assert len(rows) == 1
    stored = " ".join(str(value) for value in rows[0].values())
    assert admin_token not in stored
    assert rows[0]["token_sha256"] == users.hash_token(admin_token)


async def test_using_a_token_records_when_it_was_last_used(client, admin_token):
    assert (await ApiToken.select(ApiToken.last_used_at).first())["last_used_at"] is None
    await client.data("{ me { username } }", token=admin_token)
    await users.token_use_recorded()  # written beside the request, never in its way
    assert (await ApiToken.select(ApiToken.last_used_at).first())["last_used_at"] is not None


async def test_a_duplicate_username_is_a_conflict(admin_token):
    with pytest.raises(Conflict):
        await users.create_user("alice", Role.MEMBER)


@pytest.mark.parametrize("name", ["", " bob", "bob smith", "x" * 65, "-bob"])
async def test_a_bad_username_is_refused(name):
    with pytest.raises(ValidationFailed):
        await users.create_user(name, Role.MEMBER)


@pytest.mark.skipif(is_postgres(), reason="SQLite's single write lock is what a read must not wait for")
async def test_a_read_is_answered_while_another_process_holds_the_write_lock(client, member_token):
    """Recording a token's use is a write; it never makes a read wait for a long import's lock."""
    database = sqlite_path(database_url())
    assert database is not None
    writer = sqlite3.connect(database, timeout=1, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # what a 100,000-model import holds for a minute
    try:
        started = time.perf_counter()
        data = await client.data("{ me { username } }", token=member_token)
        assert data == {"me": {"username": "bob"}}
        assert time.perf_counter() - started < 2
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    await users.token_use_recorded()  # written once the lock is free
    assert (await ApiToken.select(ApiToken.last_used_at).first())["last_used_at"] is not None
