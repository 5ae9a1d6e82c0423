"""The exact response cache, ETags and persisted queries, through HTTP as the SPA calls them."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from api.catalog import writer
from api.catalog.writer import NewModel
from api.database import count_statements, transaction
from api.live import boundaries
from domain.choices import HistoryAction, Role
from tables.catalog import AiModel, Provider
from tables.live import CatalogEvent
from tests.catalog import add_provider, create_model
from tests.commands import cli
from tests.fake_provider import fake_provider
from tests.graphql import GraphQLClient, codes

PICKER = "query Picker { selectableModels(refresh: false) { id universalModelId displayName isAvailable pricing { inputPerMillion } provider { key displayName } } }"  # noqa: E501
MODELS = (
    "query Page($first: Int) { models(first: $first) { nodes { id displayName enabled status provider { key } } } }"
)


async def get(client: GraphQLClient, token: str, query: str, variables: Any = None, **headers: str) -> Any:
    params = {"query": query}
    if variables is not None:
        params["variables"] = json.dumps(variables)
    return await client.http.get("/graphql", params=params, headers={"Authorization": f"Bearer {token}", **headers})


async def picker(client: GraphQLClient, token: str) -> list[dict[str, Any]]:
    response = await get(client, token, PICKER)
    assert response.status_code == 200, response.text
    assert "errors" not in response.json(), response.text
    rows: list[dict[str, Any]] = response.json()["data"]["selectableModels"]
    return rows


@pytest.fixture
async def catalog(client: GraphQLClient, admin_token: str) -> dict[str, Any]:
    await add_provider(client, admin_token)
    return await create_model(client, admin_token, pricing={"inputPerMillion": "2.5"})


async def test_a_repeated_read_is_one_single_row_read_and_no_execution(client, catalog, member_token):
    first = await get(client, member_token, MODELS, {"first": 10})
    with count_statements() as count:
        again = await get(client, member_token, MODELS, {"first": 10})
    assert again.content == first.content
    # the token's user, and the revision row: no model, provider or count query
    assert count.statements == 2


async def test_a_query_over_get_carries_an_etag_and_answers_304(client, catalog, member_token, admin_token):
    first = await get(client, member_token, MODELS)
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    unchanged = await get(client, member_token, MODELS, **{"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged.headers["etag"] == etag
    await client.data("mutation($id: ID!) { archiveModel(id: $id) { id } }", {"id": catalog["id"]}, token=admin_token)
    changed = await get(client, member_token, MODELS, **{"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert changed.json()["data"]["models"]["nodes"][0]["status"] == "ARCHIVED"


async def test_a_cached_answer_never_crosses_users_or_roles(client, catalog, member_token, admin_token):
    query = "{ models { nodes { id } } providers { key hasApiKey } }"
    mine = await get(client, member_token, query)
    theirs = await get(client, admin_token, query)
    assert mine.headers["etag"] != theirs.headers["etag"]
    assert (await get(client, admin_token, query, **{"If-None-Match": mine.headers["etag"]})).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "{ me { username } }",
        "{ models { nodes { id chatCount } } }",
        "{ chats { id } }",
        "{ providers { key availabilityCheckedAt } }",
        "query { ...F } fragment F on Query { me { id } }",
    ],
)
async def test_documents_that_change_without_a_revision_bypass_the_cache(client, catalog, member_token, query):
    response = await get(client, member_token, query)
    assert response.status_code == 200 and "etag" not in response.headers


async def test_mutations_are_never_answered_from_the_cache(client, catalog, admin_token):
    mutation = "mutation($id: ID!) { setModelEnabled(id: $id, enabled: false) { version } }"
    versions = [(await client.data(mutation, {"id": catalog["id"]}, token=admin_token)) for _ in range(2)]
    assert versions[0] == versions[1]  # the second one changed nothing, and said so itself
    assert (await client.post(mutation, {"id": catalog["id"]}, token=admin_token)).headers.get("etag") is None


async def test_no_answer_is_served_past_a_price_boundary(client, catalog, member_token):
    moment = {"at": datetime.now(UTC) + timedelta(seconds=0.3)}

    async def boundary(now: datetime) -> datetime | None:
        return moment["at"] if moment["at"] > now else None

    boundaries.add_price_boundary(boundary)
    try:
        first = await get(client, member_token, MODELS)
        assert (await get(client, member_token, MODELS, **{"If-None-Match": first.headers["etag"]})).status_code == 304
        await asyncio.sleep(0.4)  # a scheduled price took effect: no write, yet the answer may differ
        moment["at"] = datetime.now(UTC) + timedelta(hours=1)
        passed = await get(client, member_token, MODELS, **{"If-None-Match": first.headers["etag"]})
        assert passed.status_code == 200 and passed.headers["etag"] != first.headers["etag"]
    finally:
        boundaries.remove_price_boundary(boundary)


async def _edit(client: GraphQLClient, admin: str, model: dict[str, Any]) -> Callable[[list[dict[str, Any]]], bool]:
    mutation = 'mutation($id: ID!) { updateModel(id: $id, input: {displayName: "Renamed"}) { id } }'
    await client.data(mutation, {"id": model["id"]}, token=admin)
    return lambda rows: rows[0]["displayName"] == "Renamed"


async def _price(client: GraphQLClient, admin: str, model: dict[str, Any]) -> Callable[[list[dict[str, Any]]], bool]:
    mutation = 'mutation($id: ID!) { updateModel(id: $id, input: {pricing: {inputPerMillion: "3"}}) { id } }'
    await client.data(mutation, {"id": model["id"]}, token=admin)
    return lambda rows: rows[0]["pricing"]["inputPerMillion"] in ("3", "3.0", "3.000000000000")


async def _disable(client: GraphQLClient, admin: str, model: dict[str, Any]) -> Callable[[list[dict[str, Any]]], bool]:
    mutation = "mutation($id: ID!) { setModelEnabled(id: $id, enabled: false) { id } }"
    await client.data(mutation, {"id": model["id"]}, token=admin)
    return lambda rows: rows == []


async def _archive(client: GraphQLClient, admin: str, model: dict[str, Any]) -> Callable[[list[dict[str, Any]]], bool]:
    await client.data("mutation($id: ID!) { archiveModel(id: $id) { id } }", {"id": model["id"]}, token=admin)
    return lambda rows: rows == []


def _document(model_id: str) -> dict[str, Any]:
    return {
        "format": "modelcatalog/v1",
        "providers": [{"key": "openai", "kind": "OPENAI"}],
        "models": [{"universalModelId": "openai:gpt-4o", "provider": "openai", "modelId": "gpt-4o",
                    "displayName": "Imported", "status": "ACTIVE", "enabled": True}],
    }  # fmt: skip


async def _import(client: GraphQLClient, admin: str, model: dict[str, Any]) -> Callable[[list[dict[str, Any]]], bool]:
    mutation = "mutation($d: JSON!) { importModels(document: $d) { updated } }"
    await client.data(mutation, {"d": _document(model["id"])}, token=admin)
    return lambda rows: rows[0]["displayName"] == "Imported"


async def _import_by_cli(client: GraphQLClient, admin: str, model: dict[str, Any]) -> Any:
    from tests.conftest import _TMP

    path = _TMP / "import.json"
    path.write_text(json.dumps(_document(model["id"])))
    result = cli("import", str(path))
    assert result.returncode == 0, result.stderr
    return lambda rows: rows[0]["displayName"] == "Imported"


async def _provider(client: GraphQLClient, admin: str, model: dict[str, Any]) -> Any:
    mutation = 'mutation { upsertProvider(input: {key: "openai", kind: OPENAI, displayName: "Open"}) { id } }'
    await client.data(mutation, token=admin)
    return lambda rows: True  # without a key it is no longer available; its own read is below


async def _availability(client: GraphQLClient, admin: str, model: dict[str, Any]) -> Any:
    provider = await Provider.select(Provider.id).first()
    async with transaction():
        await writer.set_availability(provider["id"], False)
    return lambda rows: rows == []


async def _agent(client: GraphQLClient, admin: str, model: dict[str, Any]) -> Any:
    before = await CatalogEvent.count()
    mutation = 'mutation($m: ID!) { createAgent(input: {name: "Helper", modelIds: [$m]}) { id } }'
    await client.data(mutation, {"m": model["id"]}, token=admin)
    assert await CatalogEvent.count() == before + 1
    return lambda rows: True  # the agent's own read is below


WRITES: dict[str, Callable[[GraphQLClient, str, dict[str, Any]], Awaitable[Any]]] = {
    "model edit": _edit,
    "price": _price,
    "enable": _disable,
    "archive": _archive,
    "import": _import,
    "import by the CLI": _import_by_cli,
    "provider": _provider,
    "availability": _availability,
    "agent": _agent,
}


@pytest.mark.parametrize("write", list(WRITES))
async def test_the_next_read_sees_each_kind_of_write(client, catalog, admin_token, member_token, write):
    before = await picker(client, member_token)
    agents = await get(client, member_token, "{ agents { name } }")
    providers = await get(client, member_token, "{ providers { key displayName } }")
    assert before and (await picker(client, member_token)) == before  # the second read was a hit
    seen = await WRITES[write](client, admin_token, catalog)
    assert seen(await picker(client, member_token)), write
    if write == "agent":
        assert (await get(client, member_token, "{ agents { name } }")).json() != agents.json()
    if write == "provider":
        after = await get(client, member_token, "{ providers { key displayName } }")
        assert (
            after.json()["data"]["providers"][0]["displayName"]
            == "Open"
            != providers.json()["data"]["providers"][0]["displayName"]
        )


async def test_the_next_read_sees_a_sync_apply(client, admin_token, member_token):
    with fake_provider() as provider:
        provider.serve("m1")
        mutation = 'mutation($u: String!) { upsertProvider(input: {key: "local", kind: OPENAI_COMPATIBLE, baseUrl: $u}) { id } }'  # noqa: E501
        await client.data(mutation, {"u": provider.base_url}, token=admin_token)
        sync = 'mutation { syncProvider(provider: "local") { created archived } }'
        await client.data(sync, token=admin_token)
        models = "{ models { nodes { universalModelId status } } }"
        first = (await get(client, member_token, models)).json()["data"]["models"]["nodes"]
        provider.serve("m1", "m2")
        await client.data(sync, token=admin_token)
        second = (await get(client, member_token, models)).json()["data"]["models"]["nodes"]
    assert len(first) == 1 and len(second) == 2


async def test_endpoint_discovery_reaches_its_owner_alone(client, catalog, admin_token, member_token):
    from api.users import service as users

    carol, carol_token = await users.create_user("carol", Role.MEMBER)
    provider = await Provider.select(Provider.id).first()
    before_bob = await picker(client, member_token)
    before_carol = await picker(client, carol_token)
    async with transaction():  # what discovery on carol's endpoint writes: a private model of hers
        values = {"universalModelId": "local:carol:llama", "modelId": "llama", "displayName": "Llama"}
        await writer.insert_models([NewModel(provider["id"], values, owner_id=carol.id)], HistoryAction.CREATED,
                                   by=None, reason=None)  # fmt: skip
    assert len(await picker(client, carol_token)) == len(before_carol) + 1
    assert await picker(client, member_token) == before_bob
    event = await CatalogEvent.select().order_by(CatalogEvent.revision, ascending=False).first()
    assert not event["public"] and json.loads(event["user_ids"]) if isinstance(event["user_ids"], str) else True


async def test_every_write_bumps_the_revision_once_per_event(client, catalog, admin_token, member_token):
    revision = (await client.data("{ catalogRevision }", token=member_token))["catalogRevision"]
    await client.data("mutation($id: ID!) { archiveModel(id: $id) { id } }", {"id": catalog["id"]}, token=admin_token)
    after = (await client.data("{ catalogRevision }", token=member_token))["catalogRevision"]
    assert after == revision + 1
    assert (await AiModel.select(AiModel.status).first())["status"] == "ARCHIVED"


async def test_a_persisted_query_lets_a_get_carry_only_its_hash(client, catalog, member_token):
    digest = hashlib.sha256(MODELS.encode()).hexdigest()
    extensions = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": digest}})
    auth = {"Authorization": f"Bearer {member_token}"}
    unknown = await client.http.get("/graphql", params={"extensions": extensions}, headers=auth)
    assert codes(unknown.json()) == ["PERSISTED_QUERY_NOT_FOUND"]
    registered = await client.http.get("/graphql", params={"query": MODELS, "extensions": extensions}, headers=auth)
    assert registered.status_code == 200 and "errors" not in registered.json()
    by_hash = await client.http.get("/graphql", params={"extensions": extensions}, headers=auth)
    assert by_hash.json() == registered.json() and by_hash.headers["etag"] == registered.headers["etag"]
    wrong = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}})
    mismatch = await client.http.get("/graphql", params={"query": MODELS, "extensions": wrong}, headers=auth)
    assert mismatch.status_code == 400 and codes(mismatch.json()) == ["VALIDATION_FAILED"]


async def test_v1_models_lists_the_callers_picker_in_openai_shape(client, catalog, member_token, admin_token):
    assert (await client.http.get("/v1/models")).status_code == 401
    auth = {"Authorization": f"Bearer {member_token}"}
    first = await client.http.get("/v1/models", headers=auth)
    body = first.json()
    assert body["object"] == "list"
    assert body["data"] == [
        {"id": "openai:gpt-4o", "object": "model", "created": body["data"][0]["created"], "owned_by": "openai"}
    ]
    assert (
        await client.http.get("/v1/models", headers={**auth, "If-None-Match": first.headers["etag"]})
    ).status_code == 304
    await client.data("mutation($id: ID!) { archiveModel(id: $id) { id } }", {"id": catalog["id"]}, token=admin_token)
    assert (await client.http.get("/v1/models", headers=auth)).json()["data"] == []


async def test_document_limits_hold_with_validation_cached(client, catalog, member_token):
    deep = "{ models(first: 500) { nodes { provider { key } } } }"
    ok = await get(client, member_token, deep)
    assert "errors" not in ok.json()
    query = "query($n: Int) { a: models(first: $n) { nodes { id description displayName } } b: models(first: $n) { nodes { id description displayName } } }"  # noqa: E501
    fine = await client(query, {"n": 5}, token=member_token)
    assert "errors" not in fine
    for _ in range(2):  # the second time its validation comes from the cache; the cost is measured again
        body = await client(query * 1 + "", {"n": 500}, token=member_token)
        assert "errors" not in body or codes(body) == ["QUERY_TOO_COMPLEX"]


async def test_operators_endpoints(client, catalog, member_token):
    await get(client, member_token, MODELS)
    metrics = await client.http.get("/metrics")
    assert metrics.status_code == 200
    assert "modelcatalog_cache_lookups_total" in metrics.text and "modelcatalog_requests_total" in metrics.text
    ready = await client.http.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


def test_json_logs_carry_the_request_id():
    import logging

    from api.log_format import JsonFormatter

    record = logging.LogRecord("modelcatalog.access", logging.INFO, __file__, 1, "GET /graphql 200", (), None)
    record.request_id = "req-1"
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-1" and line["level"] == "INFO" and line["message"] == "GET /graphql 200"


def test_the_command_tells_its_version():
    import subprocess
    import sys

    assert cli("--version").stdout.startswith("modelcatalog, version ")
    by_module = subprocess.run([sys.executable, "-m", "modelcatalog", "--version"], capture_output=True, text=True)
    assert by_module.stdout.startswith("modelcatalog, version ")
