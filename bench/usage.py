"""Usage at scale: recording 100,000 records through GraphQL, then a month's report over 1,000,000.

    DATABASE_URL=sqlite:///.bench.sqlite3 python bench/usage.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python bench/usage.py

It empties the database's tables first. Recording goes through recordUsageBatch,
1,000 records a call, each priced at the price in force at its occurredAt (a
price change halfway makes half of them dearer). The report then runs on
1,000,000 records spread over 30 days (generated in the database), as
usage(groupBy: DAY), and the query plan shows which index it reads.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
os.environ.setdefault("DATABASE_URL", "sqlite:///.bench.sqlite3")

import httpx

from api.app import create_app
from api.config import Settings
from api.database import close_pool, is_postgres, migrate, open_pool
from api.usage.reports import UsageGroupBy, _key_expression, _statement
from api.users.service import create_user
from domain.choices import Role
from tables.piccolo_app import ALL_TABLES
from tables.usage import UsageRecord

__all__ = ["main"]

RECORDS = int(os.environ.get("BENCH_USAGE_RECORDS", "100000"))
BATCH = 1_000
REPORT_RECORDS = 1_000_000
BATCH_MUTATION = "mutation($inputs: [UsageInput!]!) { recordUsageBatch(inputs: $inputs) { id } }"
REPORT = """query($from: DateTime!, $to: DateTime!) { usage(from: $from, to: $to, groupBy: DAY) {
  buckets { key requests cost p95LatencyMs } total { requests cost p50LatencyMs p95LatencyMs } } }"""


async def graphql(http: httpx.AsyncClient, token: str, query: str, variables: dict[str, Any]) -> Any:
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers={"Authorization": f"Bearer {token}"}
    )
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


async def record(http: httpx.AsyncClient, token: str, model_id: str) -> float:
    start = datetime.now(UTC) - timedelta(days=2)
    began = time.perf_counter()
    for batch in range(RECORDS // BATCH):
        inputs = [
            {
                "requestId": f"bench-{batch}-{i}",
                "aiModelId": model_id,
                "inputTokens": 1000 + i,
                "outputTokens": 200,
                "cachedInputTokens": i % 3 * 100,
                "latencyMs": 100 + i % 900,
                "occurredAt": (start + timedelta(seconds=batch * BATCH + i)).isoformat(),
            }
            for i in range(BATCH)
        ]
        await graphql(http, token, BATCH_MUTATION, {"inputs": inputs})
    return time.perf_counter() - began


def generate_statement(user: int, model: int, start: datetime) -> str:
    """One INSERT ... SELECT that makes REPORT_RECORDS records over 30 days (faster than any client could)."""
    step = 30 * 24 * 3600 / REPORT_RECORDS
    epoch = int(start.timestamp())
    columns = (
        '"user", ai_model, universal_model_id, provider, request_id, input_tokens, output_tokens,'
        " cached_input_tokens, cache_write_tokens, latency_ms, success, cost, occurred_at, recorded_at"
    )
    if is_postgres():
        moment = f"to_timestamp({epoch} + i * {step})"
        numbers = f"generate_series(0, {REPORT_RECORDS - 1}) AS i"
        success = "(i % 50 <> 0)"
        return (
            f"INSERT INTO usage_records ({columns}) SELECT {user}, {model}, 'openai:gpt-bench', 'openai',"
            f" 'gen-' || i, 1000 + i % 5000, 200 + i % 700, i % 3 * 100, 0, 50 + (i::bigint * 7919) % 3000, {success},"
            f" (1000 + i % 5000)::bigint * 2000000, {moment}, {moment} FROM {numbers}"
        )
    moment = f"strftime('%Y-%m-%d %H:%M:%S', {epoch} + i * {step}, 'unixepoch') || '+00:00'"
    return (
        f"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {REPORT_RECORDS - 1})"
        f" INSERT INTO usage_records ({columns}) SELECT {user}, {model}, 'openai:gpt-bench', 'openai',"
        f" 'gen-' || i, 1000 + i % 5000, 200 + i % 700, i % 3 * 100, 0, 50 + (i * 7919) % 3000, i % 50 <> 0,"
        f" (1000 + i % 5000) * 2000000, {moment}, {moment} FROM n"
    )


async def plan(start: datetime, end: datetime) -> str:
    statement = _statement(_key_expression(UsageGroupBy.DAY), "r.occurred_at >= {} AND r.occurred_at < {}", users=False)
    explain = "EXPLAIN " if is_postgres() else "EXPLAIN QUERY PLAN "
    rows = await UsageRecord.raw(explain + statement, start, end)
    lines = [str(row.get("QUERY PLAN") or row.get("detail") or row) for row in rows]
    return "\n".join(f"    {line}" for line in lines if "usage_records" in line or "Index" in line or "INDEX" in line)


async def main() -> None:
    await open_pool()
    try:
        await migrate()
        for table in reversed(ALL_TABLES):
            await table.delete(force=True)
        admin, token = await create_user("bench-admin", Role.ADMIN)
        app = create_app(Settings.from_env())
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench.test") as http:
            await graphql(http, token, 'mutation { upsertProvider(input: {key: "openai", kind: OPENAI}) { id } }', {})
            created = await graphql(
                http,
                token,
                'mutation { createModel(input: {provider: "openai", modelId: "gpt-bench", displayName: "Bench",'
                ' pricing: {inputPerMillion: "2", outputPerMillion: "8", cachedInputPerMillion: "0.5"}}) { id } }',
                {},
            )
            model_id = created["createModel"]["id"]
            seconds = await record(http, token, model_id)
            print(
                f"recordUsageBatch: {RECORDS:,} records in batches of {BATCH:,}: {seconds:.2f} s"
                f" ({RECORDS / seconds:,.0f} records/s)"
            )
            await UsageRecord.delete(force=True)
            start = datetime(2026, 11, 1, tzinfo=UTC)
            end = start + timedelta(days=30)
            began = time.perf_counter()
            await UsageRecord.raw(generate_statement(admin.id, int(model_id), start))
            print(f"generated {REPORT_RECORDS:,} records over 30 days in {time.perf_counter() - began:.1f} s")
            if is_postgres():
                await UsageRecord.raw("VACUUM ANALYZE usage_records")  # what autovacuum does after a bulk load
            else:
                await UsageRecord.raw("ANALYZE")
            times = []
            for _ in range(3):
                began = time.perf_counter()
                data = await graphql(http, token, REPORT, {"from": start.isoformat(), "to": end.isoformat()})
                times.append(time.perf_counter() - began)
            report = data["usage"]
            print(
                f"usage(groupBy: DAY) over {report['total']['requests']:,} records, {len(report['buckets'])} days:"
                f" {min(times):.2f} s (best of 3; {', '.join(f'{t:.2f}' for t in times)})"
            )
            print("query plan:\n" + await plan(start, end))
    finally:
        await close_pool()


if __name__ == "__main__":
    asyncio.run(main())
