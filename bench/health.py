"""The background health re-check, measured: 100 local endpoints on 127.0.0.1, of which 20 never answer.

    DATABASE_URL=sqlite:///bench.sqlite3 python bench/health.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python bench/health.py

It removes what an earlier run left (the user `bench-health` and its endpoints),
serves a fast Ollama listing and a server that accepts and never answers, both
on 127.0.0.1, then times one re-check round at the service's own limits (a 10 s
probe timeout, 20 probes at once). One probe at a time, the 20 hanging endpoints
alone would take 20 timeouts; the ratio says how far the round is from that.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
os.environ.setdefault("DATABASE_URL", "sqlite:///bench.sqlite3")

from api.config import Settings
from api.database import close_pool, migrate, open_pool
from api.endpoints.probe import LIMITS
from api.endpoints.recheck import CONCURRENCY, RecheckRound, recheck_active
from api.endpoints.url_policy import UrlPolicy
from api.secrets import load_secret_box
from api.users.service import create_user
from domain.choices import Role
from tables.endpoints import LocalEndpoint
from tables.users import User

__all__ = ["main"]

ENDPOINTS = 100
HANGING = 20
USER = "bench-health"
LISTING = json.dumps({"models": [{"name": f"model-{n}:latest"} for n in range(8)]}).encode()

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """An Ollama listing at once, to every request."""
    await reader.readuntil(b"\r\n\r\n")
    head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(LISTING)}\r\n\r\n"
    writer.write(head.encode() + LISTING)
    await writer.drain()
    writer.close()


def hang(stop: asyncio.Event) -> Handler:
    """Accept the connection and never answer, until the benchmark ends."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await stop.wait()
        writer.close()

    return handle


async def fill(fast_port: int, stuck_port: int) -> None:
    """The user `bench-health` with ENDPOINTS endpoints, every fifth one hanging."""
    old = await User.select(User.id).where(User.username == USER).first()
    if old is not None:
        await User.delete().where(User.id == old["id"])  # its endpoints go with it
    owner, _ = await create_user(USER, Role.MEMBER)
    await LocalEndpoint.insert(
        *(
            LocalEndpoint(
                owner=owner.id,
                name=f"endpoint {n}",
                base_url=f"http://127.0.0.1:{stuck_port if n % (ENDPOINTS // HANGING) == 0 else fast_port}",
                endpoint_type="OLLAMA",
            )
            for n in range(ENDPOINTS)
        )
    )


async def run() -> RecheckRound:
    await migrate()
    await open_pool()
    stop = asyncio.Event()
    fast = await asyncio.start_server(answer, "127.0.0.1", 0)
    stuck = await asyncio.start_server(hang(stop), "127.0.0.1", 0)
    try:
        await fill(fast.sockets[0].getsockname()[1], stuck.sockets[0].getsockname()[1])
        secrets = load_secret_box(Settings.from_env())
        return await recheck_active(secrets=secrets, policy=UrlPolicy())
    finally:
        stop.set()
        fast.close()
        stuck.close()
        await close_pool()


def report(done: RecheckRound) -> str:
    engine = os.environ["DATABASE_URL"].split(":", 1)[0]
    one_at_a_time = HANGING * LIMITS.total_seconds
    return "\n".join(
        [
            f"engine: {engine}",
            "| round | endpoints | hanging | at once | probe timeout | seconds | healthy | one at a time (at least) |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            f"| health re-check | {done.checked} | {HANGING} | {CONCURRENCY} | {LIMITS.total_seconds:.0f} s"
            f" | {done.seconds:.2f} | {done.healthy} | {one_at_a_time:.0f} s"
            f" ({one_at_a_time / done.seconds:.0f}x slower) |",
        ]
    )


def main() -> None:
    print(report(asyncio.run(run())))


if __name__ == "__main__":
    main()
