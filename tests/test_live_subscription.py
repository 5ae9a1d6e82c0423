"""catalogChanged over graphql-transport-ws on /graphql, on a real socket, as the SPA's picker listens."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from api.catalog import writer
from api.catalog.writer import NewModel
from api.config import Settings
from api.database import transaction
from api.users import service as users
from domain.choices import HistoryAction, Role
from tables.catalog import Provider
from tests.commands import cli
from tests.conftest import _TMP
from tests.live import live_server

SUBSCRIBE = "subscription($after: Int) { catalogChanged(after: $after) { revision kind modelIds universalModelIds providerKeys endpointIds } }"  # noqa: E501
ARCHIVE = "mutation($id: ID!) { archiveModel(id: $id) { id } }"
CREATE = 'mutation($m: String!) { createModel(input: {provider: "openai", modelId: $m, displayName: $m}) { id } }'


def graphql(http: httpx.Client, token: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    response = http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=_auth(token))
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _socket(http: httpx.Client) -> ClientConnection:
    url = str(http.base_url).replace("http://", "ws://").rstrip("/") + "/graphql"
    return connect(url, subprotocols=["graphql-transport-ws"], open_timeout=5)  # type: ignore[list-item]


def send(ws: ClientConnection, message: dict[str, Any]) -> None:
    ws.send(json.dumps(message))


def receive(ws: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(ws.recv(timeout=timeout))
    return message


@contextmanager
def subscribed(http: httpx.Client, token: str, after: int | None) -> Iterator[ClientConnection]:
    with _socket(http) as ws:
        send(ws, {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        assert receive(ws)["type"] == "connection_ack"
        send(ws, {"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE, "variables": {"after": after}}})
        yield ws


def next_event(ws: ClientConnection) -> dict[str, Any]:
    message = receive(ws)
    assert message["type"] == "next", message
    event: dict[str, Any] = message["payload"]["data"]["catalogChanged"]
    return event


@contextmanager
def served(settings: Settings) -> Iterator[httpx.Client]:
    with live_server(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


@pytest.fixture
def http(settings: Settings, admin_token: str) -> Iterator[httpx.Client]:
    with served(settings) as client:
        graphql(client, admin_token, 'mutation { upsertProvider(input: {key: "openai", kind: OPENAI}) { id } }')
        yield client


def test_a_subscriber_hears_each_change_within_a_second(http, admin_token, member_token):
    model = graphql(http, admin_token, CREATE, {"m": "gpt-4o"})["createModel"]
    revision = graphql(http, member_token, "{ catalogRevision }")["catalogRevision"]
    with subscribed(http, member_token, revision) as ws:
        started = time.monotonic()
        graphql(http, admin_token, ARCHIVE, {"id": model["id"]})
        event = next_event(ws)
        assert time.monotonic() - started < 1.0
    assert event == {
        "revision": revision + 1,
        "kind": "MODEL",
        "modelIds": [model["id"]],
        "universalModelIds": ["openai:gpt-4o"],
        "providerKeys": [],
        "endpointIds": [],
    }


def test_no_token_no_subscription(http):
    with _socket(http) as ws:
        send(ws, {"type": "connection_init", "payload": {}})
        with pytest.raises(ConnectionClosed) as closed:
            receive(ws)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


def test_a_write_by_another_instance_or_process_reaches_the_subscriber(http, settings, admin_token, member_token):
    revision = graphql(http, member_token, "{ catalogRevision }")["catalogRevision"]
    with subscribed(http, member_token, revision) as ws, served(settings) as other:
        graphql(other, admin_token, CREATE, {"m": "gpt-5"})  # the second instance, same database
        assert next_event(ws)["universalModelIds"] == ["openai:gpt-5"]
        document = {
            "format": "modelcatalog/v1",
            "providers": [{"key": "openai", "kind": "OPENAI"}],
            "models": [{"universalModelId": "openai:o3", "provider": "openai", "modelId": "o3", "displayName": "o3"}],
        }
        path = _TMP / "subscribed-import.json"
        path.write_text(json.dumps(document))
        started = time.monotonic()
        assert cli("import", str(path)).returncode == 0  # another process
        event = next_event(ws)
        assert "openai:o3" in event["universalModelIds"] or event["kind"] == "PROVIDER"
        assert time.monotonic() - started < 5.0  # the CLI's own start-up is most of it


def test_another_users_private_models_are_never_named(http, admin_token, member_token):
    revision = graphql(http, member_token, "{ catalogRevision }")["catalogRevision"]

    async def discover() -> None:  # what discovery on carol's endpoint writes
        carol, _ = await users.create_user("carol", Role.MEMBER)
        provider = await Provider.select(Provider.id).first()
        values = {"universalModelId": "local:carol:llama", "modelId": "llama", "displayName": "Llama"}
        async with transaction():
            await writer.insert_models(
                [NewModel(provider["id"], values, owner_id=carol.id)], HistoryAction.CREATED, by=None, reason=None
            )

    with subscribed(http, member_token, revision) as ws:
        asyncio.run(discover())
        graphql(http, admin_token, CREATE, {"m": "public-one"})
        event = next_event(ws)
    assert event["universalModelIds"] == ["openai:public-one"] and event["revision"] == revision + 2


def test_a_subscriber_that_reconnects_misses_no_revision(http, admin_token, member_token):
    revision = graphql(http, member_token, "{ catalogRevision }")["catalogRevision"]
    with subscribed(http, member_token, revision) as ws:
        graphql(http, admin_token, CREATE, {"m": "a"})
        last = next_event(ws)["revision"]
    graphql(http, admin_token, CREATE, {"m": "b"})  # while it is away
    graphql(http, admin_token, CREATE, {"m": "c"})
    assert graphql(http, member_token, "{ catalogRevision }")["catalogRevision"] == last + 2  # it knows it missed two
    with subscribed(http, member_token, last) as ws:
        caught_up = [next_event(ws)["universalModelIds"] for _ in range(2)]
    assert caught_up == [["openai:b"], ["openai:c"]]
