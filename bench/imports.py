"""Bulk import, measured: 10,000 models and a LiteLLM-sized price file, through GraphQL.

    DATABASE_URL=sqlite:///bench.sqlite3 python bench/imports.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python bench/imports.py

It empties the catalog tables of that database first. Each line gives the wall
time, the SQL statements issued, and the ratio against a baseline that writes
the same models one createModel call at a time (timed on 300 rows, scaled).
"""

from __future__ import annotations

import asyncio
import copy
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
os.environ.setdefault("DATABASE_URL", "sqlite:///bench.sqlite3")

import httpx

from api.app import create_app
from api.catalog import service as catalog
from api.config import Settings
from api.database import close_pool, count_statements, migrate, open_pool
from api.users.service import create_user
from bench.litellm_file import litellm_price_file
from domain.choices import Role
from tables.catalog import Provider
from tables.piccolo_app import ALL_TABLES

__all__ = ["main"]

ROWS = 10_000
BASELINE_ROWS = 300
IMPORT = """mutation($document: JSON!) { importModels(document: $document) {
  applied created updated unchanged notChat skipped { index } errors { index field message } } }"""


@dataclass
class Measure:
    name: str
    rows: int
    seconds: float
    statements: int
    result: dict[str, Any]


def catalog_document(rows: int, price: str = "1.5") -> dict[str, Any]:
    """A modelcatalog/v1 document of `rows` models spread over four providers."""
    providers = [("openai", "OPENAI"), ("anthropic", "ANTHROPIC"), ("groq", "GROQ"), ("local", "OLLAMA")]
    models = []
    for i in range(rows):
        key = providers[i % 4][0]
        models.append(
            {
                "universalModelId": f"{key}:model-{i:05}",
                "provider": key,
                "modelId": f"model-{i:05}",
                "displayName": f"Model {i}",
                "description": "A model for benchmarks.",
                "contextWindow": 8192 * (1 + i % 16),
                "maxOutputTokens": 4096,
                "supportsTools": i % 2 == 0,
                "supportsVision": i % 3 == 0,
                "capabilities": ["tools", "json"] if i % 2 == 0 else [],
                "speedTier": "FAST",
                "costTier": "LOW",
                "pricing": {"inputPerMillion": price, "outputPerMillion": "6", "cachedInputPerMillion": None},
                "status": "ACTIVE",
                "enabled": True,
            }
        )
    return {
        "format": "modelcatalog/v1",
        "providers": [{"key": key, "kind": kind, "displayName": key, "baseUrl": None} for key, kind in providers],
        "models": models,
    }


async def empty_catalog() -> None:
    for table in reversed(ALL_TABLES):
        if table._meta.tablename not in ("users", "api_tokens"):
            await table.delete(force=True)


async def measure(name: str, rows: int, action: Callable[[], Awaitable[dict[str, Any]]]) -> Measure:
    with count_statements() as count:
        started = time.perf_counter()
        result = await action()
        seconds = time.perf_counter() - started
    return Measure(name, rows, seconds, count.statements, result)


async def baseline() -> Measure:
    """The same models written one createModel at a time: what a query-per-row import costs."""
    await empty_catalog()
    document = catalog_document(BASELINE_ROWS)
    for provider in document["providers"]:
        await Provider.insert(Provider(key=provider["key"], kind=provider["kind"], display_name=provider["key"]))

    async def one_by_one() -> dict[str, Any]:
        for model in document["models"]:
            values = {k: v for k, v in model.items() if k not in ("pricing", "status")}
            values.update({f"pricing.{k}": v for k, v in model["pricing"].items()})
            await catalog.create_model(values, by=None)
        return {"created": BASELINE_ROWS}

    return await measure("baseline: createModel per row", BASELINE_ROWS, one_by_one)


async def run() -> list[Measure]:
    await migrate()
    await open_pool()
    try:
        base = await baseline()
        await empty_catalog()
        _, token = await create_user(f"bench-{time.time_ns()}", Role.ADMIN)
        app = create_app(Settings.from_env())
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as http:

            async def send(document: Any) -> dict[str, Any]:
                response = await http.post(
                    "/graphql",
                    json={"query": IMPORT, "variables": {"document": document}},
                    headers={"Authorization": f"Bearer {token}"},
                )
                body: dict[str, Any] = response.json()
                assert "errors" not in body, body
                result: dict[str, Any] = body["data"]["importModels"]
                return result

            document = catalog_document(ROWS)
            changed = copy.deepcopy(document)
            for model in changed["models"]:
                model["pricing"]["inputPerMillion"] = "1.75"
            litellm = litellm_price_file()
            measures = [
                base,
                await measure("10,000 new models", ROWS, lambda: send(document)),
                await measure("the same 10,000 again (unchanged)", ROWS, lambda: send(document)),
                await measure("10,000 models, every price changed", ROWS, lambda: send(changed)),
            ]
            await empty_catalog()
            measures.append(
                await measure(f"LiteLLM-shaped file ({len(litellm):,} keys)", len(litellm), lambda: send(litellm))
            )
        return measures
    finally:
        await close_pool()


def report(measures: list[Measure]) -> str:
    engine = os.environ["DATABASE_URL"].split(":", 1)[0]
    base = measures[0]
    per_row_base = base.seconds / base.rows
    lines = [
        f"engine: {engine}",
        "| run | rows | seconds | statements | rows/s | vs. per-row baseline |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for m in measures:
        ratio = per_row_base * m.rows / m.seconds
        written = {k: v for k, v in m.result.items() if k in ("created", "updated", "unchanged", "notChat")}
        skipped = len(m.result.get("skipped", []))
        label = f"{m.name} {written}" + (f" skipped={skipped}" if skipped else "")
        lines.append(
            f"| {label} | {m.rows:,} | {m.seconds:.2f} | {m.statements:,} | {m.rows / m.seconds:,.0f} | {ratio:.1f}x |"
        )
    return "\n".join(lines)


def main() -> None:
    print(report(asyncio.run(run())))


if __name__ == "__main__":
    main()
