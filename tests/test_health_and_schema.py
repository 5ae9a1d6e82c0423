"""The health endpoint, the committed schema file and the migrations."""

from __future__ import annotations

from pathlib import Path

import pytest
from piccolo.engine import engine_finder

from api.schema import schema
from tables.piccolo_app import ALL_TABLES
from tests.database import is_postgres

ROOT = Path(__file__).resolve().parent.parent


async def test_healthz_answers_ok_when_the_database_answers(client):
    response = await client.http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_healthz_answers_503_when_the_database_does_not(client, monkeypatch):
    engine = engine_finder()

    async def refuse(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(type(engine), "run_ddl", refuse)
    response = await client.http.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


def test_schema_graphql_is_what_the_code_exports():
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == schema.as_str() + "\n", "schema.graphql is stale: run `make schema`"


# SQLite cannot drop a column a CHECK constraint names: the prices ai_models had before model_prices stay there,
# emptied (PostgreSQL drops them).
RETIRED_ON_SQLITE = {"ai_models": {"input_price", "output_price", "cached_input_price"}} if not is_postgres() else {}


async def test_migrations_build_every_table_with_its_columns():
    engine = engine_finder()
    assert engine is not None
    for table in ALL_TABLES:
        name = table._meta.tablename
        if is_postgres():
            rows = await engine.run_ddl(
                f"SELECT column_name AS name FROM information_schema.columns WHERE table_name = '{name}'"
            )
        else:
            rows = await engine.run_ddl(f"SELECT name FROM pragma_table_info('{name}')")
        columns = {row["name"] for row in rows} - RETIRED_ON_SQLITE.get(name, set())
        assert columns == {c._meta.db_column_name for c in table._meta.columns}, name


async def test_the_database_refuses_a_second_default_model():
    from tables.catalog import AiModel, Provider

    provider = await Provider.insert(Provider(key="openai", kind="OPENAI", display_name="OpenAI")).returning(
        Provider.id
    )
    await AiModel.insert(
        AiModel(
            provider=provider[0]["id"], model_id="a", universal_model_id="openai:a", display_name="A", is_default=True
        )
    )
    # sqlite3 and asyncpg raise different classes; both name the broken constraint.
    with pytest.raises(Exception, match=r"(?i)unique|ai_models_one_default"):
        await AiModel.insert(
            AiModel(
                provider=provider[0]["id"],
                model_id="b",
                universal_model_id="openai:b",
                display_name="B",
                is_default=True,
            )
        )
