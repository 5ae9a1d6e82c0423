"""Usage through GraphQL and the command line: recording, idempotency, pricing at the moment, visibility, reports."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from api.users import service as users
from domain.choices import Role
from tables.usage import UsageRecord
from tests.catalog import add_provider, create_model
from tests.commands import cli
from tests.graphql import codes

RECORD = """mutation($input: UsageInput!) { recordUsage(input: $input) {
    id requestId cost universalModelId user { username } occurredAt model { universalModelId } } }"""
BATCH = "mutation($inputs: [UsageInput!]!) { recordUsageBatch(inputs: $inputs) { id requestId cost } }"
UPDATE = "mutation($id: ID!, $input: UpdateModelInput!) { updateModel(id: $id, input: $input) { version } }"
REPORT = """query($from: DateTime!, $to: DateTime!, $groupBy: UsageGroupBy, $userId: ID) {
  usage(from: $from, to: $to, groupBy: $groupBy, userId: $userId) {
    groupBy buckets { key requests errors inputTokens outputTokens cachedInputTokens cost unpricedRequests
                      p50LatencyMs p95LatencyMs }
    total { key requests errors cost unpricedRequests p50LatencyMs p95LatencyMs } } }"""
RECORDS = "query($first: Int, $after: String) { usageRecords(first: $first, after: $after) { requestId cursor } }"


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
async def model(client, admin_token):
    await add_provider(client, admin_token)
    return await create_model(client, admin_token, pricing={"inputPerMillion": "2", "outputPerMillion": "10"})


def usage(model, request_id="r1", **fields):
    return {"requestId": request_id, "aiModelId": model["id"], "inputTokens": 1000, "outputTokens": 100, **fields}


async def test_a_record_is_priced_once_and_a_retry_returns_the_first(client, admin_token, member_token, model):
    first = (await client.data(RECORD, {"input": usage(model)}, token=member_token))["recordUsage"]
    assert first["cost"] == "0.003" and first["user"]["username"] == "bob"
    await client.data(UPDATE, {"id": model["id"], "input": {"pricing": {"inputPerMillion": "4"}}}, token=admin_token)
    again = (await client.data(RECORD, {"input": usage(model, inputTokens=9)}, token=member_token))["recordUsage"]
    assert again == first and await UsageRecord.count() == 1  # never repriced, never written twice
    later = (await client.data(RECORD, {"input": usage(model, "r2")}, token=member_token))["recordUsage"]
    assert later["cost"] == "0.005"  # the price changed between the two records


async def test_a_record_is_priced_at_the_price_in_force_when_it_happened(client, admin_token, member_token, model):
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    await client.data(UPDATE, {"id": model["id"], "input": {"pricing": {"inputPerMillion": "4"}}}, token=admin_token)
    old = await client.data(RECORD, {"input": usage(model, occurredAt=iso(hour_ago))}, token=member_token)
    assert old["recordUsage"]["cost"] == "0.003"  # the price the model was added with


async def test_a_batch_is_all_or_nothing_and_names_the_index(client, member_token, model):
    inputs = [usage(model, f"b{i}") for i in range(3)]
    inputs[1]["inputTokens"] = -1
    inputs[2]["occurredAt"] = iso(datetime.now(UTC) + timedelta(hours=1))
    body = await client(BATCH, {"inputs": inputs}, token=member_token)
    assert codes(body) == ["VALIDATION_FAILED"]
    fields = [f["field"] for f in body["errors"][0]["extensions"]["fields"]]
    assert fields == ["inputs[1].inputTokens", "inputs[2].occurredAt"]
    assert await UsageRecord.count() == 0
    good = await client.data(BATCH, {"inputs": [usage(model, f"b{i}") for i in range(3)]}, token=member_token)
    assert [r["requestId"] for r in good["recordUsageBatch"]] == ["b0", "b1", "b2"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"inputTokens": -5}, "inputTokens"),
        ({"outputTokens": 2**31}, "outputTokens"),
        ({"requestId": "x" * 201}, "requestId"),
        ({"requestId": ""}, "requestId"),
        ({"occurredAt": "2020-01-01T00:00:00Z"}, "occurredAt"),
        ({"aiModelId": "424242"}, "aiModelId"),
        ({"chatId": "424242"}, "chatId"),
        ({"latencyMs": -1}, "latencyMs"),
    ],
)
async def test_bad_usage_is_refused_naming_the_field(client, member_token, model, change, field):
    body = await client(RECORD, {"input": usage(model, **change)}, token=member_token)
    assert codes(body) == ["VALIDATION_FAILED"], body
    assert body["errors"][0]["extensions"]["fields"][0]["field"] == field
    assert await UsageRecord.count() == 0


async def test_a_batch_over_1000_is_refused(client, member_token, model):
    body = await client(BATCH, {"inputs": [usage(model, f"x{i}") for i in range(1001)]}, token=member_token)
    assert codes(body) == ["VALIDATION_FAILED"] and body["errors"][0]["extensions"]["fields"][0]["field"] == "inputs"


async def test_visibility_of_models_chats_and_other_users(client, admin_token, member_token, model):
    carol, carol_token = await users.create_user("carol", Role.MEMBER)
    chat = await client.data(
        "mutation($m: ID!) { createChat(aiModelId: $m) { id } }", {"m": model["id"]}, token=carol_token
    )
    body = await client(RECORD, {"input": usage(model, chatId=chat["createChat"]["id"])}, token=member_token)
    assert body["errors"][0]["extensions"]["fields"][0]["field"] == "chatId"  # another user's chat
    body = await client(RECORD, {"input": usage(model, userId=str(carol.id))}, token=member_token)
    assert codes(body) == ["FORBIDDEN"]
    data = await client.data(RECORD, {"input": usage(model, userId=str(carol.id))}, token=admin_token)
    assert data["recordUsage"]["user"]["username"] == "carol"
    await client.data(RECORD, {"input": usage(model, "mine")}, token=member_token)
    week = {"from": iso(datetime.now(UTC) - timedelta(days=7)), "to": iso(datetime.now(UTC) + timedelta(days=1))}
    mine = await client.data(REPORT, {**week, "groupBy": "USER"}, token=member_token)
    assert [b["key"] for b in mine["usage"]["buckets"]] == ["bob"]
    everyone = await client.data(REPORT, {**week, "groupBy": "USER"}, token=admin_token)
    assert sorted(b["key"] for b in everyone["usage"]["buckets"]) == ["bob", "carol"]
    assert codes(await client(REPORT, {**week, "userId": str(carol.id)}, token=member_token)) == ["NOT_FOUND"]
    records = await client.data(RECORDS, token=member_token)
    assert [r["requestId"] for r in records["usageRecords"]] == ["mine"]


async def test_the_report_sums_tokens_costs_errors_and_latency_per_bucket(client, admin_token, member_token, model):
    unpriced = await create_model(client, admin_token, modelId="free", displayName="Free")
    now = datetime.now(UTC)
    inputs = [
        usage(model, f"p{i}", latencyMs=(i + 1) * 100, occurredAt=iso(now - timedelta(days=i % 2))) for i in range(10)
    ]
    inputs.append(usage(unpriced, "u1", success=False, errorCode="timeout", latencyMs=5000))
    await client.data(BATCH, {"inputs": inputs}, token=member_token)
    window = {"from": iso(now - timedelta(days=3)), "to": iso(now + timedelta(minutes=10))}
    report = (await client.data(REPORT, {**window, "groupBy": "MODEL"}, token=admin_token))["usage"]
    priced = report["buckets"][0]
    assert priced["key"] == "openai:gpt-4o" and priced["requests"] == 10 and priced["cost"] == "0.03"
    assert priced["inputTokens"] == 10_000 and priced["p50LatencyMs"] == 500 and priced["p95LatencyMs"] == 1000
    free = report["buckets"][1]
    assert free["unpricedRequests"] == 1 and free["errors"] == 1 and free["cost"] == "0"
    assert report["total"] == {
        "key": "total",
        "requests": 11,
        "errors": 1,
        "cost": "0.03",
        "unpricedRequests": 1,
        "p50LatencyMs": 600,
        "p95LatencyMs": 5000,
    }
    days = (await client.data(REPORT, {**window, "groupBy": "DAY"}, token=admin_token))["usage"]["buckets"]
    assert sorted(b["key"] for b in days) == sorted({(now - timedelta(days=d)).strftime("%Y-%m-%d") for d in (0, 1)})
    providers = (await client.data(REPORT, {**window, "groupBy": "PROVIDER"}, token=admin_token))["usage"]["buckets"]
    assert [b["key"] for b in providers] == ["openai"]

    listed = cli("usage", "--from", window["from"], "--to", window["to"], "--group-by", "model", "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["total"]["cost"] == "0.03"
    table = cli("usage", "--from", window["from"], "--to", window["to"], "--group-by", "day")
    assert table.returncode == 0 and "total" in table.stdout


async def test_records_page_newest_first(client, member_token, model):
    now = datetime.now(UTC)
    inputs = [usage(model, f"n{i}", occurredAt=iso(now - timedelta(minutes=i))) for i in range(5)]
    await client.data(BATCH, {"inputs": inputs}, token=member_token)
    page = (await client.data(RECORDS, {"first": 2}, token=member_token))["usageRecords"]
    assert [r["requestId"] for r in page] == ["n0", "n1"]
    rest = await client.data(RECORDS, {"first": 10, "after": page[-1]["cursor"]}, token=member_token)
    assert [r["requestId"] for r in rest["usageRecords"]] == ["n2", "n3", "n4"]


async def test_a_record_pays_the_window_and_tier_in_force_when_it_happened(client, admin_token, member_token):
    await add_provider(client, admin_token, "deepseek", "OPENAI_COMPATIBLE")
    pricing = {
        "inputPerMillion": "0.28",
        "outputPerMillion": "0.42",
        "tiers": [{"minPromptTokens": 100_000, "inputPerMillion": "0.5"}],
        "windows": [
            {"weekdays": [1, 2, 3, 4, 5, 6, 7], "startUtc": "00:00", "endUtc": "00:00", "outputPerMillion": "0.1"}
        ],
    }
    model = await create_model(
        client, admin_token, provider="deepseek", modelId="chat", displayName="C", pricing=pricing
    )
    data = await client.data(
        BATCH.replace("id requestId cost", "requestId cost tierMinPromptTokens"),
        {"inputs": [usage(model, "small"), usage(model, "long", inputTokens=100_000, outputTokens=0)]},
        token=member_token,
    )
    small, long = data["recordUsageBatch"]
    assert small["cost"] == "0.00029" and small["tierMinPromptTokens"] is None  # 1000 x 0.28 + 100 x 0.1
    assert long["cost"] == "0.05" and long["tierMinPromptTokens"] == 100_000


async def test_endpoint_reports_group_only_what_local_endpoints_served(client, admin_token, member_token, model):
    await client.data(RECORD, {"input": usage(model, "e1")}, token=member_token)
    await client.data(RECORD, {"input": usage(model, "e2")}, token=member_token)
    created = await client.data(
        'mutation { createLocalEndpoint(input: {name: "lab", baseUrl: "http://127.0.0.1:9/v1"}) { id } }',
        token=member_token,
    )
    endpoint = created["createLocalEndpoint"]["id"]
    await UsageRecord.update({UsageRecord.endpoint: int(endpoint)}).where(UsageRecord.request_id == "e2")
    window = {"from": iso(datetime.now(UTC) - timedelta(days=1)), "to": iso(datetime.now(UTC) + timedelta(hours=1))}
    report = (await client.data(REPORT, {**window, "groupBy": "ENDPOINT"}, token=admin_token))["usage"]
    assert [(b["key"], b["requests"]) for b in report["buckets"]] == [(endpoint, 1)]
    assert report["total"]["requests"] == 1
