"""Export and import through GraphQL: modelcatalog/v1 all or nothing, LiteLLM's file leniently."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest

from api.imports.seed import SEED_FILE
from tables.catalog import AiModel, ModelHistory, Provider
from tests.catalog import add_provider, create_model, model_row, price_now
from tests.graphql import codes

FIXTURES = Path(__file__).parent / "fixtures"
LITELLM = json.loads((FIXTURES / "litellm_prices.json").read_text())

IMPORT = """
mutation($document: JSON!, $mode: ImportMode, $dryRun: Boolean, $reason: String, $format: ImportFormat,
         $strict: Boolean, $newModelsEnabled: Boolean) {
  importModels(document: $document, mode: $mode, dryRun: $dryRun, reason: $reason, format: $format,
               strict: $strict, newModelsEnabled: $newModelsEnabled) {
    applied format created updated unchanged kept providersCreated notChat
    errors { index universalModelId sourceKey field message }
    skipped { index universalModelId sourceKey field message }
  }
}
"""
EXPORT = "query($filter: ModelFilter) { exportCatalog(filter: $filter) }"


async def run_import(client, token, document, **options):
    data = await client.data(IMPORT, {"document": document, **options}, token=token)
    return data["importModels"]


def seed_document():
    return json.loads(SEED_FILE.read_text())


async def snapshot():
    """Every model and history row, to show that nothing was written."""
    return await AiModel.count(), await ModelHistory.count(), await Provider.count()


async def test_export_import_into_an_empty_catalog_and_export_again_gives_the_same_models(client, admin_token):
    result = await run_import(client, admin_token, seed_document())
    assert result["applied"] is True and result["created"] >= 40 and result["errors"] == []
    first = (await client.data(EXPORT, token=admin_token))["exportCatalog"]
    assert first["format"] == "modelcatalog/v1" and first["exportedAt"].endswith("Z")
    ids = [model["universalModelId"] for model in first["models"]]
    assert ids == sorted(ids)
    assert all("apiKey" not in provider and "api_key" not in provider for provider in first["providers"])

    await ModelHistory.delete(force=True)
    await AiModel.delete(force=True)
    await Provider.delete(force=True)
    again = await run_import(client, admin_token, first)
    assert again["errors"] == []
    assert again["created"] == len(first["models"]) and again["providersCreated"] == len(first["providers"])
    second = (await client.data(EXPORT, token=admin_token))["exportCatalog"]
    assert second["models"] == first["models"] and second["providers"] == first["providers"]


async def test_export_writes_decimals_as_strings_and_never_a_key(client, admin_token, member_token):
    await client.data(
        'mutation { upsertProvider(input: {key: "openai", kind: OPENAI, apiKey: "sk-secret-123456"}) { id } }',
        token=admin_token,
    )
    await create_model(client, admin_token, **model_row(pricing={"inputPerMillion": "0.000125"}))
    document = (await client.data(EXPORT, token=admin_token))["exportCatalog"]
    assert "sk-secret" not in json.dumps(document)
    assert document["providers"] == [{"key": "openai", "kind": "OPENAI", "displayName": "OpenAI", "baseUrl": None}]
    assert document["models"][0]["pricing"] == {
        "inputPerMillion": "0.000125",
        "outputPerMillion": None,
        "cachedInputPerMillion": None,
        "cacheWritePerMillion": None,
        "tiers": [],
        "windows": [],
    }
    assert document["models"][0]["scheduledPrices"] == [] and document["models"][0]["isDefault"] is False
    filtered = (await client.data(EXPORT, {"filter": {"provider": "nobody"}}, token=admin_token))["exportCatalog"]
    assert filtered["models"] == [] and filtered["providers"] == []
    assert codes(await client(EXPORT, token=member_token)) == ["FORBIDDEN"]  # a bulk read is an admin's


async def test_importing_the_same_document_twice_changes_nothing_the_second_time(client, admin_token):
    document = seed_document()
    await run_import(client, admin_token, document)
    before = await snapshot()
    again = await run_import(client, admin_token, document)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, len(document["models"]))
    assert await snapshot() == before


async def test_an_upsert_updates_changed_rows_with_imported_history(client, admin_token):
    document = seed_document()
    await run_import(client, admin_token, document)
    changed = copy.deepcopy(document)
    changed["models"][0]["contextWindow"] = 123_456
    changed["models"][1]["pricing"] = {"inputPerMillion": "9.99", "outputPerMillion": None}
    changed["models"][2]["status"], changed["models"][2]["enabled"] = "ARCHIVED", False
    result = await run_import(client, admin_token, changed, reason="new price list")
    assert (result["created"], result["updated"]) == (0, 3)
    assert result["unchanged"] == len(document["models"]) - 3
    first = changed["models"][0]["universalModelId"]
    row = await AiModel.select().where(AiModel.universal_model_id == first).first()
    assert row["context_window"] == 123_456 and row["version"] == 2
    entry = await ModelHistory.select().where(ModelHistory.model == row["id"], ModelHistory.version == 2).first()
    assert entry["action"] == "IMPORTED" and entry["reason"] == "new price list"
    assert json.loads(entry["changes"])[0]["field"] == "contextWindow"
    archived = await AiModel.select().where(AiModel.universal_model_id == changed["models"][2]["universalModelId"])
    assert archived[0]["status"] == "ARCHIVED" and archived[0]["archived_at"] is not None


async def test_create_only_adds_missing_models_and_leaves_the_rest(client, admin_token):
    document = seed_document()
    await run_import(client, admin_token, {**document, "models": document["models"][:5]})
    edited = copy.deepcopy(document)
    edited["models"][0]["displayName"] = "Something else"
    result = await run_import(client, admin_token, edited, mode="CREATE_ONLY")
    assert result["created"] == len(document["models"]) - 5
    assert (result["updated"], result["kept"], result["unchanged"]) == (0, 1, 4)
    name = await AiModel.select(AiModel.display_name).where(
        AiModel.universal_model_id == document["models"][0]["universalModelId"]
    )
    assert name[0]["display_name"] == document["models"][0]["displayName"]


async def test_a_dry_run_reports_what_a_real_run_does_and_writes_nothing(client, admin_token):
    document = seed_document()
    await run_import(client, admin_token, {**document, "models": document["models"][:10]})
    changed = copy.deepcopy(document)
    changed["models"][0]["description"] = "changed"
    before = await snapshot()
    dry = await run_import(client, admin_token, changed, dryRun=True)
    assert await snapshot() == before
    real = await run_import(client, admin_token, changed)
    assert dry["applied"] is False and real["applied"] is True
    assert {k: v for k, v in dry.items() if k != "applied"} == {k: v for k, v in real.items() if k != "applied"}


def _bad(index_and_change):
    document = seed_document()
    for index, change in index_and_change:
        document["models"][index].update(change)
    return document


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ([(3, {"contextWindow": -5})], [(3, "contextWindow")]),
        (
            [(0, {"contextWindow": "lots"}), (7, {"pricing": {"inputPerMillion": "20000"}})],
            [(0, "contextWindow"), (7, "pricing.inputPerMillion")],
        ),
        ([(2, {"displayName": ""})], [(2, "displayName")]),
        ([(4, {"capabilities": "tools"})], [(4, "capabilities")]),
        ([(5, {"supportsTools": "yes"})], [(5, "supportsTools")]),
        ([(6, {"status": "GONE"})], [(6, "status")]),
        ([(6, {"status": "ARCHIVED", "enabled": True})], [(6, "enabled")]),
        ([(8, {"contextWindw": 5})], [(8, "contextWindw")]),
        ([(9, {"provider": "nobody", "universalModelId": "nobody:x"})], [(9, "provider")]),
        ([(1, {"universalModelId": "openai:gpt-5.4"})], [(1, "universalModelId")]),
        ([(1, {"modelId": "x" * 300})], [(1, "modelId")]),
    ],
)
async def test_one_bad_row_means_nothing_is_written_and_every_bad_row_is_named(client, admin_token, changes, expected):
    document = _bad(changes)
    result = await run_import(client, admin_token, document)
    assert result["applied"] is False and result["created"] == 0
    assert [(error["index"], error["field"]) for error in result["errors"]] == expected
    assert await snapshot() == (0, 0, 0)


async def test_a_missing_required_field_is_named(client, admin_token):
    document = seed_document()
    del document["models"][3]["displayName"]
    document["models"][4] = "not an object"
    result = await run_import(client, admin_token, document)
    assert [(e["index"], e["field"]) for e in result["errors"]] == [(3, "displayName"), (4, None)]
    assert await snapshot() == (0, 0, 0)


async def test_a_duplicate_universal_model_id_in_a_document_is_an_error(client, admin_token):
    document = seed_document()
    document["models"].append(copy.deepcopy(document["models"][0]))
    result = await run_import(client, admin_token, document)
    assert [(e["index"], e["field"]) for e in result["errors"]] == [(len(document["models"]) - 1, "universalModelId")]
    assert "the same model as row 0" in result["errors"][0]["message"]
    assert await snapshot() == (0, 0, 0)


@pytest.mark.parametrize(
    ("document", "options", "field", "message"),
    [
        ("{not json", {}, "document", "not JSON"),
        ([1, 2], {}, "document", "a JSON object"),
        ({"format": "modelcatalog/v2", "models": []}, {}, "format", 'must be "modelcatalog/v1"'),
        ({"models": []}, {"format": "MODELCATALOG"}, "format", "missing"),
        ({"hello": "world"}, {}, "document", "neither"),
        ({"format": "modelcatalog/v1", "models": {}}, {}, "models", "a list"),
        (
            {"format": "modelcatalog/v1", "providers": [{"key": "X", "kind": "OPENAI"}], "models": []},
            {},
            "providers.0.key",
            "lower-case",
        ),
        (
            {"format": "modelcatalog/v1", "providers": [{"key": "x", "kind": "NOPE"}], "models": []},
            {},
            "providers.0.kind",
            "one of",
        ),
    ],
)
async def test_a_document_that_is_not_an_import_is_refused(client, admin_token, document, options, field, message):
    body = await client(IMPORT, {"document": document, **options}, token=admin_token)
    assert codes(body) == ["VALIDATION_FAILED"], body
    problem = body["errors"][0]["extensions"]["fields"][0]
    assert problem["field"] == field and message in problem["message"]
    assert "Traceback" not in json.dumps(body)


async def test_more_than_100000_rows_is_refused(client, admin_token):
    document = {"format": "modelcatalog/v1", "models": [{}] * 100_001}
    body = await client(IMPORT, {"document": document}, token=admin_token)
    assert codes(body) == ["VALIDATION_FAILED"]
    assert "at most 100,000 models" in body["errors"][0]["message"]


async def test_a_body_over_50_mb_is_refused(client, admin_token):
    padding = "x" * (50 * 1024 * 1024)
    response = await client.post(
        IMPORT, {"document": {"format": "modelcatalog/v1", "models": [], "pad": padding}}, token=admin_token
    )
    assert response.status_code == 413
    assert await snapshot() == (0, 0, 0)


async def test_members_cannot_import(client, member_token):
    body = await client(IMPORT, {"document": seed_document()}, token=member_token)
    assert codes(body) == ["FORBIDDEN"]


async def test_the_default_model_cannot_be_disabled_by_an_import(client, admin_token):
    document = seed_document()
    await run_import(client, admin_token, document)
    model = await AiModel.select(AiModel.id).where(
        AiModel.universal_model_id == document["models"][0]["universalModelId"]
    )
    await client.data(
        "mutation($id: ID!) { setDefaultModel(id: $id) { id } }", {"id": str(model[0]["id"])}, token=admin_token
    )
    document["models"][0]["enabled"] = False
    result = await run_import(client, admin_token, document)
    assert [(e["index"], e["field"]) for e in result["errors"]] == [(0, "enabled")]


# LiteLLM's price file


async def test_litellm_chat_rows_are_mapped_exactly_and_traps_are_skipped(client, admin_token):
    result = await run_import(client, admin_token, LITELLM, reason="leaving LiteLLM")
    assert result["format"] == "LITELLM" and result["applied"] is True and result["errors"] == []
    keys = list(LITELLM)
    chat = [key for key, row in LITELLM.items() if row.get("mode") == "chat"]
    assert result["notChat"] == len(LITELLM) - len(chat)  # sample_spec's mode is a description: not chat
    skipped = {row["sourceKey"]: row for row in result["skipped"]}
    assert set(skipped) == {
        "deepseek/deepseek-chat",
        "lambda_ai/lfm-40b",
        "azure/eu/gpt-4-0613",
        "azure/eu/gpt-4-32k-0613",
    }
    assert skipped["deepseek/deepseek-chat"]["field"] == "universalModelId"
    assert skipped["deepseek/deepseek-chat"]["index"] == keys.index("deepseek/deepseek-chat")
    assert skipped["lambda_ai/lfm-40b"]["field"] == "max_input_tokens"
    assert skipped["azure/eu/gpt-4-0613"]["field"] == "input_cost_per_token"
    assert "30,000" in skipped["azure/eu/gpt-4-0613"]["message"]
    assert result["created"] == len(chat) - len(skipped)

    gpt = await AiModel.select().where(AiModel.universal_model_id == "openai:gpt-4o").output(load_json=True).first()
    assert gpt["model_id"] == "gpt-4o" and gpt["context_window"] == 128000 and gpt["max_output_tokens"] == 16384
    gpt_price = await price_now("openai:gpt-4o")
    assert (gpt_price["input_price"], gpt_price["output_price"], gpt_price["cached_input_price"]) == (
        Decimal("2.5"),
        Decimal("10"),
        Decimal("1.25"),
    )
    assert gpt["supports_tools"] is True and gpt["supports_vision"] is True
    assert "json" in gpt["capabilities"] and "function_calling" not in gpt["capabilities"]
    groq_price = await price_now("groq:llama-3.3-70b-versatile")
    assert groq_price["input_price"] == Decimal("0.59") and groq_price["output_price"] == Decimal("0.79")  # not 0.79999
    reasoning = (
        await AiModel.select()
        .where(AiModel.universal_model_id == "anthropic:claude-4-sonnet-20250514")
        .output(load_json=True)
        .first()
    )
    assert "thinking" in reasoning["capabilities"]
    floats = await AiModel.select().where(AiModel.universal_model_id == "google:gemini-1.5-pro").first()
    assert floats["context_window"] == 2097152 and floats["max_output_tokens"] == 8192
    assert floats["status"] == "ARCHIVED" and floats["enabled"] is False  # its deprecation date has passed
    future = await AiModel.select().where(AiModel.universal_model_id == "xai:grok-3").first()
    assert future["status"] == "ACTIVE" and future["enabled"] is False  # a new model of the file waits for an admin
    routed = (
        await AiModel.select().where(AiModel.universal_model_id == "openrouter:anthropic/claude-3.5-sonnet").first()
    )
    assert routed["model_id"] == "anthropic/claude-3.5-sonnet"
    kinds = {row["key"]: row["kind"] for row in await Provider.select(Provider.key, Provider.kind)}
    assert "gemini" not in kinds and kinds["google"] == "GOOGLE"  # the first-party Gemini API is one provider
    assert kinds["openai"] == "OPENAI" and kinds["azure"] == "OPENAI_COMPATIBLE"
    assert kinds["ollama"] == "OLLAMA" and kinds["deepseek"] == "OPENAI_COMPATIBLE"
    history = await ModelHistory.select().where(ModelHistory.model == gpt["id"]).first()
    assert history["action"] == "IMPORTED" and history["reason"] == "leaving LiteLLM"


async def test_litellm_strict_refuses_the_whole_file(client, admin_token):
    result = await run_import(client, admin_token, LITELLM, strict=True)
    assert result["applied"] is False and result["created"] == 0
    assert {row["sourceKey"] for row in result["errors"]} == {
        "deepseek/deepseek-chat",
        "lambda_ai/lfm-40b",
        "azure/eu/gpt-4-0613",
        "azure/eu/gpt-4-32k-0613",
    }
    assert await snapshot() == (0, 0, 0)


async def test_litellm_twice_writes_no_history_and_keeps_admin_switches(client, admin_token):
    await run_import(client, admin_token, LITELLM)
    await AiModel.update({AiModel.enabled: False}).where(AiModel.universal_model_id == "openai:gpt-4o-mini")
    before = await snapshot()
    again = await run_import(client, admin_token, LITELLM, format="LITELLM")
    assert again["created"] == again["updated"] == 0 and again["unchanged"] > 0
    assert await snapshot() == before
    row = await AiModel.select(AiModel.enabled).where(AiModel.universal_model_id == "openai:gpt-4o-mini").first()
    assert row["enabled"] is False


async def test_litellm_prices_update_an_existing_model(client, admin_token):
    await add_provider(client, admin_token)
    await create_model(client, admin_token, **model_row(pricing={"inputPerMillion": "5"}))
    result = await run_import(client, admin_token, LITELLM)
    assert result["updated"] == 1
    row = await AiModel.select().where(AiModel.universal_model_id == "openai:gpt-4o").first()
    assert (await price_now("openai:gpt-4o"))["input_price"] == Decimal("2.5") and row["version"] == 2


async def test_a_litellm_file_sent_as_text_is_read_too(client, admin_token):
    result = await run_import(client, admin_token, json.dumps(LITELLM), dryRun=True)
    assert result["format"] == "LITELLM" and result["created"] > 0 and result["applied"] is False
    assert await snapshot() == (0, 0, 0)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"universalModelId": "openai:"}, "universalModelId"),
        ({"pricing": {"inputPerMillion": [0, [1, 5], -1]}}, "pricing.inputPerMillion"),
        ({"pricing": {"inputPerMillion": "9999.999999999999"}}, "pricing.inputPerMillion"),
    ],
)
async def test_import_bounds_are_the_bounds_of_every_path(client, admin_token, change, field):
    document = seed_document()
    document["models"][0].update({"provider": "openai", **change})
    result = await run_import(client, admin_token, document)
    assert [(e["index"], e["field"]) for e in result["errors"]] == [(0, field)]


async def test_odd_documents_are_refused_not_crashed_on(client, admin_token):
    cases = [
        ('{"format": "modelcatalog/v1", "models": [' + "1" * 5000 + "]}", "document"),
        ("[" * 200_000, "document"),
        (
            {
                "format": "modelcatalog/v1",
                "providers": [{"key": "x", "kind": "OPENAI", "baseUrl": "http://[::1"}],
                "models": [],
            },
            "providers.0.baseUrl",
        ),
    ]
    for document, field in cases:
        body = await client(IMPORT, {"document": document}, token=admin_token)
        assert codes(body) == ["VALIDATION_FAILED"], body
        assert body["errors"][0]["extensions"]["fields"][0]["field"] == field


async def test_a_litellm_key_too_long_for_an_id_is_skipped(client, admin_token):
    document = {"openai/" + "a" * 250: {"mode": "chat", "litellm_provider": "openai"}, **LITELLM}
    result = await run_import(client, admin_token, document)
    assert result["skipped"][0]["index"] == 0 and result["skipped"][0]["field"] == "key"
    assert result["created"] > 0


async def test_litellm_changes_only_what_it_states_and_never_restores_or_overrides_a_lock(client, admin_token):
    await add_provider(client, admin_token)
    model = await create_model(client, admin_token, **model_row(description="Kept", speedTier="FAST"))
    await client.data(
        'mutation($id: ID!) { updateModel(id: $id, input: {pricing: {outputPerMillion: "12"}}) { id } }',
        {"id": model["id"]},
        token=admin_token,
    )
    await client.data("mutation($id: ID!) { archiveModel(id: $id) { id } }", {"id": model["id"]}, token=admin_token)
    document = {
        "gpt-4o": {
            "mode": "chat",
            "litellm_provider": "openai",
            "input_cost_per_token": 3e-06,
            "output_cost_per_token": 2e-05,
        }
    }
    result = await run_import(client, admin_token, document)
    assert result["updated"] == 1
    row = await AiModel.select().where(AiModel.id == int(model["id"])).first()
    assert row["status"] == "ARCHIVED"  # an admin archived it; a price file does not restore it
    assert row["display_name"] == "GPT-4o" and row["description"] == "Kept" and row["context_window"] == 128000
    price = await price_now("openai:gpt-4o")
    assert price["input_price"] == Decimal("3") and price["output_price"] == Decimal("12")  # locked by a person


async def test_litellm_tags_join_the_vocabulary_and_leave_an_admins_own_tags(client, admin_token):
    await add_provider(client, admin_token)
    await create_model(client, admin_token, **model_row(capabilities=["tools", "vision", "house-favourite"]))
    row = {
        "mode": "chat",
        "litellm_provider": "openai",
        "supports_function_calling": True,
        "supports_vision": True,
        "supports_prompt_caching": True,
        "supports_pdf_input": True,
        "supports_native_streaming": True,
        "supports_response_schema": False,
    }
    await run_import(client, admin_token, {"gpt-4o": row})
    model = await AiModel.select().where(AiModel.universal_model_id == "openai:gpt-4o").output(load_json=True).first()
    assert model["capabilities"] == ["tools", "vision", "caching", "pdf", "house-favourite"]
    found = await client.data('{ models(filter: {capability: "tools"}) { totalCount } }', token=admin_token)
    assert found["models"]["totalCount"] == 1


async def test_litellm_gemini_rows_update_the_google_models(client, admin_token):
    await add_provider(client, admin_token, "google", "GOOGLE")
    await create_model(client, admin_token, provider="google", modelId="gemini-3.5-flash", displayName="Gemini")
    row = {
        "mode": "chat",
        "litellm_provider": "gemini",
        "input_cost_per_token": 3e-07,
        "output_cost_per_token": 2.5e-06,
    }
    result = await run_import(client, admin_token, {"gemini/gemini-3.5-flash": row})
    assert (result["created"], result["updated"]) == (0, 1)
    assert (await price_now("google:gemini-3.5-flash"))["input_price"] == Decimal("0.3")


async def test_litellm_float_residue_rounds_to_fifteen_digits(client, admin_token):
    row = {"mode": "chat", "litellm_provider": "openai", "input_cost_per_token": 4.0000000000000003e-07}
    result = await run_import(client, admin_token, {"gpt-x": row})
    assert result["skipped"] == [] and result["created"] == 1
    assert (await price_now("openai:gpt-x"))["input_price"] == Decimal("0.4")


async def test_litellm_tiers_cache_writes_and_off_peak_windows(client, admin_token, member_token):
    document = {
        "claude-long": {
            "mode": "chat",
            "litellm_provider": "anthropic",
            "input_cost_per_token": 3e-06,
            "output_cost_per_token": 1.5e-05,
            "cache_read_input_token_cost": 3e-07,
            "cache_creation_input_token_cost": 3.75e-06,
            "input_cost_per_token_above_200k_tokens": 6e-06,
            "output_cost_per_token_above_200k_tokens": 2.25e-05,
            "input_cost_per_token_above_200k_tokens_priority": 9e-06,
        },
        "dashscope/qwen-plus": {
            "mode": "chat",
            "litellm_provider": "dashscope",
            "tiered_pricing": [
                {"input_cost_per_token": 4e-07, "output_cost_per_token": 1.2e-06, "range": [0, 256000.0]},
                {"input_cost_per_token": 1.2e-06, "output_cost_per_token": 3.6e-06, "range": [256000.0, 1000000.0]},
            ],
        },
        "deepseek-flash": {
            "mode": "chat",
            "litellm_provider": "deepseek",
            "input_cost_per_token": 3e-07,
            "output_cost_per_token": 1.2e-06,
            "off_peak_pricing": {
                "input_cost_per_token": 1.5e-07,
                "windows": [{"hours_utc": ["16:30-00:30"], "weekdays": [1, 2, 3, 4, 5]}],
            },
        },
    }
    result = await run_import(client, admin_token, document, newModelsEnabled=True)
    assert result["created"] == 3 and result["skipped"] == []
    claude = await price_now("anthropic:claude-long")
    assert claude["cache_write_price"] == Decimal("3.75")
    assert claude["tiers"] == [
        {
            "minPromptTokens": 200001,
            "inputPerMillion": "6",
            "outputPerMillion": "22.5",
            "cachedInputPerMillion": None,
            "cacheWritePerMillion": None,
        }
    ]
    qwen = await price_now("dashscope:qwen-plus")
    assert qwen["input_price"] == Decimal("0.4") and qwen["tiers"][0]["minPromptTokens"] == 256001
    assert qwen["tiers"][0]["cachedInputPerMillion"] == "1.2"  # a range's cache reads cost its own input price
    deepseek = await price_now("deepseek:deepseek-flash")
    assert [(w["weekdays"], w["startUtc"], w["endUtc"]) for w in deepseek["windows"]] == [
        ([1, 2, 3, 4, 5], "16:30", "00:00"),
        ([1, 2, 3, 4, 5], "00:00", "00:30"),
    ]
    model = await AiModel.select(AiModel.id, AiModel.enabled).where(AiModel.universal_model_id == "dashscope:qwen-plus")
    assert model[0]["enabled"] is True  # newModelsEnabled
    estimate = await client.data(
        "query($id: ID!) { estimateCost(modelId: $id, inputTokens: 256001, outputTokens: 0) { totalCost } }",
        {"id": str(model[0]["id"])},
        token=member_token,
    )
    assert estimate["estimateCost"]["totalCost"] == "0.3072012"


async def test_set_models_enabled_switches_many_at_once_all_or_nothing(client, admin_token):
    await run_import(client, admin_token, LITELLM)
    rows = await AiModel.select(AiModel.id, AiModel.status).order_by(AiModel.id)
    active = [str(row["id"]) for row in rows if row["status"] == "ACTIVE"][:3]
    archived = next(str(row["id"]) for row in rows if row["status"] == "ARCHIVED")
    mutation = "mutation($ids: [ID!]!) { setModelsEnabled(ids: $ids, enabled: true) { id enabled version } }"
    body = await client(mutation, {"ids": [*active, archived]}, token=admin_token)
    assert codes(body) == ["VALIDATION_FAILED"]  # an archived model cannot be enabled
    assert await AiModel.count().where(AiModel.enabled.eq(True)) == 0
    data = await client.data(mutation, {"ids": active}, token=admin_token)
    assert [m["enabled"] for m in data["setModelsEnabled"]] == [True] * 3
    assert all(m["version"] == 2 for m in data["setModelsEnabled"])
    body = await client(mutation, {"ids": [active[0]] * 501}, token=admin_token)
    assert body["errors"][0]["extensions"]["fields"][0]["field"] == "ids"


async def test_an_export_names_its_default_and_locks_and_an_import_restores_them(client, admin_token):
    await add_provider(client, admin_token)
    model = await create_model(client, admin_token, **model_row())
    await client.data("mutation($id: ID!) { setDefaultModel(id: $id) { id } }", {"id": model["id"]}, token=admin_token)
    document = (await client.data(EXPORT, token=admin_token))["exportCatalog"]
    assert document["models"][0]["isDefault"] is True
    assert document["models"][0]["lockedFields"] == []
    await ModelHistory.delete(force=True)
    await AiModel.delete(force=True)
    await run_import(client, admin_token, document)
    default = await client.data("{ defaultModel { universalModelId } }", token=admin_token)
    assert default["defaultModel"]["universalModelId"] == "openai:gpt-4o"
