"""Changing models through GraphQL: versions, history, locks, the rules, concurrency and batching."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from api.catalog.history import HistoryRow, write_history
from api.database import count_statements
from domain.choices import HistoryAction
from tables.catalog import AiModel, ModelHistory
from tests.catalog import add_provider, create_model, model_row
from tests.graphql import codes

SHORT = "id version enabled status isDefault selectable lockedFields displayName contextWindow"
UPDATE = f"""
mutation($id: ID!, $input: UpdateModelInput!, $expected: Int, $reason: String) {{
  updateModel(id: $id, input: $input, expectedVersion: $expected, reason: $reason) {{ {SHORT}
    pricing {{ inputPerMillion outputPerMillion cachedInputPerMillion }} description }}
}}
"""
HISTORY = """
query($id: ID!, $first: Int, $after: String) {
  modelHistory(modelId: $id, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id modelId universalModelId version action reason changedBy { username } createdAt
            changes { field oldValue newValue } }
  }
}
"""


def mutation(name: str, args: str = "") -> str:
    params = "".join(f", ${a.split(':')[0]}: {a.split(':')[1]}" for a in args.split(",") if a)
    call = "".join(f", {a.split(':')[0]}: ${a.split(':')[0]}" for a in args.split(",") if a)
    return f"mutation($id: ID!{params}) {{ {name}(id: $id{call}) {{ {SHORT} }} }}"


ENABLE = mutation("setModelEnabled", "enabled:Boolean!,reason:String")
ARCHIVE = mutation("archiveModel", "reason:String")
RESTORE = mutation("restoreModel", "reason:String")
REVERT = mutation("revertModel", "toVersion:Int!,reason:String")
DEFAULT = mutation("setDefaultModel")
UNLOCK = mutation("unlockFields", "fields:[String!]!")


@pytest.fixture
async def model(client, admin_token):
    await add_provider(client, admin_token)
    return await create_model(client, admin_token, **model_row())


async def history_of(client, token, model_id):
    data = await client.data(HISTORY, {"id": model_id}, token=token)
    return data["modelHistory"]["nodes"]


async def test_an_update_bumps_the_version_locks_the_fields_and_writes_history(client, admin_token, model):
    data = await client.data(
        UPDATE,
        {
            "id": model["id"],
            "input": {"contextWindow": 200000, "pricing": {"inputPerMillion": "2.50"}, "displayName": "GPT-4o"},
            "expected": 1,
            "reason": "new limits",
        },
        token=admin_token,
    )
    updated = data["updateModel"]
    assert updated["version"] == 2 and updated["contextWindow"] == 200000
    assert updated["pricing"] == {"inputPerMillion": "2.5", "outputPerMillion": "10", "cachedInputPerMillion": "1.25"}
    assert updated["lockedFields"] == ["displayName", "contextWindow", "pricing.inputPerMillion"]
    latest = (await history_of(client, admin_token, model["id"]))[0]
    assert latest["version"] == 2 and latest["action"] == "UPDATED" and latest["reason"] == "new limits"
    assert latest["changedBy"] == {"username": "alice"} and latest["modelId"] == model["id"]
    assert latest["changes"] == [
        {"field": "contextWindow", "oldValue": 128000, "newValue": 200000},
        {
            "field": "lockedFields",
            "oldValue": [],
            "newValue": ["displayName", "contextWindow", "pricing.inputPerMillion"],
        },
    ]


async def test_null_clears_a_field_and_omitted_fields_stay(client, admin_token, model):
    data = await client.data(
        UPDATE, {"id": model["id"], "input": {"pricing": None, "description": None}}, token=admin_token
    )
    assert data["updateModel"]["pricing"] is None and data["updateModel"]["contextWindow"] == 128000
    body = await client(UPDATE, {"id": model["id"], "input": {"displayName": None}}, token=admin_token)
    assert codes(body) == ["VALIDATION_FAILED"]


async def test_an_update_that_changes_nothing_writes_nothing(client, admin_token, model):
    await client.data(UPDATE, {"id": model["id"], "input": {"contextWindow": 1000}}, token=admin_token)
    data = await client.data(UPDATE, {"id": model["id"], "input": {"contextWindow": 1000}}, token=admin_token)
    assert data["updateModel"]["version"] == 2
    assert await ModelHistory.count() == 2


async def test_a_stale_expected_version_is_a_conflict_and_writes_nothing(client, admin_token, model):
    await client.data(UPDATE, {"id": model["id"], "input": {"contextWindow": 1000}, "expected": 1}, token=admin_token)
    body = await client(UPDATE, {"id": model["id"], "input": {"contextWindow": 2000}, "expected": 1}, token=admin_token)
    assert codes(body) == ["CONFLICT"]
    assert "version 2" in body["errors"][0]["message"]
    row = await AiModel.select(AiModel.context_window, AiModel.version).first()
    assert row == {"context_window": 1000, "version": 2}


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        (UPDATE, {"id": "424242", "input": {"contextWindow": 5}}, "NOT_FOUND"),
        (UPDATE, {"input": {"contextWindow": -5}}, "VALIDATION_FAILED"),
        (UPDATE, {"input": {"capabilities": ["UPPER"]}}, "VALIDATION_FAILED"),
        (UPDATE, {"input": {"pricing": {"outputPerMillion": "10001"}}}, "VALIDATION_FAILED"),
        (REVERT, {"toVersion": 7}, "VALIDATION_FAILED"),
        (REVERT, {"toVersion": 0}, "VALIDATION_FAILED"),
        (UNLOCK, {"fields": ["enabled"]}, "VALIDATION_FAILED"),
        (ENABLE, {"id": "abc", "enabled": True}, "VALIDATION_FAILED"),
    ],
)
async def test_bad_changes_are_refused_and_write_nothing(client, admin_token, model, query, variables, code):
    body = await client(query, {"id": model["id"], **variables}, token=admin_token)
    assert codes(body) == [code], body
    assert await AiModel.select(AiModel.version).first() == {"version": 1}
    assert await ModelHistory.count() == 1


async def test_members_cannot_change_the_catalog(client, admin_token, member_token, model):
    for query, variables in [
        (UPDATE, {"input": {"contextWindow": 5}}),
        (ENABLE, {"enabled": False}),
        (ARCHIVE, {}),
        (RESTORE, {}),
        (REVERT, {"toVersion": 1}),
        (DEFAULT, {}),
        (UNLOCK, {"fields": ["contextWindow"]}),
    ]:
        body = await client(query, {"id": model["id"], **variables}, token=member_token)
        assert codes(body) == ["FORBIDDEN"], query
    duplicate = 'mutation($id: ID!) { duplicateModel(id: $id, universalModelId: "openai:x") { id } }'
    assert codes(await client(duplicate, {"id": model["id"]}, token=member_token)) == ["FORBIDDEN"]
    assert await ModelHistory.count() == 1


async def test_archiving_disables_and_an_archived_model_cannot_be_enabled(client, admin_token, model):
    archived = (await client.data(ARCHIVE, {"id": model["id"], "reason": "retired"}, token=admin_token))["archiveModel"]
    assert archived["status"] == "ARCHIVED" and archived["enabled"] is False and archived["selectable"] is False
    body = await client(ENABLE, {"id": model["id"], "enabled": True}, token=admin_token)
    assert codes(body) == ["VALIDATION_FAILED"] and body["errors"][0]["extensions"]["fields"][0]["field"] == "enabled"
    body = await client(UPDATE, {"id": model["id"], "input": {"enabled": True}}, token=admin_token)
    assert codes(body) == ["VALIDATION_FAILED"]
    restored = (await client.data(RESTORE, {"id": model["id"]}, token=admin_token))["restoreModel"]
    assert restored["status"] == "ACTIVE" and restored["enabled"] is False  # an admin enables it
    enabled = (await client.data(ENABLE, {"id": model["id"], "enabled": True}, token=admin_token))["setModelEnabled"]
    assert enabled["selectable"] is True and enabled["version"] == 4
    actions = [entry["action"] for entry in await history_of(client, admin_token, model["id"])]
    assert actions == ["ENABLED", "RESTORED", "ARCHIVED", "CREATED"]
    row = await AiModel.select(AiModel.archived_at).first()
    assert row["archived_at"] is None


async def test_exactly_one_default_which_must_stay_selectable(client, admin_token, model):
    other = await create_model(client, admin_token, modelId="gpt-4o-mini", displayName="mini")
    assert (await client.data(DEFAULT, {"id": model["id"]}, token=admin_token))["setDefaultModel"]["isDefault"]
    switched = (await client.data(DEFAULT, {"id": other["id"]}, token=admin_token))["setDefaultModel"]
    assert switched["isDefault"] is True and switched["version"] == 2
    defaults = await AiModel.select(AiModel.universal_model_id).where(AiModel.is_default.eq(True))
    assert defaults == [{"universal_model_id": "openai:gpt-4o-mini"}]
    data = await client.data("{ defaultModel { universalModelId } }", token=admin_token)
    assert data["defaultModel"] == {"universalModelId": "openai:gpt-4o-mini"}
    for query, variables in [(ENABLE, {"enabled": False}), (ARCHIVE, {}), (UPDATE, {"input": {"enabled": False}})]:
        body = await client(query, {"id": other["id"], **variables}, token=admin_token)
        assert codes(body) == ["VALIDATION_FAILED"], query
    await client.data(ENABLE, {"id": model["id"], "enabled": False}, token=admin_token)
    body = await client(DEFAULT, {"id": model["id"]}, token=admin_token)
    assert codes(body) == ["VALIDATION_FAILED"]
    assert (await client.data("{ defaultModel { universalModelId } }", token=admin_token))["defaultModel"] == {
        "universalModelId": "openai:gpt-4o-mini"
    }


async def test_duplicate_copies_the_model_under_a_new_id(client, admin_token, model):
    query = """mutation($id: ID!, $u: String!, $name: String) {
      duplicateModel(id: $id, universalModelId: $u, displayName: $name) {
        universalModelId modelId displayName contextWindow capabilities version isDefault
        pricing { inputPerMillion } history { action reason } } }"""
    data = await client.data(
        query, {"id": model["id"], "u": "openai:gpt-4o-creative", "name": "GPT-4o creative"}, token=admin_token
    )
    assert data["duplicateModel"] == {
        "universalModelId": "openai:gpt-4o-creative",
        "modelId": "gpt-4o",
        "displayName": "GPT-4o creative",
        "contextWindow": 128000,
        "capabilities": ["tools", "vision", "json"],
        "version": 1,
        "isDefault": False,
        "pricing": {"inputPerMillion": "2.5"},
        "history": [{"action": "DUPLICATED", "reason": "copy of openai:gpt-4o"}],
    }
    body = await client(query, {"id": model["id"], "u": "openai:gpt-4o-creative"}, token=admin_token)
    assert codes(body) == ["VALIDATION_FAILED"]
    body = await client(query, {"id": model["id"], "u": "groq:gpt-4o"}, token=admin_token)
    assert codes(body) == ["VALIDATION_FAILED"]
    assert await AiModel.count() == 2


async def test_revert_restores_an_earlier_version_as_a_new_one(client, admin_token, model):
    await client.data(
        UPDATE, {"id": model["id"], "input": {"contextWindow": 1000, "displayName": "Renamed"}}, token=admin_token
    )
    await client.data(UPDATE, {"id": model["id"], "input": {"pricing": {"inputPerMillion": "3"}}}, token=admin_token)
    await client.data(ENABLE, {"id": model["id"], "enabled": False}, token=admin_token)
    data = await client.data(REVERT, {"id": model["id"], "toVersion": 1}, token=admin_token)
    reverted = data["revertModel"]
    assert reverted["version"] == 5 and reverted["contextWindow"] == 128000 and reverted["displayName"] == "GPT-4o"
    assert reverted["enabled"] is False  # revert restores what describes a model, not the admin's switch
    latest = (await history_of(client, admin_token, model["id"]))[0]
    assert latest["action"] == "REVERTED" and latest["reason"] == "revert to version 1"
    assert {change["field"] for change in latest["changes"]} == {
        "displayName",
        "contextWindow",
        "pricing.inputPerMillion",
    }
    prices = await client.data(
        'query { model(universalModelId: "openai:gpt-4o") { pricing { inputPerMillion } } }', token=admin_token
    )
    assert prices["model"]["pricing"]["inputPerMillion"] == "2.5"
    again = await client.data(REVERT, {"id": model["id"], "toVersion": 3}, token=admin_token)
    assert again["revertModel"]["displayName"] == "Renamed" and again["revertModel"]["version"] == 6


async def test_unlock_fields_lets_sync_own_them_again(client, admin_token, model):
    await client.data(
        UPDATE, {"id": model["id"], "input": {"contextWindow": 1000, "description": "x"}}, token=admin_token
    )
    data = await client.data(UNLOCK, {"id": model["id"], "fields": ["contextWindow"]}, token=admin_token)
    assert data["unlockFields"]["lockedFields"] == ["description"] and data["unlockFields"]["version"] == 3


async def test_history_pages_newest_first(client, admin_token, model):
    for window in range(1000, 1005):
        await client.data(UPDATE, {"id": model["id"], "input": {"contextWindow": window}}, token=admin_token)
    first = (await client.data(HISTORY, {"id": model["id"], "first": 4}, token=admin_token))["modelHistory"]
    assert [entry["version"] for entry in first["nodes"]] == [6, 5, 4, 3]
    assert first["totalCount"] == 6 and first["pageInfo"]["hasNextPage"] is True
    after = first["pageInfo"]["endCursor"]
    rest = (await client.data(HISTORY, {"id": model["id"], "first": 4, "after": after}, token=admin_token))[
        "modelHistory"
    ]
    assert [entry["version"] for entry in rest["nodes"]] == [2, 1] and rest["pageInfo"]["hasNextPage"] is False
    assert codes(await client(HISTORY, {"id": "424242"}, token=admin_token)) == ["NOT_FOUND"]


async def test_catalog_changes_is_the_whole_catalogs_feed(client, admin_token, member_token, model):
    other = await create_model(client, admin_token, modelId="o3", displayName="o3")
    await client.data(ARCHIVE, {"id": other["id"]}, token=admin_token)
    query = """query($since: DateTime, $first: Int, $after: String) {
      catalogChanges(since: $since, first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } nodes { universalModelId action version } } }"""
    data = await client.data(query, {"first": 2}, token=member_token)
    assert data["catalogChanges"]["nodes"] == [
        {"universalModelId": "openai:o3", "action": "ARCHIVED", "version": 2},
        {"universalModelId": "openai:o3", "action": "CREATED", "version": 1},
    ]
    assert data["catalogChanges"]["totalCount"] == 3
    after = data["catalogChanges"]["pageInfo"]["endCursor"]
    rest = await client.data(query, {"first": 2, "after": after}, token=member_token)
    assert rest["catalogChanges"]["nodes"] == [{"universalModelId": "openai:gpt-4o", "action": "CREATED", "version": 1}]
    future = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert (await client.data(query, {"since": future}, token=member_token))["catalogChanges"]["totalCount"] == 0
    past = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    assert (await client.data(query, {"since": past}, token=member_token))["catalogChanges"]["totalCount"] == 3


async def test_two_admins_with_the_same_expected_version_one_wins(client, admin_token, model):
    async def update(window):
        return await client(
            UPDATE, {"id": model["id"], "input": {"contextWindow": window}, "expected": 1}, token=admin_token
        )

    bodies = await asyncio.gather(*(update(window) for window in (1000, 2000, 3000, 4000)))
    winners = [body for body in bodies if "errors" not in body]
    assert len(winners) == 1
    assert sorted(codes(body)[0] for body in bodies if "errors" in body) == ["CONFLICT"] * 3
    row = await AiModel.select(AiModel.context_window, AiModel.version).first()
    assert row == {"context_window": winners[0]["data"]["updateModel"]["contextWindow"], "version": 2}
    assert await ModelHistory.count() == 2


async def test_concurrent_writes_keep_history_versions_gap_free(client, admin_token, model):
    async def change(i):
        if i % 3 == 0:
            return await client(ENABLE, {"id": model["id"], "enabled": i % 2 == 0}, token=admin_token)
        return await client(UPDATE, {"id": model["id"], "input": {"contextWindow": 1000 + i}}, token=admin_token)

    bodies = await asyncio.gather(*(change(i) for i in range(1, 13)))
    assert all("errors" not in body for body in bodies), bodies
    row = await AiModel.select(AiModel.version).first()
    versions = [r["version"] for r in await ModelHistory.select(ModelHistory.version).order_by(ModelHistory.version)]
    assert versions == list(range(1, row["version"] + 1))


async def test_a_page_of_500_models_with_providers_and_history_takes_a_fixed_number_of_statements(
    client, admin_token, model
):
    await add_provider(client, admin_token, "anthropic", "ANTHROPIC")
    await create_model(client, admin_token, provider="anthropic", modelId="claude", displayName="Claude")
    await client.data(UPDATE, {"id": model["id"], "input": {"contextWindow": 7}}, token=admin_token)
    query = """query($first: Int) { models(first: $first) { totalCount nodes {
        universalModelId provider { key modelCount } chatCount
        history(first: 3) { version changedBy { username } } } } }"""

    async def statements(first):
        with count_statements() as count:
            data = await client.data(query, {"first": first}, token=admin_token)
        assert len(data["models"]["nodes"]) == min(first, await AiModel.count())
        return count.statements

    small = await statements(1)
    providers = [row["id"] for row in await AiModel.raw("SELECT id FROM providers ORDER BY key")]
    inserted = await AiModel.insert(
        *(
            AiModel(
                provider=providers[i % 2],
                model_id=f"m{i}",
                universal_model_id=f"{'ao'[i % 2]}:m{i}",
                display_name=f"M{i}",
            )
            for i in range(600)
        )
    ).returning(AiModel.id, AiModel.universal_model_id)
    await write_history(
        [HistoryRow(row["id"], row["universal_model_id"], 1, HistoryAction.CREATED, [], None, None) for row in inserted]
    )
    large = await statements(500)
    # the token, the count, the page, then one batch each for providers, model
    # counts, chat counts, history and the users who made it, whatever the page size
    assert small == large <= 9


async def test_concurrent_default_changes_leave_exactly_one_default(client, admin_token, model):
    others = [await create_model(client, admin_token, modelId=f"m{i}", displayName=f"M{i}") for i in range(4)]
    bodies = await asyncio.gather(*(client(DEFAULT, {"id": other["id"]}, token=admin_token) for other in others))
    assert all("errors" not in body for body in bodies), bodies
    assert await AiModel.count().where(AiModel.is_default.eq(True)) == 1
