"""Writes that collide: imports racing each other, deadlocks, and a lock held too long, through GraphQL."""

from __future__ import annotations

import asyncio
import sqlite3
import time

import asyncpg
import pytest

from api import database
from api.catalog import writer
from tables.catalog import AiModel, ModelHistory
from tables.engine import sqlite_path
from tests.catalog import add_provider, create_model, model_row
from tests.conftest import TEST_DATABASE_URL
from tests.database import is_postgres
from tests.graphql import codes

IMPORT = """mutation($document: JSON!) { importModels(document: $document) {
  applied created updated unchanged errors { index field message } } }"""
UPDATE = """mutation($id: ID!, $input: UpdateModelInput!) {
  updateModel(id: $id, input: $input) { version contextWindow } }"""

postgres_only = pytest.mark.skipif(
    not is_postgres(), reason="only PostgreSQL has row locks to deadlock on; SQLite lets one writer in at a time"
)


def catalog_document(rows: int, description: str) -> dict:
    return {
        "format": "modelcatalog/v1",
        "providers": [{"key": "openai", "kind": "OPENAI"}],
        "models": [
            {
                "universalModelId": f"openai:model-{i:05}",
                "provider": "openai",
                "modelId": f"model-{i:05}",
                "displayName": f"Model {i}",
                "description": description,
            }
            for i in range(rows)
        ],
    }


@pytest.fixture
def fast_retries(monkeypatch):
    monkeypatch.setattr(database, "BACKOFF_S", 0.0)


@postgres_only
async def test_concurrent_imports_of_the_same_models_in_opposite_orders_all_succeed(client, admin_token):
    await client.data(IMPORT, {"document": catalog_document(1200, "first")}, token=admin_token)
    documents = []
    for n in range(4):
        document = catalog_document(1200, f"import {n}")
        if n % 2:
            document["models"].reverse()
        documents.append(document)

    bodies = await asyncio.gather(*(client(IMPORT, {"document": d}, token=admin_token) for d in documents))

    assert [codes(body) for body in bodies] == [[]] * 4, [body.get("errors") for body in bodies]
    assert all(body["data"]["importModels"]["updated"] == 1200 for body in bodies)
    assert await AiModel.count().where(AiModel.version != 5) == 0
    assert await ModelHistory.count() == 1200 * 5  # one entry per version, none lost, none twice


async def test_concurrent_imports_creating_the_same_models_all_succeed(client, admin_token):
    documents = [catalog_document(600, "new") for _ in range(3)]
    documents[1]["models"].reverse()

    bodies = await asyncio.gather(*(client(IMPORT, {"document": d}, token=admin_token) for d in documents))

    assert [codes(body) for body in bodies] == [[]] * 3, [body.get("errors") for body in bodies]
    results = sorted((r["created"], r["unchanged"]) for r in (body["data"]["importModels"] for body in bodies))
    assert results == [(0, 600), (0, 600), (600, 0)]  # the first creates them; the others find them made
    assert await AiModel.count() == 600 and await ModelHistory.count() == 600


async def test_a_deadlock_runs_the_whole_transaction_again(client, admin_token, fast_retries, monkeypatch):
    await add_provider(client, admin_token)
    model = await create_model(client, admin_token, **model_row())
    rewrite = writer._rewrite
    calls = []

    async def deadlocks_once(rows):
        calls.append(len(rows))
        if len(calls) == 1:
            await rewrite(rows)  # written, then lost with the rollback
            raise asyncpg.exceptions.DeadlockDetectedError("deadlock detected")
        await rewrite(rows)

    monkeypatch.setattr(writer, "_rewrite", deadlocks_once)
    data = await client.data(UPDATE, {"id": model["id"], "input": {"contextWindow": 1000}}, token=admin_token)
    assert data["updateModel"] == {"version": 2, "contextWindow": 1000} and len(calls) == 2
    versions = [row["version"] for row in await ModelHistory.select(ModelHistory.version).order_by(ModelHistory.id)]
    assert versions == [1, 2]


async def test_a_deadlock_that_keeps_coming_back_is_unavailable_and_writes_nothing(
    client, admin_token, fast_retries, monkeypatch
):
    await add_provider(client, admin_token)
    model = await create_model(client, admin_token, **model_row())
    calls = []

    async def always_deadlocks(rows):
        calls.append(len(rows))
        raise asyncpg.exceptions.DeadlockDetectedError("deadlock detected")

    monkeypatch.setattr(writer, "_rewrite", always_deadlocks)
    body = await client(UPDATE, {"id": model["id"], "input": {"contextWindow": 1000}}, token=admin_token)
    assert codes(body) == ["UNAVAILABLE"], body
    retry_after = body["errors"][0]["extensions"]["retryAfter"]
    assert isinstance(retry_after, int) and retry_after >= 1
    assert len(calls) == database.WRITE_ATTEMPTS
    assert await AiModel.select(AiModel.version, AiModel.context_window).first() == {
        "version": 1,
        "context_window": 128000,
    }


class _LockHolder:
    """A second connection holding the lock an update of `model_id` needs, as a long import would."""

    def __init__(self, model_id: int) -> None:
        self.model_id = model_id
        self.sqlite: sqlite3.Connection | None = None
        self.postgres: asyncpg.Connection | None = None

    async def __aenter__(self) -> _LockHolder:
        if is_postgres():
            self.postgres = await asyncpg.connect(TEST_DATABASE_URL)
            await self.postgres.execute("BEGIN")
            await self.postgres.execute("SELECT id FROM ai_models WHERE id = $1 FOR UPDATE", self.model_id)
        else:
            self.sqlite = sqlite3.connect(str(sqlite_path(TEST_DATABASE_URL)), isolation_level=None)
            self.sqlite.execute("BEGIN IMMEDIATE")  # SQLite's one write lock
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.postgres is not None:
            await self.postgres.execute("ROLLBACK")
            await self.postgres.close()
        if self.sqlite is not None:
            self.sqlite.execute("ROLLBACK")
            self.sqlite.close()


async def test_a_write_that_cannot_get_its_lock_in_time_is_unavailable_with_retry_after(
    client, admin_token, monkeypatch
):
    await add_provider(client, admin_token)
    model = await create_model(client, admin_token, **model_row())  # and the token's last use is recorded
    monkeypatch.setattr(database, "WRITE_LOCK_WAIT_S", 0.3)
    async with _LockHolder(int(model["id"])):
        started = time.monotonic()
        body = await asyncio.wait_for(
            client(UPDATE, {"id": model["id"], "input": {"contextWindow": 1000}}, token=admin_token), timeout=15
        )
        waited = time.monotonic() - started
    assert codes(body) == ["UNAVAILABLE"], body
    assert "busy" in body["errors"][0]["message"]
    assert isinstance(body["errors"][0]["extensions"]["retryAfter"], int)
    assert waited < 5  # it failed fast instead of hanging on the lock
    assert await ModelHistory.count() == 1
    again = await client.data(UPDATE, {"id": model["id"], "input": {"contextWindow": 1000}}, token=admin_token)
    assert again["updateModel"] == {"version": 2, "contextWindow": 1000}
