"""Input that used to reach the database unchecked: long searches, NUL, lone surrogates, look-alikes, sloppy prices.

Every case is VALIDATION_FAILED naming the field (and the row for an import), and nothing is written.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tables.catalog import AiModel, ModelHistory, Provider
from tests.catalog import CREATE, add_provider, create_model, model_row
from tests.commands import cli
from tests.graphql import GraphQLClient, codes

IMPORT = """mutation($document: JSON!, $reason: String) { importModels(document: $document, reason: $reason) {
  applied created providersCreated errors { index field message } } }"""
UPDATE = """mutation($id: ID!, $input: UpdateModelInput!, $reason: String) {
  updateModel(id: $id, input: $input, reason: $reason) { version } }"""
DUPLICATE = """mutation($id: ID!, $u: String!, $name: String) {
  duplicateModel(id: $id, universalModelId: $u, displayName: $name) { id } }"""
MODELS = "query($filter: ModelFilter) { models(filter: $filter) { totalCount nodes { universalModelId } } }"
MODEL = "query($u: String!) { model(universalModelId: $u) { id } }"
UPSERT = "mutation($input: ProviderInput!) { upsertProvider(input: $input) { id } }"
EXPORT = "query($filter: ModelFilter) { exportCatalog(filter: $filter) }"

LONE_SURROGATE = "\ud800"


async def post(client: GraphQLClient, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    """Send the body as browsers' JSON.stringify does: a lone surrogate travels as its \\u escape."""
    response = await client.http.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": variables}),  # ensure_ascii: escapes, never raw UTF-8
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def refused_fields(body: dict[str, Any]) -> list[str]:
    assert codes(body) == ["VALIDATION_FAILED"], body
    return [problem["field"] for problem in body["errors"][0]["extensions"]["fields"]]


async def snapshot() -> tuple[int, int, int]:
    return await AiModel.count(), await ModelHistory.count(), await Provider.count()


def document(**model: Any) -> dict[str, Any]:
    row = {"universalModelId": "openai:gpt-4o", "provider": "openai", "modelId": "gpt-4o", "displayName": "GPT-4o"}
    return {"format": "modelcatalog/v1", "providers": [{"key": "openai", "kind": "OPENAI"}], "models": [row | model]}


@pytest.fixture
async def model(client, admin_token):
    await add_provider(client, admin_token)
    return await create_model(client, admin_token, **model_row())


async def test_a_search_of_50000_characters_is_refused_naming_the_filter(client, admin_token, model):
    for query in (MODELS, EXPORT):
        body = await post(client, query, {"filter": {"search": "x" * 50_000}}, admin_token)
        assert refused_fields(body) == ["filter.search"]
    body = await post(client, MODELS, {"filter": {"search": "gpt" * 66}}, admin_token)
    assert body["data"]["models"]["totalCount"] == 0  # 198 characters: a search, however odd


@pytest.mark.parametrize(
    ("query", "variables", "field"),
    [
        (MODELS, {"filter": {"provider": "o" * 65}}, "filter.provider"),
        (MODELS, {"filter": {"capability": "t" * 65}}, "filter.capability"),
        (MODEL, {"u": "openai:" + "x" * 300}, "universalModelId"),
        (MODELS.replace("$filter: ModelFilter", "$after: String").replace("filter: $filter", "after: $after"),
         {"after": "A" * 5000}, "after"),
    ],
)  # fmt: skip
async def test_every_string_argument_of_the_catalog_queries_is_bounded(
    client, admin_token, model, query, variables, field
):
    assert refused_fields(await post(client, query, variables, admin_token)) == [field]


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"input": {}, "reason": "why\x00not"}, "reason"),
        ({"input": {"displayName": "GPT\x004o"}}, "displayName"),
        ({"input": {"description": "nul \x00 inside"}}, "description"),
    ],
)
async def test_nul_in_a_change_is_refused_naming_the_field(client, admin_token, model, variables, field):
    body = await post(client, UPDATE, {"id": model["id"], **variables}, admin_token)
    assert refused_fields(body) == [field]
    assert await AiModel.select(AiModel.version).first() == {"version": 1}


def _create(**fields: Any) -> tuple[str, dict[str, Any]]:
    return CREATE, {"input": model_row(**fields)}


@pytest.mark.parametrize(
    ("operation", "field"),
    [
        (_create(displayName=f"GPT{LONE_SURROGATE}"), "displayName"),
        (_create(description=f"fast {LONE_SURROGATE}"), "description"),
        (_create(modelId=f"gpt{LONE_SURROGATE}"), "modelId"),
        (_create(universalModelId=f"openai:gpt{LONE_SURROGATE}"), "universalModelId"),
        (_create(capabilities=["tools", LONE_SURROGATE]), "capabilities"),
        (_create(provider=f"openai{LONE_SURROGATE}"), "provider"),
        ((CREATE, {"input": model_row(modelId="o3"), "reason": LONE_SURROGATE}), "reason"),
        ((MODELS, {"filter": {"search": LONE_SURROGATE}}), "filter.search"),
        ((MODELS, {"filter": {"provider": LONE_SURROGATE}}), "filter.provider"),
        ((MODELS, {"filter": {"capability": LONE_SURROGATE}}), "filter.capability"),
        ((MODEL, {"u": f"openai:{LONE_SURROGATE}"}), "universalModelId"),
        ((UPSERT, {"input": {"key": f"x{LONE_SURROGATE}", "kind": "OPENAI"}}), "key"),
        ((UPSERT, {"input": {"key": "x", "kind": "OPENAI", "displayName": LONE_SURROGATE}}), "displayName"),
        ((UPSERT, {"input": {"key": "x", "kind": "OPENAI", "baseUrl": f"http://h{LONE_SURROGATE}/v1"}}), "baseUrl"),
        # Refused before the importer reads it, at its place in the document.
        ((IMPORT, {"document": document(displayName=LONE_SURROGATE)}), "document.models[0].displayName"),
        ((IMPORT, {"document": document(), "reason": LONE_SURROGATE}), "reason"),
    ],
)
async def test_a_lone_surrogate_anywhere_is_refused_naming_the_field(client, admin_token, model, operation, field):
    query, variables = operation
    before = await snapshot()
    body = await post(client, query, variables, admin_token)
    if "importModels" in query and "data" in body and body["data"]:
        assert [error["field"] for error in body["data"]["importModels"]["errors"]] == [field]
    else:
        assert refused_fields(body) == [field]
    assert await snapshot() == before


async def test_a_lone_surrogate_in_a_duplicate_is_refused(client, admin_token, model):
    for variables, field in (
        ({"u": f"openai:{LONE_SURROGATE}"}, "universalModelId"),
        ({"u": "openai:copy", "name": LONE_SURROGATE}, "displayName"),
    ):
        body = await post(client, DUPLICATE, {"id": model["id"], **variables}, admin_token)
        assert refused_fields(body) == [field]
    assert await AiModel.count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"universalModelId": "openai:t-\u200bzw"}, "universalModelId"),
        ({"modelId": "gpt-4o\u200d"}, "modelId"),
        ({"modelId": "gpt\u20664o"}, "modelId"),
        ({"displayName": "GPT-4o \u202emodel"}, "displayName"),
        ({"displayName": "GPT\ufeff-4o"}, "displayName"),
        ({"displayName": "GPT\x854o"}, "displayName"),
        ({"displayName": "GPT\n4o"}, "displayName"),
        ({"capabilities": ["tools\n"]}, "capabilities"),  # a pattern ending in `$` let the newline in
    ],
)
async def test_look_alike_ids_and_names_are_refused(client, admin_token, model, fields, field):
    body = await post(client, CREATE, {"input": model_row(**{"modelId": "other", **fields})}, admin_token)
    assert refused_fields(body) == [field]
    assert await AiModel.count() == 1


async def test_look_alike_provider_names_and_imported_rows_are_refused(client, admin_token):
    body = await post(
        client, UPSERT, {"input": {"key": "x", "kind": "OPENAI", "displayName": "Open\u200bAI"}}, admin_token
    )
    assert refused_fields(body) == ["displayName"]
    for doc, field in (
        (document(universalModelId="openai:gpt-\u200b4o"), "universalModelId"),
        (document(displayName="GPT \u202e4o"), "displayName"),
    ):
        result = (await post(client, IMPORT, {"document": doc}, admin_token))["data"]["importModels"]
        assert [(error["index"], error["field"]) for error in result["errors"]] == [(0, field)]
    for name, value in (("displayName", "Open\u202eAI"), ("key", "openai\n")):
        bad_provider = document()
        bad_provider["providers"][0][name] = value
        assert refused_fields(await post(client, IMPORT, {"document": bad_provider}, admin_token)) == [
            f"providers.0.{name}"
        ]
    assert await snapshot() == (0, 0, 0)


SLOPPY_PRICES = ["1_000", "\u0661\u0665", "\u0661.\u0665", " 1.5 ", "1.5\n", "+1.5", "1,5", "0x10", "1.5.0", "\uff11"]


@pytest.mark.parametrize("price", SLOPPY_PRICES)
async def test_a_price_must_be_a_plain_ascii_decimal_on_every_path(client, admin_token, model, price):
    body = await post(
        client, UPDATE, {"id": model["id"], "input": {"pricing": {"inputPerMillion": price}}}, admin_token
    )
    assert refused_fields(body) == ["pricing.inputPerMillion"]
    assert "written plainly" in body["errors"][0]["extensions"]["fields"][0]["message"]
    doc = document(universalModelId="openai:o3", modelId="o3", pricing={"outputPerMillion": price})
    result = (await post(client, IMPORT, {"document": doc}, admin_token))["data"]["importModels"]
    assert [(e["index"], e["field"]) for e in result["errors"]] == [(0, "pricing.outputPerMillion")]
    assert await snapshot() == (1, 1, 1)


@pytest.mark.parametrize(
    ("price", "stored"),
    [("2.50", "2.5"), ("1e-6", "0.000001"), (1e-06, "0.000001"), (3, "3"), ("0", "0"), (".5", "0.5")],
)
async def test_plain_decimals_exponents_and_json_numbers_are_prices(client, admin_token, model, price, stored):
    query = UPDATE.replace("{ version }", "{ version pricing { inputPerMillion } }")
    body = await post(client, query, {"id": model["id"], "input": {"pricing": {"inputPerMillion": price}}}, admin_token)
    assert body["data"]["updateModel"]["pricing"] == {"inputPerMillion": stored}, body


async def test_a_negative_price_is_reported_as_negative(client, admin_token, model):
    body = await post(
        client, UPDATE, {"id": model["id"], "input": {"pricing": {"inputPerMillion": "-1.5"}}}, admin_token
    )
    assert refused_fields(body) == ["pricing.inputPerMillion"]
    assert "between 0 and 10,000" in body["errors"][0]["message"]


async def test_the_import_command_refuses_a_sloppy_price_naming_the_row(tmp_dir):
    path = tmp_dir / "sloppy-price.json"
    path.write_text(json.dumps(document(pricing={"inputPerMillion": "1_000"})))
    result = cli("import", str(path))
    assert result.returncode == 1, result.stderr
    assert "pricing.inputPerMillion" in result.stderr and "written plainly" in result.stderr
    assert await snapshot() == (0, 0, 0)


async def test_an_import_with_7000_new_providers_writes_them_all(client, admin_token):
    doc = document()
    doc["providers"] += [{"key": f"p{i:04}", "kind": "OPENAI_COMPATIBLE"} for i in range(7000)]
    result = (await post(client, IMPORT, {"document": doc}, admin_token))["data"]["importModels"]
    assert (result["errors"], result["created"], result["providersCreated"]) == ([], 1, 7001)
    assert await Provider.count() == 7001


async def test_an_unavailable_model_is_not_selectable_anywhere(client, admin_token, member_token, model):
    other = await create_model(client, admin_token, modelId="o3", displayName="o3")
    await AiModel.update({AiModel.is_available: False}).where(AiModel.id == int(other["id"]))
    selectable = await client.data("{ selectableModels { universalModelId } }", token=member_token)
    assert selectable["selectableModels"] == [{"universalModelId": "openai:gpt-4o"}]
    picked = await client.data(MODELS, {"filter": {"selectable": True}}, token=member_token)
    assert picked["models"]["nodes"] == [{"universalModelId": "openai:gpt-4o"}]
    others = await client.data(MODELS, {"filter": {"selectable": False}}, token=member_token)
    assert others["models"]["nodes"] == [{"universalModelId": "openai:o3"}]
    flags = await client.data(
        '{ model(universalModelId: "openai:o3") { selectable isAvailable enabled status } }', token=member_token
    )
    assert flags["model"] == {"selectable": False, "isAvailable": False, "enabled": True, "status": "ACTIVE"}
    body = await client("mutation($id: ID!) { setDefaultModel(id: $id) { id } }", {"id": other["id"]}, admin_token)
    assert refused_fields(body) == ["id"]
