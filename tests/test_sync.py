"""Provider sync through GraphQL: a diff an admin reads, an apply that writes exactly that, and the guards."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from adapters.http import DEFAULT_POLICY
from api.database import count_statements
from api.sync import service as sync_service
from tables.catalog import AiModel, ModelHistory, Provider
from tables.sync import SyncRun
from tests.catalog import add_provider, create_model
from tests.graphql import GraphQLClient, codes

BASE = "http://models.test/v1"
KEY = "sk-sync-test-5be1c0d2a9f4"
FIXTURES = Path(__file__).parent / "adapters" / "fixtures"

MODEL = "universalModelId modelId displayName contextWindow status capabilities pricing { inputPerMillion }"
DIFF = f"""query($p: String!) {{ syncDiff(provider: $p) {{
    provider fingerprint fetchedAt unchangedCount warnings
    newModels {{ {MODEL} }} archivedModels {{ {MODEL} }} restoredModels {{ {MODEL} }}
    updatedModels {{ existing {{ {MODEL} }} updated {{ {MODEL} }} changes {{ field oldValue newValue }} }}
    run {{ id applied }}
}} }}"""
APPLY = """mutation($input: ApplySyncInput!) { applySync(input: $input) {
    provider created updated archived restored models { universalModelId version status enabled }
    run { applied created updated archived restored trigger startedBy { username } }
} }"""
SYNC = """mutation($p: String!) { syncProvider(provider: $p) {
    created updated archived restored run { applied warnings } } }"""
RUNS = "query($p: String) { syncRuns(provider: $p) { provider trigger applied created error warnings } }"


def served(*models: tuple[str, int | None]) -> dict[str, Any]:
    """A vLLM-shaped listing of (id, max_model_len)."""
    return {"object": "list", "data": [{"id": i, "object": "model", "max_model_len": n} for i, n in models]}


@pytest.fixture
async def local(client: GraphQLClient, admin_token: str) -> str:
    """A self-hosted OpenAI-compatible provider the tests serve with respx."""
    await client.data(
        'mutation($u: String) { upsertProvider(input: {key: "local", kind: OPENAI_COMPATIBLE, baseUrl: $u}) { id } }',
        {"u": BASE + "/"},  # a trailing slash is ignored
        token=admin_token,
    )
    return "local"


@pytest.fixture
def provider_http():
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield router


def serve(router: respx.MockRouter, listing: dict[str, Any] | httpx.Response) -> respx.Route:
    answer = listing if isinstance(listing, httpx.Response) else httpx.Response(200, json=listing)
    return router.get(f"{BASE}/models").mock(return_value=answer)


async def diff_of(client: GraphQLClient, token: str, provider: str = "local") -> dict[str, Any]:
    data: dict[str, Any] = (await client.data(DIFF, {"p": provider}, token=token))["syncDiff"]
    return data


def normalized_input(model: dict[str, Any]) -> dict[str, Any]:
    """A NormalizedModel of a diff, sent back as applySync's input."""
    return {
        "universalModelId": model["universalModelId"],
        "modelId": model["modelId"],
        "displayName": model["displayName"],
        "contextWindow": model["contextWindow"],
        "supportsTools": False,
        "supportsVision": False,
        "capabilities": model["capabilities"],
        "status": model["status"],
        **({"pricing": model["pricing"]} if model["pricing"] else {}),
    }


def apply_input(diff: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "provider": diff["provider"],
        "fingerprint": diff["fingerprint"],
        "newModels": [normalized_input(m) for m in diff["newModels"]],
        "updatedModels": [normalized_input(u["updated"]) for u in diff["updatedModels"]],
        "archivedModels": [m["universalModelId"] for m in diff["archivedModels"]],
        "restoredModels": [m["universalModelId"] for m in diff["restoredModels"]],
        **extra,
    }


async def apply(client: GraphQLClient, token: str, diff: dict[str, Any], **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = (await client.data(APPLY, {"input": apply_input(diff, **extra)}, token=token))["applySync"]
    return data


async def models_of(provider: str = "local") -> dict[str, dict[str, Any]]:
    rows = await AiModel.select().where(AiModel.provider.key == provider).output(load_json=True)
    return {row["universal_model_id"]: row for row in rows}


async def test_a_diff_lists_what_is_new_and_writes_no_model(client, admin_token, local, provider_http):
    serve(provider_http, served(("qwen-7b", 32768), ("llama-3-8b", 8192)))
    diff = await diff_of(client, admin_token)
    assert [m["universalModelId"] for m in diff["newModels"]] == ["local:qwen-7b", "local:llama-3-8b"]
    assert diff["newModels"][0]["contextWindow"] == 32768
    assert diff["updatedModels"] == diff["archivedModels"] == diff["restoredModels"] == []
    assert await AiModel.count() == 0
    run = await SyncRun.select().first()
    assert run is not None and run["applied"] is False and run["created"] == 2


async def test_apply_writes_exactly_the_reviewed_entries_with_history(client, admin_token, local, provider_http):
    serve(provider_http, served(("qwen-7b", 32768), ("llama-3-8b", 8192)))
    diff = await diff_of(client, admin_token)
    diff["newModels"] = diff["newModels"][:1]  # the admin applies one of the two
    result = await apply(client, admin_token, diff, reason="first sync")
    assert (result["created"], result["updated"], result["archived"]) == (1, 0, 0)
    assert result["run"] == {
        "applied": True,
        "created": 1,
        "updated": 0,
        "archived": 0,
        "restored": 0,
        "trigger": "MANUAL",
        "startedBy": {"username": "alice"},
    }
    assert list(await models_of()) == ["local:qwen-7b"]
    history = await ModelHistory.select().output(load_json=True)
    assert [(h["action"], h["reason"]) for h in history] == [("CREATED", "first sync")]
    provider = await Provider.select().where(Provider.key == "local").first()
    assert provider["last_synced_at"] is not None and provider["last_sync_error"] is None
    runs = (await client.data(RUNS, {"p": "local"}, token=admin_token))["syncRuns"]
    assert [r["applied"] for r in runs] == [True, False]  # newest first: the apply, then the diff


async def test_a_stale_fingerprint_writes_nothing(client, admin_token, local, provider_http):
    serve(provider_http, served(("qwen-7b", 32768)))
    await apply(client, admin_token, await diff_of(client, admin_token))
    serve(provider_http, served(("qwen-7b", 65536), ("new-one", 4096)))
    diff = await diff_of(client, admin_token)
    [row] = (await models_of()).values()
    await client.data(
        'mutation($id: ID!) { setModelEnabled(id: $id, enabled: false, reason: "meanwhile") { id } }',
        {"id": str(row["id"])},
        token=admin_token,
    )
    before = await models_of()
    body = await client(APPLY, {"input": apply_input(diff)}, token=admin_token)
    assert codes(body) == ["STALE_DIFF"]
    assert await models_of() == before


async def test_an_update_shows_its_field_changes_and_leaves_locked_fields(client, admin_token, local, provider_http):
    serve(provider_http, served(("qwen-7b", 32768), ("llama-3-8b", 8192)))
    await apply(client, admin_token, await diff_of(client, admin_token))
    rows = await models_of()
    await client.data(
        'mutation($id: ID!) { updateModel(id: $id, input: {contextWindow: 1000}, reason: "we cap it") { id } }',
        {"id": str(rows["local:llama-3-8b"]["id"])},
        token=admin_token,
    )
    serve(provider_http, served(("qwen-7b", 131072), ("llama-3-8b", 16384)))
    diff = await diff_of(client, admin_token)
    [update] = diff["updatedModels"]
    assert update["existing"]["universalModelId"] == "local:qwen-7b"
    assert update["changes"] == [{"field": "contextWindow", "oldValue": 32768, "newValue": 131072}]
    assert diff["unchangedCount"] == 1  # the locked one: what the admin set stays
    result = await apply(client, admin_token, diff)
    assert result["updated"] == 1
    after = await models_of()
    assert after["local:qwen-7b"]["context_window"] == 131072
    assert after["local:llama-3-8b"]["context_window"] == 1000
    actions = await ModelHistory.select(ModelHistory.action).where(ModelHistory.model == after["local:qwen-7b"]["id"])
    assert [a["action"] for a in actions] == ["CREATED", "SYNCED"]


async def test_a_model_sync_archived_comes_back_with_the_enabled_it_had(client, admin_token, local, provider_http):
    serve(provider_http, served(("keep", 4096), ("on", 4096), ("off", 4096)))
    await apply(client, admin_token, await diff_of(client, admin_token))
    off = (await models_of())["local:off"]
    await client.data(
        "mutation($id: ID!) { setModelEnabled(id: $id, enabled: false) { id } }",
        {"id": str(off["id"])},
        token=admin_token,
    )
    serve(provider_http, served(("keep", 4096)))
    diff = await diff_of(client, admin_token)
    assert sorted(m["universalModelId"] for m in diff["archivedModels"]) == ["local:off", "local:on"]
    await apply(client, admin_token, diff)
    rows = await models_of()
    assert rows["local:on"]["status"] == rows["local:off"]["status"] == "ARCHIVED"
    serve(provider_http, served(("keep", 4096), ("on", 4096), ("off", 4096)))
    diff = await diff_of(client, admin_token)
    assert sorted(m["universalModelId"] for m in diff["restoredModels"]) == ["local:off", "local:on"]
    result = await apply(client, admin_token, diff)
    assert result["restored"] == 2
    rows = await models_of()
    assert (rows["local:on"]["status"], rows["local:on"]["enabled"]) == ("ACTIVE", True)
    assert (rows["local:off"]["status"], rows["local:off"]["enabled"]) == ("ACTIVE", False)


async def test_a_model_an_admin_archived_stays_archived(client, admin_token, local, provider_http):
    serve(provider_http, served(("retired", 4096), ("kept", 4096)))
    await apply(client, admin_token, await diff_of(client, admin_token))
    retired = (await models_of())["local:retired"]
    await client.data(
        "mutation($id: ID!) { archiveModel(id: $id) { id } }", {"id": str(retired["id"])}, token=admin_token
    )
    diff = await diff_of(client, admin_token)
    assert diff["restoredModels"] == [] and diff["unchangedCount"] == 2
    body = await client(APPLY, {"input": apply_input(diff, restoredModels=["local:retired"])}, token=admin_token)
    assert codes(body) == ["VALIDATION_FAILED"]
    assert (await models_of())["local:retired"]["status"] == "ARCHIVED"


async def test_an_id_that_differs_only_in_case_updates_its_row(client, admin_token, local, provider_http):
    serve(provider_http, served(("Qwen-7B", 32768)))
    await apply(client, admin_token, await diff_of(client, admin_token))
    serve(provider_http, served(("qwen-7b", 32768)))
    diff = await diff_of(client, admin_token)
    assert diff["newModels"] == [] and diff["archivedModels"] == []
    [update] = diff["updatedModels"]
    assert {"universalModelId", "modelId"} <= {c["field"] for c in update["changes"]}
    await apply(client, admin_token, diff)
    rows = await models_of()
    assert list(rows) == ["local:qwen-7b"] and rows["local:qwen-7b"]["version"] == 2


@pytest.mark.parametrize("field", ["newModels", "updatedModels", "archivedModels"])
async def test_entries_of_another_provider_are_refused_and_nothing_written(
    client, admin_token, local, provider_http, field
):
    await add_provider(client, admin_token)
    await create_model(client, admin_token, provider="openai", modelId="gpt-4o")
    serve(provider_http, served(("qwen-7b", 32768)))
    diff = await diff_of(client, admin_token)
    foreign = {
        "universalModelId": "openai:gpt-4o",
        "modelId": "gpt-4o",
        "displayName": "x",
        "contextWindow": 1,
        "capabilities": [],
        "status": "ACTIVE",
        "pricing": None,
    }
    extra = {field: ["openai:gpt-4o"] if field == "archivedModels" else [normalized_input(foreign)]}
    body = await client(APPLY, {"input": apply_input(diff, **extra)}, token=admin_token)
    assert codes(body) == ["VALIDATION_FAILED"]
    assert await AiModel.count() == 1 and (await AiModel.select(AiModel.version).first())["version"] == 1


async def test_sync_provider_applies_unguarded_changes_and_holds_the_guarded(client, admin_token, local, provider_http):
    serve(provider_http, served(*[(f"m{i}", 4096) for i in range(4)]))
    result = (await client.data(SYNC, {"p": "local"}, token=admin_token))["syncProvider"]
    assert result["created"] == 4
    serve(provider_http, served(("m0", 4096)))  # three of four would go: more than half
    result = (await client.data(SYNC, {"p": "local"}, token=admin_token))["syncProvider"]
    assert result["archived"] == 0
    assert any("more than half" in w for w in result["run"]["warnings"])
    assert all(row["status"] == "ACTIVE" for row in (await models_of()).values())
    serve(provider_http, served())  # no models at all
    result = (await client.data(SYNC, {"p": "local"}, token=admin_token))["syncProvider"]
    assert result["archived"] == 0 and any("no models" in w for w in result["run"]["warnings"])
    serve(provider_http, served(("m0", 4096), ("m1", 4096), ("m2", 4096)))  # one of four: not guarded
    result = (await client.data(SYNC, {"p": "local"}, token=admin_token))["syncProvider"]
    assert result["archived"] == 1 and (await models_of())["local:m3"]["status"] == "ARCHIVED"


async def test_a_price_moving_tenfold_is_held_by_the_unattended_sync(client, admin_token, provider_http):
    await client.data(
        'mutation { upsertProvider(input: {key: "openrouter", kind: OPENROUTER}) { id } }', token=admin_token
    )
    listing = json.loads((FIXTURES / "openrouter_models.json").read_text())
    route = provider_http.get("https://openrouter.ai/api/v1/models").mock(
        return_value=httpx.Response(200, json=listing)
    )
    first = (await client.data(SYNC, {"p": "openrouter"}, token=admin_token))["syncProvider"]
    assert first["created"] >= 1
    priced = next(m for m in listing["data"] if float(m["pricing"]["prompt"]) > 0)
    universal = f"openrouter:{priced['id']}"
    price = "query($u: String) { model(universalModelId: $u) { pricing { inputPerMillion } } }"
    before = await client.data(price, {"u": universal}, token=admin_token)
    priced["pricing"]["prompt"] = str(Decimal(priced["pricing"]["prompt"]) * 100)
    route.mock(return_value=httpx.Response(200, json=listing))
    result = (await client.data(SYNC, {"p": "openrouter"}, token=admin_token))["syncProvider"]
    assert any(universal in w and "10x" in w for w in result["run"]["warnings"])
    assert await client.data(price, {"u": universal}, token=admin_token) == before
    diff = await diff_of(client, admin_token, "openrouter")  # an admin sees it and may still apply it
    assert any(u["existing"]["universalModelId"] == universal for u in diff["updatedModels"])


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(500, text=f"internal error near key {KEY}"),
        httpx.Response(401, json={"error": {"message": f"Incorrect API key provided: {KEY}"}}),
        httpx.Response(200, text="<html>not json</html>"),
        httpx.ConnectTimeout("timed out"),
    ],
    ids=["500", "401", "not-json", "timeout"],
)
async def test_a_failed_fetch_sets_last_sync_error_and_changes_nothing(
    client, admin_token, local, provider_http, answer, monkeypatch
):
    monkeypatch.setattr(sync_service, "HTTP_POLICY", replace(DEFAULT_POLICY, attempts=1))
    await client.data(
        'mutation($k: String) { upsertProvider(input: {key: "local", kind: OPENAI_COMPATIBLE, apiKey: $k}) { id } }',
        {"k": KEY},
        token=admin_token,
    )
    serve(provider_http, served(("qwen-7b", 32768)))
    await apply(client, admin_token, await diff_of(client, admin_token))
    before = await models_of()
    route = provider_http.get(f"{BASE}/models")
    route.mock(side_effect=answer) if isinstance(answer, Exception) else route.mock(return_value=answer)
    for document, variables in ((DIFF, {"p": "local"}), (SYNC, {"p": "local"})):
        response = await client.post(document, variables, token=admin_token)
        assert codes(response.json()) == ["PROVIDER_ERROR"]
        assert KEY not in response.text
    assert await models_of() == before
    provider = await Provider.select().where(Provider.key == "local").first()
    assert provider["last_sync_error"] and KEY not in provider["last_sync_error"]
    runs = (await client.data(RUNS, {"p": "local"}, token=admin_token))["syncRuns"]
    assert runs[0]["error"] and not runs[0]["applied"]


async def test_a_provider_without_a_key_is_a_provider_error_naming_the_variable(client, admin_token, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    await client.data('mutation { upsertProvider(input: {key: "openai", kind: OPENAI}) { id } }', token=admin_token)
    body = await client(DIFF, {"p": "openai"}, token=admin_token)
    assert codes(body) == ["PROVIDER_ERROR"] and "OPENAI_API_KEY" in body["errors"][0]["message"]
    assert codes(await client(DIFF, {"p": "nobody"}, token=admin_token)) == ["NOT_FOUND"]


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        (DIFF, {"p": "local"}),
        (RUNS, {}),
        (SYNC, {"p": "local"}),
        (
            APPLY,
            {
                "input": {
                    "provider": "local",
                    "fingerprint": "x",
                    "newModels": [],
                    "updatedModels": [],
                    "archivedModels": [],
                }
            },
        ),
    ],
)
async def test_a_member_cannot_sync(client, member_token, document, variables):
    assert codes(await client(document, variables, token=member_token)) == ["FORBIDDEN"]


async def test_an_apply_of_a_thousand_models_takes_a_few_statements(client, admin_token, local, provider_http):
    serve(provider_http, served(*[(f"model-{i:04}", 4096) for i in range(1000)]))
    diff = await diff_of(client, admin_token)
    with count_statements() as count:
        result = await apply(client, admin_token, diff)
    assert result["created"] == 1000
    assert count.statements < 40, count.statements  # batches of 500, never one statement per model
