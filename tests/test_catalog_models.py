"""Creating models and reading the catalog through GraphQL: fields, filters, pages and cost."""

from __future__ import annotations

import asyncio

import pytest

from tables.catalog import AiModel, ModelHistory
from tables.chats import Chat
from tables.prices import ModelPrice
from tables.users import User
from tests.catalog import CREATE, MODEL_FIELDS, add_provider, create_model, model_row
from tests.graphql import codes


@pytest.fixture
async def openai(client, admin_token):
    await add_provider(client, admin_token)


async def test_an_admin_creates_a_model_with_every_field(client, admin_token, openai):
    body = await client(CREATE, {"input": model_row(description="Omni model"), "reason": "launch"}, token=admin_token)
    model = body["data"]["createModel"]
    assert model == {
        "id": model["id"],
        "universalModelId": "openai:gpt-4o",
        "modelId": "gpt-4o",
        "displayName": "GPT-4o",
        "description": "Omni model",
        "contextWindow": 128000,
        "maxOutputTokens": 16384,
        "supportsTools": True,
        "supportsVision": True,
        "capabilities": ["tools", "vision", "json"],
        "speedTier": "FAST",
        "costTier": "MEDIUM",
        "pricing": {"inputPerMillion": "2.5", "outputPerMillion": "10", "cachedInputPerMillion": "1.25"},
        "status": "ACTIVE",
        "enabled": True,
        "isAvailable": True,
        "selectable": True,
        "isDefault": False,
        "lockedFields": [],
        "version": 1,
        "createdAt": model["createdAt"],
        "updatedAt": model["updatedAt"],
        "provider": {"key": "openai", "kind": "OPENAI"},
    }
    history = await ModelHistory.select().where(ModelHistory.model == int(model["id"])).output(load_json=True)
    assert len(history) == 1
    assert history[0]["action"] == "CREATED" and history[0]["version"] == 1 and history[0]["reason"] == "launch"
    changes = {change["field"]: change for change in history[0]["changes"]}
    assert changes["pricing.inputPerMillion"] == {
        "field": "pricing.inputPerMillion",
        "oldValue": None,
        "newValue": "2.5",
    }
    assert changes["contextWindow"]["newValue"] == 128000


async def test_a_minimal_model_gets_the_defaults(client, admin_token, openai):
    model = await create_model(client, admin_token, modelId="o3", displayName="o3", universalModelId="openai:o3-custom")
    assert model["universalModelId"] == "openai:o3-custom"
    assert model["pricing"] is None and model["capabilities"] == [] and model["contextWindow"] is None
    assert model["supportsTools"] is False and model["enabled"] is True


async def test_a_member_reads_but_cannot_create(client, admin_token, member_token, openai):
    body = await client(CREATE, {"input": model_row()}, token=member_token)
    assert codes(body) == ["FORBIDDEN"]
    body = await client(CREATE, {"input": model_row()})
    assert codes(body) == ["UNAUTHENTICATED"]
    assert await AiModel.count() == 0
    await create_model(client, admin_token)
    data = await client.data("{ models { totalCount nodes { universalModelId } } }", token=member_token)
    assert data["models"] == {"totalCount": 1, "nodes": [{"universalModelId": "openai:gpt-4o"}]}


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"provider": "nope"}, "provider", 'no provider "nope"'),
        ({"displayName": "  "}, "displayName", "must not be empty"),
        ({"displayName": "x" * 201}, "displayName", "at most 200 characters"),
        ({"modelId": "m" * 257}, "modelId", "at most 256 characters"),
        ({"modelId": "has space"}, "modelId", "no spaces"),
        ({"contextWindow": -1}, "contextWindow", "between 1 and 100,000,000"),
        ({"contextWindow": 0}, "contextWindow", "between 1 and 100,000,000"),
        ({"maxOutputTokens": 100_000_001}, "maxOutputTokens", "between 1 and 100,000,000"),
        ({"pricing": {"inputPerMillion": "-1"}}, "pricing.inputPerMillion", "between 0 and 10,000"),
        ({"pricing": {"outputPerMillion": "30000"}}, "pricing.outputPerMillion", "between 0 and 10,000"),
        ({"pricing": {"inputPerMillion": "NaN"}}, "pricing.inputPerMillion", "a finite number"),
        ({"pricing": {"inputPerMillion": "0.0000000000001"}}, "pricing.inputPerMillion", "at most 12 decimal places"),
        ({"capabilities": ["Tools"]}, "capabilities", "lower-case tag"),
        ({"capabilities": ["has space"]}, "capabilities", "lower-case tag"),
        ({"universalModelId": "anthropic:gpt-4o"}, "universalModelId", 'must be "openai:"'),
        ({"description": "d" * 10_001}, "description", "at most 10000 characters"),
    ],
)
async def test_bad_input_is_refused_naming_the_field(client, admin_token, openai, fields, field, message):
    body = await client(CREATE, {"input": model_row(**fields)}, token=admin_token)
    assert codes(body) == ["VALIDATION_FAILED"], body
    problems = body["errors"][0]["extensions"]["fields"]
    assert [problem["field"] for problem in problems] == [field]
    assert message in problems[0]["message"]
    assert await AiModel.count() == 0 and await ModelHistory.count() == 0


async def test_a_duplicate_universal_model_id_is_refused(client, admin_token, openai):
    await create_model(client, admin_token)
    body = await client(CREATE, {"input": model_row(displayName="Again")}, token=admin_token)
    assert codes(body) == ["VALIDATION_FAILED"]
    assert body["errors"][0]["extensions"]["fields"][0]["field"] == "universalModelId"
    assert await AiModel.count() == 1 and await ModelHistory.count() == 1


async def test_an_absurd_number_is_refused_by_graphql_itself(client, admin_token, openai):
    body = await client(CREATE, {"input": model_row(contextWindow=2**40)}, token=admin_token)
    assert codes(body) == ["VALIDATION_FAILED"]
    assert await AiModel.count() == 0


@pytest.fixture
async def catalog(client, admin_token, openai):
    """Five models of two providers, in various states."""
    await add_provider(client, admin_token, "anthropic", "ANTHROPIC")
    rows = [
        model_row(modelId="gpt-4o", displayName="GPT-4o"),
        model_row(
            modelId="gpt-4o-mini", displayName="GPT-4o mini", description="Small and cheap", capabilities=["tools"]
        ),
        model_row(modelId="o1-preview", displayName="o1 preview", supportsTools=False, capabilities=["thinking"]),
        model_row(
            provider="anthropic",
            modelId="claude-sonnet-4-5",
            displayName="Claude Sonnet 4.5",
            supportsVision=False,
            capabilities=["tools", "thinking"],
        ),
        model_row(provider="anthropic", modelId="claude_3_haiku", displayName="Claude 3 Haiku", enabled=False),
    ]
    ids = {}
    for row in rows:
        data = await client.data(CREATE, {"input": row}, token=admin_token)
        ids[data["createModel"]["universalModelId"]] = data["createModel"]["id"]
    await client.data(
        "mutation($id: ID!) { archiveModel(id: $id) { id } }", {"id": ids["openai:o1-preview"]}, token=admin_token
    )
    await AiModel.update({AiModel.is_available: False}).where(AiModel.universal_model_id == "openai:gpt-4o-mini")
    return ids


MODELS = "query($filter: ModelFilter, $first: Int, $after: String) { models(filter: $filter, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { universalModelId } } }"  # noqa: E501


async def _ids(client, token, model_filter):
    data = await client.data(MODELS, {"filter": model_filter}, token=token)
    return [node["universalModelId"] for node in data["models"]["nodes"]]


@pytest.mark.parametrize(
    ("model_filter", "expected"),
    [
        (
            {},
            [
                "anthropic:claude-sonnet-4-5",
                "anthropic:claude_3_haiku",
                "openai:gpt-4o",
                "openai:gpt-4o-mini",
                "openai:o1-preview",
            ],
        ),
        ({"provider": "anthropic"}, ["anthropic:claude-sonnet-4-5", "anthropic:claude_3_haiku"]),
        ({"provider": "nobody"}, []),
        ({"status": "ARCHIVED"}, ["openai:o1-preview"]),
        ({"enabled": False}, ["anthropic:claude_3_haiku", "openai:o1-preview"]),
        ({"isAvailable": False}, ["openai:gpt-4o-mini"]),
        ({"selectable": True}, ["anthropic:claude-sonnet-4-5", "openai:gpt-4o"]),
        ({"selectable": False}, ["anthropic:claude_3_haiku", "openai:gpt-4o-mini", "openai:o1-preview"]),
        ({"supportsTools": False}, ["openai:o1-preview"]),
        ({"supportsVision": False}, ["anthropic:claude-sonnet-4-5"]),
        ({"capability": "thinking"}, ["anthropic:claude-sonnet-4-5", "openai:o1-preview"]),
        ({"capability": "think"}, []),
        ({"search": "MINI"}, ["openai:gpt-4o-mini"]),
        ({"search": "cheap"}, ["openai:gpt-4o-mini"]),
        ({"search": "anthropic:"}, ["anthropic:claude-sonnet-4-5", "anthropic:claude_3_haiku"]),
        ({"search": "_3"}, ["anthropic:claude_3_haiku"]),  # "_" is a letter here, not a wildcard
        ({"search": "%"}, []),
        ({"provider": "openai", "selectable": True, "capability": "json"}, ["openai:gpt-4o"]),
    ],
)
async def test_every_filter_field_narrows_the_catalog(client, member_token, catalog, model_filter, expected):
    assert await _ids(client, member_token, model_filter) == expected


async def test_pages_follow_opaque_cursors_to_the_end(client, member_token, catalog):
    seen, after, pages = [], None, 0
    while True:
        data = await client.data(MODELS, {"first": 2, "after": after}, token=member_token)
        connection = data["models"]
        assert connection["totalCount"] == 5
        seen += [node["universalModelId"] for node in connection["nodes"]]
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
        assert "openai" not in after and "anthropic" not in after  # opaque
    assert pages == 3 and len(seen) == 5 and seen == sorted(seen)


@pytest.mark.parametrize(("first", "after"), [(-1, None), (10, "garbage"), (10, "bW9kZWw")])
async def test_a_bad_page_request_is_refused(client, member_token, catalog, first, after):
    body = await client(MODELS, {"first": first, "after": after}, token=member_token)
    assert codes(body) == ["VALIDATION_FAILED"]


async def test_first_is_capped_at_500(client, admin_token, openai):
    provider_id = (await AiModel.raw("SELECT id FROM providers WHERE key = 'openai'"))[0]["id"]
    await AiModel.insert(
        *(
            AiModel(
                provider=provider_id, model_id=f"m{i:03}", universal_model_id=f"openai:m{i:03}", display_name=f"M{i}"
            )
            for i in range(501)
        )
    )
    data = await client.data(MODELS, {"first": 10_000}, token=admin_token)
    assert len(data["models"]["nodes"]) == 500
    assert data["models"]["totalCount"] == 501 and data["models"]["pageInfo"]["hasNextPage"] is True


async def test_one_model_by_id_or_universal_id(client, member_token, catalog):
    query = "query($id: ID, $u: String) { model(id: $id, universalModelId: $u) { universalModelId } }"
    by_id = await client.data(query, {"id": catalog["openai:gpt-4o"]}, token=member_token)
    by_universal = await client.data(query, {"u": "openai:gpt-4o"}, token=member_token)
    assert by_id == by_universal == {"model": {"universalModelId": "openai:gpt-4o"}}
    assert await client.data(query, {"u": "openai:nope"}, token=member_token) == {"model": None}
    assert await client.data(query, {"id": "999999"}, token=member_token) == {"model": None}
    for variables in ({}, {"id": catalog["openai:gpt-4o"], "u": "openai:gpt-4o"}, {"id": "abc"}):
        assert codes(await client(query, variables, token=member_token)) == ["VALIDATION_FAILED"]


async def test_selectable_models_lists_what_a_user_may_pick(client, member_token, catalog):
    data = await client.data("{ selectableModels { universalModelId selectable } }", token=member_token)
    assert data["selectableModels"] == [
        {"universalModelId": "anthropic:claude-sonnet-4-5", "selectable": True},
        {"universalModelId": "openai:gpt-4o", "selectable": True},
    ]


async def test_a_private_model_is_seen_by_its_owner_alone(client, admin_token, member_token, catalog):
    bob = await User.select(User.id).where(User.username == "bob").first()
    await AiModel.update({AiModel.owner: bob["id"]}).where(AiModel.universal_model_id == "openai:gpt-4o")
    query = "query($u: String) { model(universalModelId: $u) { universalModelId } }"
    assert (await client.data(query, {"u": "openai:gpt-4o"}, token=member_token))["model"] is not None
    assert (await client.data(query, {"u": "openai:gpt-4o"}, token=admin_token))["model"] is None
    assert "openai:gpt-4o" not in await _ids(client, admin_token, {})
    body = await client(
        "mutation($id: ID!) { archiveModel(id: $id) { id } }", {"id": catalog["openai:gpt-4o"]}, token=admin_token
    )
    assert codes(body) == ["NOT_FOUND"]


async def test_chat_count_counts_the_chats_that_reference_a_model(client, admin_token, member_token, catalog):
    bob = await User.select(User.id).where(User.username == "bob").first()
    await Chat.insert(
        Chat(owner=bob["id"], ai_model=int(catalog["openai:gpt-4o"])),
        Chat(owner=bob["id"], ai_model=int(catalog["openai:gpt-4o"])),
        Chat(owner=bob["id"], ai_model=int(catalog["anthropic:claude-sonnet-4-5"])),
    )
    data = await client.data("{ models { nodes { universalModelId chatCount } } }", token=member_token)
    counts = {node["universalModelId"]: node["chatCount"] for node in data["models"]["nodes"]}
    assert counts == {
        "anthropic:claude-sonnet-4-5": 1,
        "anthropic:claude_3_haiku": 0,
        "openai:gpt-4o": 2,
        "openai:gpt-4o-mini": 0,
        "openai:o1-preview": 0,
    }


ESTIMATE = """
query($id: ID!, $input: Int!, $output: Int!) {
  estimateCost(modelId: $id, inputTokens: $input, outputTokens: $output) {
    model { universalModelId } inputTokens outputTokens inputCost outputCost totalCost currency
  }
}
"""


async def test_cost_is_exact_decimal_arithmetic(client, admin_token, member_token, openai):
    model = await create_model(
        client,
        admin_token,
        modelId="llama",
        displayName="Llama",
        pricing={"inputPerMillion": "0.59", "outputPerMillion": "0.79"},
    )
    data = await client.data(ESTIMATE, {"id": model["id"], "input": 1_234_567, "output": 3}, token=member_token)
    assert data["estimateCost"] == {
        "model": {"universalModelId": "openai:llama"},
        "inputTokens": 1_234_567,
        "outputTokens": 3,
        "inputCost": "0.72839453",
        "outputCost": "0.00000237",  # a float would give 2.3699999999999998e-06
        "totalCost": "0.7283969",
        "currency": "USD",
    }


async def test_cost_needs_a_price_and_counts_that_are_not_negative(client, admin_token, member_token, openai):
    unpriced = await create_model(client, admin_token, modelId="mystery", displayName="Mystery")
    priced = await create_model(client, admin_token, pricing={"inputPerMillion": "1"})
    cases = [
        ({"id": unpriced["id"], "input": 10, "output": 10}, ["inputTokens", "outputTokens"]),
        ({"id": priced["id"], "input": 10, "output": 10}, ["outputTokens"]),
        ({"id": priced["id"], "input": -1, "output": 0}, ["inputTokens"]),
    ]
    for variables, fields in cases:
        body = await client(ESTIMATE, variables, token=member_token)
        assert codes(body) == ["VALIDATION_FAILED"]
        assert [problem["field"] for problem in body["errors"][0]["extensions"]["fields"]] == fields
    data = await client.data(ESTIMATE, {"id": priced["id"], "input": 500_000, "output": 0}, token=member_token)
    assert data["estimateCost"]["totalCost"] == "0.5"
    body = await client(ESTIMATE, {"id": "424242", "input": 1, "output": 1}, token=member_token)
    assert codes(body) == ["NOT_FOUND"]


async def test_the_model_fields_answer_in_one_query(client, admin_token, member_token, catalog):
    query = (
        f"{{ models(first: 1) {{ nodes {{ {MODEL_FIELDS} archivedAt chatCount history(first: 1) {{ action }} }} }} }}"
    )
    data = await client.data(query, token=member_token)
    node = data["models"]["nodes"][0]
    assert node["universalModelId"] == "anthropic:claude-sonnet-4-5"
    assert node["history"] == [{"action": "CREATED"}] and node["archivedAt"] is None


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("9999.999999999999", "at most 15 significant digits"),  # SQLite would round it to 10000
        ("1e-20000000", "at most 12 decimal places"),
        ("1.00000000000000000000000000001", "at most 12 decimal places"),
    ],
)
async def test_a_price_that_cannot_be_stored_exactly_is_refused(client, admin_token, openai, price, message):
    body = await client(CREATE, {"input": model_row(pricing={"inputPerMillion": price})}, token=admin_token)
    assert codes(body) == ["VALIDATION_FAILED"]
    assert message in body["errors"][0]["extensions"]["fields"][0]["message"]


async def test_fifteen_digit_prices_round_trip_exactly(client, admin_token, openai):
    model = await create_model(client, admin_token, pricing={"inputPerMillion": "1234.56789012345"})
    assert model["pricing"]["inputPerMillion"] == "1234.56789012345"
    row = await ModelPrice.select(ModelPrice.input_price).first()
    assert str(row["input_price"].normalize()) == "1234.56789012345"


async def test_selectable_false_works_beside_a_provider_filter(client, member_token, catalog):
    ids = await _ids(client, member_token, {"provider": "openai", "selectable": False})
    assert ids == ["openai:gpt-4o-mini", "openai:o1-preview"]


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("query($f: ModelFilter) { models(filter: $f) { totalCount } }", {"f": {"search": "a\u0000b"}}),
        ("query($f: ModelFilter) { models(filter: $f) { totalCount } }", {"f": {"provider": "\u0000"}}),
        ("query($u: String) { model(universalModelId: $u) { id } }", {"u": "openai:\u0000"}),
        ("query($id: ID) { model(id: $id) { id } }", {"id": "\u00b2"}),
        ("query($s: DateTime) { catalogChanges(since: $s) { totalCount } }", {"s": "0001-01-01T00:00:00+01:00"}),
        ("query($s: DateTime) { catalogChanges(since: $s) { totalCount } }", {"s": "9999-12-31T23:00:00-05:00"}),
    ],
)
async def test_odd_arguments_are_refused_not_crashed_on(client, member_token, catalog, query, variables):
    body = await client(query, variables, token=member_token)
    assert codes(body) == ["VALIDATION_FAILED"], body


async def test_an_id_beyond_any_key_is_absent(client, member_token, catalog):
    data = await client.data('{ model(id: "99999999999") { id } }', token=member_token)
    assert data == {"model": None}
    body = await client('{ modelHistory(modelId: "99999999999") { totalCount } }', token=member_token)
    assert codes(body) == ["NOT_FOUND"]


async def test_concurrent_creates_of_one_model_leave_one_and_refuse_the_rest(client, admin_token, openai):
    bodies = await asyncio.gather(*(client(CREATE, {"input": model_row()}, token=admin_token) for _ in range(4)))
    assert sorted(codes(body)[0] if "errors" in body else "OK" for body in bodies) == ["OK"] + ["VALIDATION_FAILED"] * 3
    assert await AiModel.count() == 1 and await ModelHistory.count() == 1
