"""Provider sync at scale, and the picker while a provider hangs, through GraphQL.

    DATABASE_URL=sqlite:///bench.sqlite3 python bench/sync.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python bench/sync.py

It empties the catalog tables of that database first. A fake OpenAI-compatible
provider on 127.0.0.1 lists 10,000 models; the catalog holds the same 10,000
(an earlier sync), and the listing changes every context window. Then a
second provider that accepts connections and never answers is added, and
`selectableModels` is timed warm, Open WebUI's case (open-webui #15549).
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
os.environ.setdefault("DATABASE_URL", "sqlite:///bench.sqlite3")

import httpx

from api.app import create_app
from api.config import Settings
from api.database import close_pool, count_statements, migrate, open_pool
from api.secrets import load_secret_box
from api.sync import availability
from api.sync.service import sync_diff
from api.users.service import create_user
from bench.imports import empty_catalog
from domain.choices import Role
from tests.fake_provider import fake_provider

__all__ = ["main"]

ROWS = 10_000
PICKS = 200
PICKER_MODELS = 100
CREATE = 'mutation { createModel(input: {provider: "stuck", modelId: "slow", displayName: "Slow"}) { id } }'
DIFF = """query { syncDiff(provider: "lab") { fingerprint unchangedCount newModels { universalModelId }
  updatedModels { updated { universalModelId modelId displayName contextWindow status capabilities
                            supportsTools supportsVision } }
  archivedModels { universalModelId } } }"""
APPLY = "mutation($input: ApplySyncInput!) { applySync(input: $input) { created updated archived } }"
UPSERT = """mutation($key: String!, $u: String) {
  upsertProvider(input: {key: $key, kind: OPENAI_COMPATIBLE, baseUrl: $u}) { id } }"""
PICKER = "{ selectableModels { id universalModelId displayName contextWindow } }"


def hanging_host() -> tuple[str, socket.socket]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)  # connections queue and are never answered
    return f"http://127.0.0.1:{listener.getsockname()[1]}/v1", listener


def entries(diff: dict[str, Any]) -> dict[str, Any]:
    def model(m: dict[str, Any]) -> dict[str, Any]:
        return {**m, "supportsTools": m.get("supportsTools", False), "supportsVision": m.get("supportsVision", False)}

    return {
        "provider": "lab",
        "fingerprint": diff["fingerprint"],
        "newModels": [],
        "updatedModels": [model(u["updated"]) for u in diff["updatedModels"]],
        "archivedModels": [m["universalModelId"] for m in diff["archivedModels"]],
    }


async def run() -> list[str]:
    await migrate()
    await open_pool()
    lines = []
    try:
        await empty_catalog()
        _, token = await create_user(f"bench-{time.time_ns()}", Role.ADMIN)
        settings = Settings.from_env()
        secrets = load_secret_box(settings)
        app = create_app(settings)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=600
        ) as http:

            async def send(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
                response = await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
                body: dict[str, Any] = response.json()
                assert "errors" not in body, body["errors"][:2]
                data: dict[str, Any] = body["data"]
                return data

            with fake_provider() as provider:
                await send(UPSERT, {"key": "lab", "u": provider.base_url})
                provider.serve(*[f"model-{i:05}" for i in range(ROWS)], context=8192)
                await send('mutation { syncProvider(provider: "lab") { created } }')  # the catalog holds 10,000
                provider.serve(*[f"model-{i:05}" for i in range(ROWS)], context=16384)
                with count_statements() as count:
                    started = time.perf_counter()
                    service_diff, _ = await sync_diff("lab", secrets=secrets, by=None)
                    service_s = time.perf_counter() - started
                lines.append(
                    f"the diff of {ROWS:,} listed models against {ROWS:,} rows ({len(service_diff.updated):,} updated),"
                    f" fetched and compared: {service_s:.2f} s, {count.statements} statements"
                )
                with count_statements() as count:
                    started = time.perf_counter()
                    diff = (await send(DIFF))["syncDiff"]
                    diff_s = time.perf_counter() - started
                lines.append(
                    f"the same as syncDiff over GraphQL, every update's both sides and changes in the answer:"
                    f" {diff_s:.2f} s, {count.statements} statements"
                )
                with count_statements() as count:
                    started = time.perf_counter()
                    applied = (await send(APPLY, {"input": entries(diff)}))["applySync"]
                    apply_s = time.perf_counter() - started
                lines.append(
                    f"applySync of {applied['updated']:,} updates: {apply_s:.2f} s, {count.statements} statements"
                )
            await empty_catalog()
            url, listener = hanging_host()
            try:
                with fake_provider() as provider:
                    await send(UPSERT, {"key": "lab", "u": provider.base_url})
                    provider.serve(*[f"model-{i:03}" for i in range(PICKER_MODELS)])
                    await send('mutation { syncProvider(provider: "lab") { created } }')
                await send(UPSERT, {"key": "stuck", "u": url})
                await send(CREATE)
                await send(PICKER)  # the first picker starts the hung refresh; it waits 250 ms for it
                times = []
                for _ in range(PICKS):
                    started = time.perf_counter()
                    await send(PICKER)
                    times.append(time.perf_counter() - started)
                times.sort()
                p50, p99 = statistics.median(times), times[int(len(times) * 0.99) - 1]
                lines.append(
                    f"selectableModels ({PICKER_MODELS + 1} models) with one provider hung, warm, {PICKS} requests:"
                    f" p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms (Open WebUI: about 20 s)"
                )
            finally:
                listener.close()
                await availability.refreshes_done()
    finally:
        await close_pool()
    return lines


def main() -> None:
    engine = "PostgreSQL" if os.environ["DATABASE_URL"].startswith("postgres") else "SQLite"
    print(f"== sync on {engine}")
    for line in asyncio.run(run()):
        print(line)


if __name__ == "__main__":
    main()
