"""The read path: models(first: 100) with provider nested, 5,000 models, over HTTP against `modelcatalog serve`.

Side by side in one run with a bare Starlette route over the same rows and driver
(bench/bare_route.py): warm (one repeated query) and cold (a new variables pair
each request) throughput with p50/p99, statements per request by page size, and
a pyinstrument profile of the cold path.

    DATABASE_URL=sqlite:///.bench.sqlite3 python bench/read_path.py
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")

import httpx

from api.app import create_app
from api.catalog import writer
from api.catalog.writer import NewModel
from api.config import Settings
from api.database import count_statements, migrate, transaction
from api.users.service import create_user
from domain.choices import HistoryAction, Role
from tables.catalog import AiModel, ModelHistory, Provider

MODELS = 5000
REQUESTS = 400
CONCURRENCY = 8
FIELDS = """id universalModelId modelId displayName description contextWindow maxOutputTokens supportsTools
 supportsVision capabilities speedTier costTier status enabled isAvailable isDefault version createdAt
 provider { key kind displayName }"""
QUERY = f"query Page($first: Int, $after: String) {{ models(first: $first, after: $after) {{ nodes {{ {FIELDS} }} pageInfo {{ endCursor }} }} }}"  # noqa: E501
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def seed() -> str:
    await migrate()
    for table in (ModelHistory, AiModel):
        await table.delete(force=True)
    await Provider.insert(Provider(key="bench", kind="OPENAI", display_name="Bench")).on_conflict(
        target=Provider.key, action="DO NOTHING"
    )
    provider = await Provider.select(Provider.id).where(Provider.key == "bench").first()
    assert provider is not None
    models = [
        NewModel(provider["id"], {"universalModelId": f"bench:m{i:05}", "modelId": f"m{i:05}",
                                  "displayName": f"Model {i}", "contextWindow": 128000})
        for i in range(MODELS)
    ]  # fmt: skip
    async with transaction(bulk=True):
        await writer.insert_models(models, HistoryAction.CREATED, by=None, reason="bench")
    _, token = await create_user(f"bench-{time.time_ns()}", Role.MEMBER)
    return token


async def wait_for(url: str) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(200):
            try:
                await http.get(url)
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


async def load(http: httpx.AsyncClient, requests: list[dict[str, Any]]) -> dict[str, float]:
    latencies: list[float] = []
    queue = list(requests)

    async def worker() -> None:
        while queue:
            request = queue.pop()
            started = time.perf_counter()
            response = await http.request(**request)
            assert response.status_code == 200, response.text[:200]
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(requests) / elapsed,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


def gql(token: str, variables: dict[str, Any]) -> dict[str, Any]:
    return {"method": "POST", "url": "/graphql", "json": {"query": QUERY, "variables": variables},
            "headers": {"Authorization": f"Bearer {token}"}}  # fmt: skip


async def cursors(http: httpx.AsyncClient, token: str) -> list[str | None]:
    found: list[str | None] = [None]
    while len(found) < 60:
        response = await http.post("/graphql", json={"query": QUERY, "variables": {"first": 100, "after": found[-1]}},
                                   headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        found.append(response.json()["data"]["models"]["pageInfo"]["endCursor"])
    return found


async def statements(token: str) -> dict[int, int]:
    app = create_app(Settings.from_env())
    counts = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http:
        for size in (10, 100, 500):
            await http.post(**{k: v for k, v in gql(token, {"first": size, "after": "x" * size}).items()
                               if k != "method"})  # fmt: skip
            with count_statements() as count:
                await http.post(**{k: v for k, v in gql(token, {"first": size}).items() if k != "method"})
            counts[size] = count.statements
    return counts


async def profile(token: str, pages: list[str | None]) -> str:
    from pyinstrument import Profiler

    app = create_app(Settings.from_env())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http:
        profiler = Profiler(async_mode="enabled")
        with profiler:
            for i, after in enumerate(pages[:40]):
                await http.post(**{k: v for k, v in gql(token, {"first": 99 - i % 3, "after": after}).items()
                                   if k != "method"})  # fmt: skip
    return str(profiler.output_text(unicode=False, color=False, show_all=False))


async def run() -> None:
    token = await seed()
    env = {**os.environ, "MODELCATALOG_LOG_FORMAT": "text"}
    api_port, bare_port = free_port(), free_port()
    serve = subprocess.Popen([sys.executable, "-m", "modelcatalog", "serve", "--no-seed", "--port", str(api_port)],
                             env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    bare = subprocess.Popen([sys.executable, str(ROOT / "bench" / "bare_route.py"), str(bare_port)], env=env, cwd=ROOT)
    try:
        await wait_for(f"http://127.0.0.1:{api_port}/healthz")
        await wait_for(f"http://127.0.0.1:{bare_port}/models")
        async with (
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}", timeout=60) as api,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{bare_port}", timeout=60) as base,
        ):
            pages = await cursors(api, token)
            pairs = [{"first": 100 - k, "after": after} for k in range(8) for after in pages]
            cold_requests = [gql(token, variables) for variables in pairs][:REQUESTS]
            await load(base, [{"method": "GET", "url": "/models"}] * 50)  # both warmed up
            await load(api, [gql(token, {"first": 100})] * 50)
            bare_figures = await load(base, [{"method": "GET", "url": "/models"}] * REQUESTS)
            warm = await load(api, [gql(token, {"first": 100})] * REQUESTS)
            cold = await load(api, cold_requests)
    finally:
        for process in (serve, bare):
            process.terminate()
            process.wait(timeout=10)
    counts = await statements(token)
    engine = os.environ.get("DATABASE_URL", "sqlite").split(":", 1)[0]
    print(f"read path: models(first: 100) with provider, {MODELS:,} models, {engine}, {CONCURRENCY} clients,"
          f" {REQUESTS} requests each, {os.cpu_count()} cores")  # fmt: skip
    for name, figures in (("bare route", bare_figures), ("graphql warm", warm), ("graphql cold", cold)):
        ratio = figures["rps"] / bare_figures["rps"]
        print(f"  {name:13} {figures['rps']:8.0f} req/s  p50 {figures['p50']:6.1f} ms  p99 {figures['p99']:6.1f} ms"
              f"  {ratio:5.2f}x bare")  # fmt: skip
    print(f"  warm target >= 1.50x: {warm['rps'] / bare_figures['rps']:.2f}x;"
          f" cold target >= 0.33x: {cold['rps'] / bare_figures['rps']:.2f}x")  # fmt: skip
    print("  SQL statements per request by page size: " + ", ".join(f"{k}: {v}" for k, v in counts.items()))
    print("cold path profile (pyinstrument, in process, 40 requests):")
    print("\n".join(line for line in (await profile(token, pages)).splitlines()[:45]))


if __name__ == "__main__":
    asyncio.run(run())
