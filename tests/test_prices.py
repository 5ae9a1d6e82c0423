"""Prices over time through GraphQL: scheduling, history, the price at a moment, tiers, windows and cache prices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api import clock
from tables.catalog import ModelHistory
from tables.prices import ModelPrice
from tests.catalog import add_provider, create_model
from tests.graphql import codes

UPDATE = """mutation($id: ID!, $input: UpdateModelInput!) { updateModel(id: $id, input: $input) {
    version lockedFields pricing { inputPerMillion outputPerMillion effectiveFrom } } }"""
PRICES = """query($id: ID!, $at: DateTime!) { model(id: $id) {
    pricing { inputPerMillion outputPerMillion cachedInputPerMillion cacheWritePerMillion effectiveFrom
              tiers { minPromptTokens inputPerMillion outputPerMillion } windows { weekdays startUtc endUtc } }
    pricingAt(at: $at) { inputPerMillion }
    priceHistory { inputPerMillion effectiveFrom } } }"""
ESTIMATE = """query($id: ID!, $input: Int!, $output: Int!, $cached: Int, $write: Int, $at: DateTime) {
  estimateCost(modelId: $id, inputTokens: $input, outputTokens: $output, cachedInputTokens: $cached,
               cacheWriteTokens: $write, at: $at) {
    inputCost outputCost cachedInputCost cacheWriteCost totalCost pricedAt
    tier { minPromptTokens } window { startUtc endUtc } } }"""

LONG_CONTEXT = {
    "inputPerMillion": "3",
    "outputPerMillion": "15",
    "cachedInputPerMillion": "0.3",
    "cacheWritePerMillion": "3.75",
    "tiers": [{"minPromptTokens": 200001, "inputPerMillion": "6", "outputPerMillion": "22.5"}],
}


@pytest.fixture
async def openai(client, admin_token):
    await add_provider(client, admin_token)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def test_a_scheduled_price_takes_effect_at_its_moment_and_not_before(client, admin_token, openai, monkeypatch):
    model = await create_model(client, admin_token, pricing={"inputPerMillion": "2", "outputPerMillion": "8"})
    start = datetime.now(UTC)
    moment = start + timedelta(hours=1)
    data = await client.data(
        UPDATE,
        {"id": model["id"], "input": {"pricing": {"inputPerMillion": "3", "effectiveFrom": iso(moment)}}},
        token=admin_token,
    )
    assert data["updateModel"]["pricing"]["inputPerMillion"] == "2"  # still the old one now
    assert data["updateModel"]["version"] == 2 and "pricing.inputPerMillion" in data["updateModel"]["lockedFields"]
    history = await ModelHistory.select().where(ModelHistory.version == 2).output(load_json=True).first()
    assert {c["field"] for c in history["changes"]} >= {"pricing.inputPerMillion", "pricing.effectiveFrom"}

    before = await client.data(PRICES, {"id": model["id"], "at": iso(moment + timedelta(minutes=1))}, token=admin_token)
    assert before["model"]["pricing"]["inputPerMillion"] == "2"
    assert before["model"]["pricingAt"]["inputPerMillion"] == "3"
    assert [p["inputPerMillion"] for p in before["model"]["priceHistory"]] == ["3", "2"]

    monkeypatch.setattr(clock, "now", lambda: moment + timedelta(seconds=1))
    after = await client.data(PRICES, {"id": model["id"], "at": iso(start)}, token=admin_token)
    assert after["model"]["pricing"]["inputPerMillion"] == "3" and after["model"]["pricing"]["outputPerMillion"] == "8"
    assert after["model"]["pricingAt"]["inputPerMillion"] == "2"  # what was in force then is not rewritten


@pytest.mark.parametrize(
    ("pricing", "field"),
    [
        ({"inputPerMillion": "3", "effectiveFrom": "2001-01-01T00:00:00Z"}, "pricing.effectiveFrom"),
        (
            {"tiers": [{"minPromptTokens": 5, "inputPerMillion": "1"}, {"minPromptTokens": 5, "inputPerMillion": "2"}]},
            "pricing.tiers.1.minPromptTokens",
        ),
        (
            {"tiers": [{"minPromptTokens": 9, "inputPerMillion": "1"}, {"minPromptTokens": 5, "inputPerMillion": "2"}]},
            "pricing.tiers.1.minPromptTokens",
        ),
        ({"tiers": [{"minPromptTokens": 9, "inputPerMillion": "10001"}]}, "pricing.tiers.0.inputPerMillion"),
        ({"tiers": [{"minPromptTokens": 0, "inputPerMillion": "1"}]}, "pricing.tiers.0.minPromptTokens"),
        (
            {"windows": [{"weekdays": [8], "startUtc": "16:30", "endUtc": "00:30", "inputPerMillion": "1"}]},
            "pricing.windows.0.weekdays",
        ),
        (
            {"windows": [{"weekdays": [1], "startUtc": "24:00", "endUtc": "00:30", "inputPerMillion": "1"}]},
            "pricing.windows.0.startUtc",
        ),
    ],
)
async def test_bad_prices_are_refused_naming_the_field_and_write_nothing(client, admin_token, openai, pricing, field):
    model = await create_model(client, admin_token, pricing={"inputPerMillion": "2"})
    prices = await ModelPrice.count()
    body = await client(UPDATE, {"id": model["id"], "input": {"pricing": pricing}}, token=admin_token)
    assert codes(body) == ["VALIDATION_FAILED"], body
    assert [f["field"] for f in body["errors"][0]["extensions"]["fields"]] == [field]
    assert await ModelPrice.count() == prices and await ModelHistory.count() == 1


@pytest.mark.parametrize(
    ("prompt", "tier", "input_cost"),
    [(200_000, None, "0.6"), (200_001, 200001, "1.200006"), (300_000, 200001, "1.8")],
)
async def test_a_tier_prices_the_whole_request_from_its_threshold(
    client, admin_token, member_token, openai, prompt, tier, input_cost
):
    model = await create_model(client, admin_token, pricing=LONG_CONTEXT)
    data = await client.data(ESTIMATE, {"id": model["id"], "input": prompt, "output": 1000}, token=member_token)
    estimate = data["estimateCost"]
    assert (estimate["tier"] or {}).get("minPromptTokens") == tier
    assert estimate["inputCost"] == input_cost
    assert estimate["outputCost"] == ("0.015" if tier is None else "0.0225")


async def test_cache_reads_and_writes_count_toward_the_prompt_and_inherit_the_lower_tier(
    client, admin_token, member_token, openai
):
    model = await create_model(client, admin_token, pricing=LONG_CONTEXT)
    variables = {"id": model["id"], "input": 1, "output": 0, "cached": 150_000, "write": 50_000}
    estimate = (await client.data(ESTIMATE, variables, token=member_token))["estimateCost"]
    assert estimate["tier"] == {"minPromptTokens": 200001}  # 1 + 150,000 + 50,000 reaches it
    # the tier states no cache prices: the base's cache prices stand
    assert estimate["cachedInputCost"] == "0.045" and estimate["cacheWriteCost"] == "0.1875"
    flat = await create_model(client, admin_token, modelId="flat", displayName="Flat", pricing={"inputPerMillion": "2"})
    variables = {"id": flat["id"], "input": 0, "output": 0, "cached": 1_000_000, "write": 500_000}
    estimate = (await client.data(ESTIMATE, variables, token=member_token))["estimateCost"]
    assert estimate["cachedInputCost"] == "2" and estimate["cacheWriteCost"] == "1"  # at the input price


async def test_a_discount_window_prices_a_request_inside_it_by_weekday_and_utc_time(
    client, admin_token, member_token, openai
):
    pricing = {
        "inputPerMillion": "0.28",
        "outputPerMillion": "0.42",
        "windows": [{"weekdays": [1, 2, 3, 4, 5], "startUtc": "16:30", "endUtc": "00:30", "inputPerMillion": "0.14"}],
    }
    model = await create_model(client, admin_token, pricing=pricing)
    monday = datetime(2026, 11, 30, tzinfo=UTC)

    async def at(moment):
        variables = {"id": model["id"], "input": 1_000_000, "output": 1_000_000, "at": iso(moment)}
        return (await client.data(ESTIMATE, variables, token=member_token))["estimateCost"]

    inside = await at(monday.replace(hour=23))
    assert inside["inputCost"] == "0.14" and inside["outputCost"] == "0.42" and inside["window"]["startUtc"] == "16:30"
    assert (await at(monday.replace(hour=16, minute=29)))["window"] is None
    assert (await at(monday.replace(hour=16, minute=30)))["window"] is not None  # the start is inclusive
    assert (await at(monday + timedelta(days=1, minutes=30)))["window"] is None  # the end is exclusive
    assert (await at(monday + timedelta(days=1, minutes=29)))["window"] is not None  # it wraps past midnight
    assert (await at(monday + timedelta(days=6, minutes=10)))["window"] is None  # Sunday is not a weekday of it


async def test_an_estimate_before_the_first_price_is_refused(client, admin_token, member_token, openai):
    model = await create_model(client, admin_token)
    moment = datetime.now(UTC) + timedelta(days=1)
    await client.data(
        UPDATE,
        {"id": model["id"], "input": {"pricing": {"inputPerMillion": "1", "effectiveFrom": iso(moment)}}},
        token=admin_token,
    )
    body = await client(ESTIMATE, {"id": model["id"], "input": 1, "output": 0}, token=member_token)
    assert codes(body) == ["VALIDATION_FAILED"]
    later = {"id": model["id"], "input": 1_000_000, "output": 0, "at": iso(moment)}
    assert (await client.data(ESTIMATE, later, token=member_token))["estimateCost"]["totalCost"] == "1"


async def test_revert_writes_the_old_price_as_a_new_row_and_keeps_the_series(client, admin_token, openai):
    model = await create_model(client, admin_token, pricing={"inputPerMillion": "2"})
    await client.data(UPDATE, {"id": model["id"], "input": {"pricing": {"inputPerMillion": "5"}}}, token=admin_token)
    data = await client.data(
        "mutation($id: ID!) { revertModel(id: $id, toVersion: 1) { pricing { inputPerMillion } "
        "priceHistory { inputPerMillion } } }",
        {"id": model["id"]},
        token=admin_token,
    )
    assert data["revertModel"]["pricing"]["inputPerMillion"] == "2"
    assert [p["inputPerMillion"] for p in data["revertModel"]["priceHistory"]] == ["2", "5", "2"]


async def test_prices_on_a_page_of_500_models_take_a_fixed_number_of_statements(client, admin_token, openai):
    from api.database import count_statements
    from tables.catalog import AiModel, Provider
    from tables.prices import ModelPrice

    await create_model(client, admin_token, pricing={"inputPerMillion": "1"})
    query = """query($first: Int, $at: DateTime!) { models(first: $first) { nodes {
        pricing { inputPerMillion tiers { minPromptTokens } } pricingAt(at: $at) { inputPerMillion }
        priceHistory(first: 2) { inputPerMillion } } } }"""
    at = iso(datetime.now(UTC))

    async def statements(first):
        with count_statements() as count:
            await client.data(query, {"first": first, "at": at}, token=admin_token)
        return count.statements

    await statements(2)  # the first read also finds the next price boundary, which later reads reuse
    small = await statements(1)
    provider = (await Provider.select(Provider.id).first())["id"]
    rows = await AiModel.insert(
        *(
            AiModel(provider=provider, model_id=f"m{i}", universal_model_id=f"openai:m{i}", display_name="M")
            for i in range(600)
        )
    ).returning(AiModel.id)
    await ModelPrice.insert(*(ModelPrice(model=row["id"], input_price=1, version=1) for row in rows))
    assert await statements(500) == small


async def test_an_export_carries_scheduled_prices_and_an_import_schedules_them(client, admin_token, openai):
    model = await create_model(client, admin_token, pricing={"inputPerMillion": "2"})
    moment = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)
    await client.data(
        UPDATE,
        {"id": model["id"], "input": {"pricing": {"inputPerMillion": "3", "effectiveFrom": iso(moment)}}},
        token=admin_token,
    )
    document = (await client.data("{ exportCatalog }", token=admin_token))["exportCatalog"]
    [scheduled] = document["models"][0]["scheduledPrices"]
    assert scheduled["effectiveFrom"] == iso(moment) and scheduled["inputPerMillion"] == "3"
    from tables.catalog import AiModel

    await ModelHistory.delete(force=True)
    await AiModel.delete(force=True)
    result = await client.data(
        "mutation($d: JSON!) { importModels(document: $d) { created errors { field message } } }",
        {"d": document},
        token=admin_token,
    )
    assert result["importModels"]["created"] == 1
    again = (await client.data("{ exportCatalog }", token=admin_token))["exportCatalog"]
    assert again["models"] == document["models"]
    document["models"][0]["scheduledPrices"][0]["effectiveFrom"] = "2001-01-01T00:00:00Z"
    body = await client.data(
        "mutation($d: JSON!) { importModels(document: $d) { applied errors { field } } }",
        {"d": document},
        token=admin_token,
    )
    assert body["importModels"]["errors"] == [{"field": "scheduledPrices.0.effectiveFrom"}]
