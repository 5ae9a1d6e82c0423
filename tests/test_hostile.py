"""Hostile and unlucky clients, over a real socket: each is refused with a code, quickly, while others are served."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from api import limits
from api.limits import MAX_BODY_BYTES, MAX_COST, MAX_IMPORT_BODY_BYTES
from tests.graphql import codes
from tests.live import live_server

SECRET = "sk-live-7f3a9c2e51d04b8f"


def fragment_bomb(levels: int) -> str:
    """Fragment i spreads fragment i-1 twice: a small document that expands to 2**levels fields."""
    fragments = ["fragment L0 on Query { __typename }"]
    fragments += [f"fragment L{i} on Query {{ ...L{i - 1} ...L{i - 1} }}" for i in range(1, levels + 1)]
    return "\n".join(fragments) + f"\n{{ ...L{levels} }}"


def nested_introspection(levels: int) -> str:
    return "{ __schema { types { " + "fields { type { " * levels + "name" + " } }" * levels + " } } }"


@pytest.fixture
def server(settings) -> Iterator[str]:
    with live_server(settings) as url:
        yield url


@pytest.fixture
async def http(server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server, timeout=10) as client:
        yield client


async def healthz_times(http: httpx.AsyncClient, during: asyncio.Task[Any]) -> list[float]:
    """How long each /healthz took while `during` ran."""
    times = []
    while not during.done() or not times:
        started = time.perf_counter()
        response = await http.get("/healthz")
        assert response.status_code == 200
        times.append(time.perf_counter() - started)
        await asyncio.sleep(0.05)
    return times


async def refused_quickly(http: httpx.AsyncClient, request: Any, status: int, code: str) -> dict[str, Any]:
    """Send the request beside /healthz pings: it is refused with the status and code in under 1 s, pings too."""
    started = time.perf_counter()
    task = asyncio.ensure_future(request)
    pings = await healthz_times(http, task)
    response: httpx.Response = await task
    elapsed = time.perf_counter() - started
    assert response.status_code == status, response.text[:300]
    body: dict[str, Any] = response.json()
    assert code in codes(body), body
    assert elapsed < 1.0, f"refused after {elapsed:.2f} s"
    assert max(pings) < 1.0, f"/healthz took {max(pings):.2f} s"
    return body


HOSTILE_DOCUMENTS = {
    "fragment doubling, 21 levels (857 bytes)": fragment_bomb(21),
    "fragment doubling, 39 levels (1.5 KB)": fragment_bomb(39),
    "eleven levels deep": "{ " + " { ".join(["me"] + ["a"] * 11) + " }" * 12,
    "introspection nested past the depth limit": nested_introspection(5),
    "sixteen aliases": "{ " + " ".join(f"a{n}: __typename" for n in range(16)) + " }",
    "10,000 aliases": "{ " + " ".join(f"a{n}: __typename" for n in range(10_000)) + " }",
    "fragments of aliases spread often": "fragment A on Query { "
    + " ".join(f"a{n}: __typename" for n in range(8))
    + " } { "
    + " ".join("...A" for _ in range(40))
    + " }",
    "fifteen exports": "{ " + " ".join(f"e{n}: exportCatalog" for n in range(15)) + " }",
    "history inside a page of 500": "{ models(first: 500) { nodes { history(first: 500) { changes { field } } } } }",
    "a page size from a variable": "query($n: Int) { models(first: $n) { nodes { history(first: 500) { version } } } }",
}


@pytest.mark.parametrize("document", HOSTILE_DOCUMENTS.values(), ids=HOSTILE_DOCUMENTS.keys())
@pytest.mark.parametrize("who", ["anonymous", "member"])
async def test_a_hostile_document_is_too_complex_at_once(http, member_token, document, who):
    headers = {"Authorization": f"Bearer {member_token}"} if who == "member" else {}
    request = http.post("/graphql", json={"query": document, "variables": {"n": 500}}, headers=headers)
    body = await refused_quickly(http, request, 200, "QUERY_TOO_COMPLEX")
    assert body.get("data") is None


async def test_a_costly_query_names_its_cost_and_the_budget(http, member_token):
    body = await refused_quickly(
        http,
        http.post(
            "/graphql",
            json={"query": HOSTILE_DOCUMENTS["fifteen exports"]},
            headers={"Authorization": f"Bearer {member_token}"},
        ),
        200,
        "QUERY_TOO_COMPLEX",
    )
    error = body["errors"][0]
    assert error["extensions"]["cost"] > MAX_COST and error["extensions"]["budget"] == MAX_COST
    assert f"{MAX_COST:,}" in error["message"]


MALFORMED_BODIES = {
    "not UTF-8": b'{"query": "{ me { username } }", "x": "\xff\xfe"}',
    "null": b"null",
    "a string": b'"str"',
    "a number": b"123",
    "100,000 nested brackets": b"[" * 100_000 + b"]" * 100_000,
    "a batch of 1,000": json.dumps([{"query": "{ __typename }"}] * 1000).encode(),
    "variables nested 40 deep": (
        b'{"query": "mutation($d: JSON!) { importModels(document: $d) { applied } }", "variables": {"d": '
        + b"[" * 40
        + b"]" * 40
        + b"}}"
    ),
}


@pytest.mark.parametrize("body", MALFORMED_BODIES.values(), ids=MALFORMED_BODIES.keys())
async def test_a_malformed_body_gets_the_usual_json_error(http, admin_token, body):
    request = http.post(
        "/graphql",
        content=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {admin_token}"},
    )
    started = time.perf_counter()
    response = await request
    assert time.perf_counter() - started < 1.0
    assert response.status_code in (200, 400), response.text[:200]
    assert response.headers["content-type"].startswith("application/json")
    assert codes(response.json()) == ["VALIDATION_FAILED"]
    assert response.headers["x-request-id"]


def raw_request(url: str, head: bytes, body: bytes = b"") -> tuple[bytes, float]:
    """Send a request head and part of a body on a socket; the first bytes of the answer and how long it took."""
    host, port = url.removeprefix("http://").split(":")
    started = time.perf_counter()
    answer = b""
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(head + body)
        while b"\r\n\r\n" not in answer or len(answer.partition(b"\r\n\r\n")[2]) < _length(answer):
            chunk = connection.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer, time.perf_counter() - started


def _length(answer: bytes) -> int:
    for line in answer.partition(b"\r\n\r\n")[0].split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def import_head(length: int, token: str | None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (
        f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{auth}"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


IMPORT_START = b'{"query": "mutation($d: JSON!) { importModels(document: $d) { applied } }", "variables": {"d": "'


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_a_large_import_body_is_refused_unread_before_authentication_grants_it(server, member_token, who):
    token = member_token if who == "member" else None
    answer, elapsed = raw_request(server, import_head(45 * 1024 * 1024, token), IMPORT_START)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
    assert b"over 1 MiB" in answer and b"50 MiB" not in answer
    assert elapsed < 1.0  # refused on its declared length: 45 MiB were never sent, let alone read


async def test_an_admin_may_send_a_large_import(http, admin_token):
    document = {"format": "modelcatalog/v1", "providers": [], "models": [], "padding": "x" * (2 * MAX_BODY_BYTES)}
    response = await http.post(
        "/graphql",
        json={"query": "mutation($d: JSON!) { importModels(document: $d) { applied } }", "variables": {"d": document}},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(("who", "limit"), [("admin", "50 MiB"), ("anonymous", "1 MiB")])
def test_a_body_over_every_limit_is_refused_naming_the_limit_that_applies(server, admin_token, who, limit):
    token = admin_token if who == "admin" else None
    answer, _ = raw_request(server, import_head(MAX_IMPORT_BODY_BYTES + 10 * 1024 * 1024, token), IMPORT_START)
    assert answer.startswith(b"HTTP/1.1 413")
    assert f"over {limit}".encode() in answer


def test_a_body_that_trickles_in_is_cut_off(server, monkeypatch):
    monkeypatch.setattr(limits, "BODY_IDLE_TIMEOUT_S", 0.5)
    answer, elapsed = raw_request(server, import_head(1000, None), b'{"query": "{')
    assert answer.startswith(b"HTTP/1.1 408"), answer[:100]
    assert elapsed < 3


def test_slow_request_heads_are_closed_and_do_not_stop_others(server):
    host, port = server.removeprefix("http://").split(":")
    slow = []
    for _ in range(200):
        connection = socket.create_connection((host, int(port)), timeout=5)
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        slow.append(connection)
    try:
        started = time.perf_counter()
        assert httpx.get(f"{server}/healthz", timeout=5).status_code == 200
        assert time.perf_counter() - started < 1.0
        time.sleep(1.5)  # the test server closes a head that is not complete within 1 s
        for connection in slow:
            connection.settimeout(2)
            assert connection.recv(100) == b""  # closed by the server
    finally:
        for connection in slow:
            connection.close()


async def test_a_key_of_the_wrong_type_is_not_echoed(http, admin_token):
    query = "mutation($input: ProviderInput!) { upsertProvider(input: $input) { key } }"
    for api_key in ([SECRET], {"value": SECRET}, 42):
        response = await http.post(
            "/graphql",
            json={"query": query, "variables": {"input": {"key": "openai", "kind": "OPENAI", "apiKey": api_key}}},
            headers={"Authorization": f"Bearer {admin_token}"},
        )
        assert codes(response.json()) == ["VALIDATION_FAILED"]
        assert response.json()["errors"][0]["extensions"]["fields"][0]["field"] == "apiKey"
        assert SECRET not in response.text and "42" not in response.json()["errors"][0]["message"]


async def test_a_literal_of_the_wrong_type_is_not_echoed(http, admin_token):
    query = f'mutation {{ upsertProvider(input: {{key: "openai", kind: OPENAI, apiKey: ["{SECRET}"]}}) {{ key }} }}'
    response = await http.post("/graphql", json={"query": query}, headers={"Authorization": f"Bearer {admin_token}"})
    assert codes(response.json()) == ["VALIDATION_FAILED"]
    assert "String" in response.json()["errors"][0]["message"]
    assert SECRET not in response.text


async def test_the_access_log_never_holds_a_query_string(http, admin_token, caplog):
    caplog.set_level(logging.INFO, logger="modelcatalog.access")
    query = "query($k: String) { me { username } }"
    response = await http.get(
        "/graphql",
        params={"query": query, "variables": json.dumps({"k": SECRET})},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert response.status_code == 200
    for _ in range(100):  # the server logs the line once the response is sent
        access = [record.getMessage() for record in caplog.records if record.name == "modelcatalog.access"]
        if access:
            break
        await asyncio.sleep(0.01)
    assert any('"GET /graphql" 200' in line for line in access), access
    served = "\n".join(record.getMessage() for record in caplog.records if not record.name.startswith("httpx"))
    assert SECRET not in served and "variables" not in served  # httpx, the client here, logs its own URLs


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"reason": "\ud800"}, "reason"),
        ({"reason": "a\x00b"}, "reason"),
    ],
)
async def test_unstorable_text_in_a_variable_is_refused(http, admin_token, variables, field):
    query = "mutation($reason: String) { archiveModel(id: 1, reason: $reason) { id } }"
    response = await http.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": variables}),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {admin_token}"},
    )
    assert codes(response.json()) == ["VALIDATION_FAILED"]
    assert response.json()["errors"][0]["extensions"]["fields"][0]["field"] == field


async def test_a_nul_in_a_literal_is_refused(http, admin_token):
    query = 'mutation { archiveModel(id: 1, reason: "a\\u0000b") { id } }'
    response = await http.post("/graphql", json={"query": query}, headers={"Authorization": f"Bearer {admin_token}"})
    assert codes(response.json()) == ["VALIDATION_FAILED"]
    assert response.json()["errors"][0]["extensions"]["fields"][0]["field"] == "query"


async def test_graphql_with_a_slash_is_answered_without_a_redirect(http, admin_token):
    response = await http.post(
        "/graphql/",
        json={"query": "{ me { username } }"},
        headers={"Host": "evil.example", "Authorization": f"Bearer {admin_token}"},
    )
    assert response.status_code == 200 and response.json() == {"data": {"me": {"username": "alice"}}}
    assert "location" not in response.headers


def test_allowed_hosts_refuse_any_other_host(settings):
    with live_server(settings, allowed_hosts=("catalog.example",)) as url:
        assert httpx.get(f"{url}/healthz", headers={"Host": "catalog.example"}).status_code == 200
        refused = httpx.post(f"{url}/graphql/", json={"query": "{ __typename }"}, headers={"Host": "evil.example"})
        assert refused.status_code == 400
        assert "location" not in refused.headers


HUGE_STRINGS = {
    "a search of 50,000 characters": (
        "query($f: ModelFilter) { models(filter: $f) { totalCount } }",
        {"f": {"search": "x" * 50_000}},
    ),
    "a display name of 900 KB": (
        "mutation($i: ProviderInput!) { upsertProvider(input: $i) { key } }",
        {"i": {"key": "openai", "kind": "OPENAI", "displayName": "y" * 900_000}},
    ),
    "a provider key of 100,000 characters": (
        "mutation($i: ProviderInput!) { upsertProvider(input: $i) { key } }",
        {"i": {"key": "k" * 100_000, "kind": "OPENAI"}},
    ),
}


@pytest.mark.parametrize(("document", "variables"), HUGE_STRINGS.values(), ids=HUGE_STRINGS.keys())
async def test_a_huge_string_is_refused_at_once(http, admin_token, document, variables):
    request = http.post(
        "/graphql",
        json={"query": document, "variables": variables},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    await refused_quickly(http, request, 200, "VALIDATION_FAILED")
