"""Availability: what a user may pick follows the providers, and the picker never waits on a slow one."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx

from adapters.http import DEFAULT_POLICY
from api import leases
from api.sync import availability
from api.sync import service as sync_service
from tables.catalog import AiModel, Provider
from tests.catalog import create_model
from tests.graphql import GraphQLClient

PICKER = "query($r: Boolean) { selectableModels(refresh: $r) { universalModelId } }"
UPSERT = "mutation($input: ProviderInput!) { upsertProvider(input: $input) { hasApiKey apiKeySource } }"


async def picker(client: GraphQLClient, token: str, refresh: bool = True) -> list[str]:
    data = await client.data(PICKER, {"r": refresh}, token=token)
    return [model["universalModelId"] for model in data["selectableModels"]]


@pytest.fixture
def hanging_server() -> Iterator[str]:
    """A server on 127.0.0.1 that accepts connections and never answers (a host that hangs)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()


async def test_a_key_based_provider_is_available_with_a_key_only(client, admin_token, member_token, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    await client.data(UPSERT, {"input": {"key": "anthropic", "kind": "ANTHROPIC"}}, token=admin_token)
    await create_model(client, admin_token, provider="anthropic", modelId="claude-haiku-4-5")
    # The model was added after the provider was asked; the next picker that finds the answer old asks again.
    await Provider.update({Provider.availability_checked_at: None}).where(Provider.key == "anthropic")
    assert await picker(client, member_token) == []
    keyed = await client.data(
        UPSERT, {"input": {"key": "anthropic", "kind": "ANTHROPIC", "apiKey": "sk-ant-1"}}, token=admin_token
    )
    assert keyed["upsertProvider"] == {"hasApiKey": True, "apiKeySource": "STORED"}
    assert await picker(client, member_token) == ["anthropic:claude-haiku-4-5"]
    await client.data(UPSERT, {"input": {"key": "anthropic", "kind": "ANTHROPIC", "enabled": False}}, token=admin_token)
    assert await picker(client, member_token) == []
    model = await AiModel.select(AiModel.is_available, AiModel.version).first()
    assert model == {"is_available": False, "version": 1}  # runtime state: no version, no history


async def test_the_environments_key_counts(client, admin_token, member_token, monkeypatch):
    monkeypatch.setenv("GROQ_API_KEY", "gsk-from-the-environment")
    data = await client.data(UPSERT, {"input": {"key": "groq", "kind": "GROQ"}}, token=admin_token)
    assert data["upsertProvider"] == {"hasApiKey": True, "apiKeySource": "ENVIRONMENT"}
    await create_model(client, admin_token, provider="groq", modelId="llama-3.3-70b-versatile")
    assert await picker(client, member_token) == ["groq:llama-3.3-70b-versatile"]
    assert "gsk-from" not in str(await client.data("{ providers { key hasApiKey apiKeySource } }", token=admin_token))


async def test_a_local_server_decides_by_what_it_lists(client, admin_token, member_token):
    await client.data(
        UPSERT,
        {"input": {"key": "lab", "kind": "OPENAI_COMPATIBLE", "baseUrl": "http://lab.test/v1"}},
        token=admin_token,
    )
    for model_id in ("served", "gone"):
        await create_model(client, admin_token, provider="lab", modelId=model_id)
    with respx.mock(assert_all_mocked=True) as router:
        router.get("http://lab.test/v1/models").mock(
            return_value=httpx.Response(200, json={"data": [{"id": "served", "object": "model"}]})
        )
        assert await picker(client, member_token) == ["lab:served"]


async def test_the_picker_answers_at_once_while_a_provider_hangs(client, admin_token, member_token, hanging_server):
    await client.data(
        UPSERT, {"input": {"key": "stuck", "kind": "OPENAI_COMPATIBLE", "baseUrl": hanging_server}}, token=admin_token
    )
    await create_model(client, admin_token, provider="stuck", modelId="slow-model")
    started = time.perf_counter()
    assert await picker(client, member_token) == ["stuck:slow-model"]  # its last known state
    assert time.perf_counter() - started < 1.0  # waited 250 ms for the refresh, not for the host
    started = time.perf_counter()
    assert await picker(client, member_token) == ["stuck:slow-model"]
    assert time.perf_counter() - started < 1.0  # the refresh is still running: nobody starts a second one
    held = await leases.Lease.select().where(leases.Lease.name.like("availability:%"))
    assert len(held) == 1 and held[0]["expires_at"] > datetime.now(UTC)  # the running refresh holds its lease


async def test_refresh_false_calls_no_provider(client, admin_token, member_token):
    await client.data(
        UPSERT,
        {"input": {"key": "lab", "kind": "OPENAI_COMPATIBLE", "baseUrl": "http://lab.test/v1"}},
        token=admin_token,
    )
    await create_model(client, admin_token, provider="lab", modelId="m")
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        route = router.get("http://lab.test/v1/models")
        assert await picker(client, member_token, refresh=False) == ["lab:m"]
        assert not route.called


async def test_a_provider_that_keeps_failing_is_asked_after_a_growing_pause(
    client, admin_token, member_token, monkeypatch
):
    monkeypatch.setattr(sync_service, "HTTP_POLICY", replace(DEFAULT_POLICY, attempts=1))  # fail at once
    await client.data(
        UPSERT,
        {"input": {"key": "lab", "kind": "OPENAI_COMPATIBLE", "baseUrl": "http://lab.test/v1"}},
        token=admin_token,
    )
    await create_model(client, admin_token, provider="lab", modelId="m")
    with respx.mock(assert_all_mocked=True) as router:
        route = router.get("http://lab.test/v1/models").mock(side_effect=httpx.ConnectError("refused"))
        pauses = []
        for _ in range(3):
            await Provider.update(
                {Provider.availability_checked_at: None, Provider.availability_retry_at: None}, force=True
            )
            assert await picker(client, member_token) == []  # a server that does not answer serves nothing
            await availability.refreshes_done()
            row = await Provider.select().where(Provider.key == "lab").first()
            pauses.append(row["availability_retry_at"] - row["availability_checked_at"])
            calls = route.call_count
            assert await picker(client, member_token) == []  # within the pause: not asked again
            assert route.call_count == calls
        assert pauses[0] < pauses[1] < pauses[2] <= timedelta(seconds=availability.MAX_BACKOFF_S)
        assert (await Provider.select(Provider.availability_failures).first())["availability_failures"] == 3


async def test_a_lease_is_held_by_one_process_until_it_expires():
    assert await leases.acquire("job", 60)
    assert await leases.acquire("job", 60)  # its holder may renew it
    await leases.Lease.update({leases.Lease.holder: "another-instance"}).where(leases.Lease.name == "job")
    assert not await leases.acquire("job", 60)
    past = datetime.now(UTC) - timedelta(seconds=1)
    await leases.Lease.update({leases.Lease.expires_at: past}).where(leases.Lease.name == "job")
    assert await leases.acquire("job", 60)  # an expired lease is anyone's
