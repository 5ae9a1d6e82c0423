"""`modelcatalog seed`, `models`, `export` and `import`, run as scripts run them."""

from __future__ import annotations

import json
from pathlib import Path

from tables.catalog import AiModel, ModelHistory
from tests.catalog import price_now
from tests.commands import cli

FIXTURES = Path(__file__).parent / "fixtures"


async def test_seed_loads_the_starting_catalog_once():
    first = cli("seed")
    assert first.returncode == 0, first.stderr
    count = await AiModel.count()
    assert count >= 40
    providers = {row["key"] for row in await AiModel.select(AiModel.provider.key.as_alias("key"))}
    assert providers == {"openai", "anthropic", "google", "groq", "mistral", "ollama"}
    default = await AiModel.select(AiModel.universal_model_id).where(AiModel.is_default.eq(True))
    assert len(default) == 1
    history = await ModelHistory.count()
    second = cli("seed")
    assert second.returncode == 0 and "created 0 models" in second.stdout
    assert await AiModel.count() == count and await ModelHistory.count() == history


async def test_seeded_facts_are_within_bounds_and_priced_per_million():
    assert cli("seed").returncode == 0
    rows = await AiModel.select().output(load_json=True)
    assert all(row["display_name"] and row["model_id"] for row in rows)
    assert [row["universal_model_id"] for row in rows if not row["context_window"]] == []
    ollama = [row["universal_model_id"] for row in rows if row["universal_model_id"].startswith("ollama:")]
    prices = [(await price_now(universal))["input_price"] for universal in ollama]
    assert ollama and all(price == 0 for price in prices)


async def test_models_lists_the_catalog_as_a_table_or_json():
    assert cli("seed").returncode == 0
    table = cli("models", "--provider", "anthropic")
    assert table.returncode == 0, table.stderr
    assert "anthropic:" in table.stdout and "openai:" not in table.stdout
    listed = cli("models", "--json", "--provider", "openai")
    models = json.loads(listed.stdout)
    assert models and all(model["universalModelId"].startswith("openai:") for model in models)
    first = models[0]
    assert isinstance(first["pricing"]["inputPerMillion"], str) and first["version"] == 1
    assert first["provider"] == "openai" and {"contextWindow", "supportsTools", "isDefault", "lockedFields"} <= set(
        first
    )
    assert json.loads(cli("models", "--json", "--provider", "nobody").stdout) == []


async def test_export_then_import_round_trips_through_files(tmp_path):
    assert cli("seed").returncode == 0
    out = tmp_path / "catalog.json"
    exported = cli("export", "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    document = json.loads(out.read_text())
    assert document["format"] == "modelcatalog/v1" and len(document["models"]) == await AiModel.count()
    only_groq = json.loads(cli("export", "--provider", "groq").stdout)
    assert {model["provider"] for model in only_groq["models"]} == {"groq"}
    again = cli("import", str(out))
    assert again.returncode == 0, again.stderr
    assert "unchanged" in again.stdout and str(len(document["models"])) in again.stdout


async def test_import_litellm_lists_skipped_rows_and_a_summary():
    result = cli("import", str(FIXTURES / "litellm_prices.json"), "--reason", "from LiteLLM")
    assert result.returncode == 0, result.stderr
    assert "skipped rows" in result.stderr and "lambda_ai/lfm-40b" in result.stderr
    assert "not chat" in result.stdout and "created" in result.stdout
    assert await AiModel.exists().where(AiModel.universal_model_id == "openai:gpt-4o")


async def test_a_dry_run_writes_nothing():
    result = cli("import", str(FIXTURES / "litellm_prices.json"), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "dry run" in result.stderr
    assert await AiModel.count() == 0


async def test_an_import_that_writes_nothing_exits_non_zero(tmp_path):
    strict = cli("import", str(FIXTURES / "litellm_prices.json"), "--strict")
    assert strict.returncode == 1 and "nothing was written" in strict.stderr
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "modelcatalog/v1", "models": [{"universalModelId": "x:y"}]}))
    result = cli("import", str(bad), "--format", "modelcatalog")
    assert result.returncode == 1 and "required" in result.stderr
    assert await AiModel.count() == 0


async def test_a_file_that_is_not_an_import_fails_cleanly(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    for args in (
        ["import", str(broken)],
        ["import", str(FIXTURES / "litellm_prices.json"), "--format", "modelcatalog"],
    ):
        result = cli(*args)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr and "error:" in result.stderr


async def test_a_file_over_50_mb_is_refused_before_it_is_read(tmp_path):
    huge = tmp_path / "huge.json"
    with huge.open("wb") as file:
        file.truncate(50 * 1024 * 1024 + 1)  # sparse: nothing to write
    result = cli("import", str(huge))
    assert result.returncode == 2 and "at most 52,428,800" in result.stderr
    assert await AiModel.count() == 0
