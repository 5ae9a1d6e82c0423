"""The legacy chat backfill, measured: 100,000 chats in every form found in the wild.

    DATABASE_URL=sqlite:///bench.sqlite3 python bench/backfill.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python bench/backfill.py

It empties the catalog and chat tables of that database first, fills them in
bulk, then runs the backfill twice (the second run finds only what could not
be mapped). Each line gives the wall time and the SQL statements issued, with
the ratio against a baseline that links the same chats one UPDATE at a time
(timed on 2,000 chats, scaled).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
os.environ.setdefault("DATABASE_URL", "sqlite:///bench.sqlite3")

from api.catalog import service as catalog
from api.chats.backfill import BackfillReport, backfill_chats, load_catalog, resolve
from api.database import close_pool, count_statements, migrate, open_pool, transaction
from api.users.service import create_user
from bench.imports import empty_catalog
from domain.choices import Role
from tables.catalog import Provider
from tables.chats import Chat

__all__ = ["main"]

CHATS = 100_000
BASELINE_CHATS = 2_000
INSERT_CHUNK = 1_000  # rows per INSERT: 4 parameters each, well within both engines' limits
PROVIDERS = [("openai", "OPENAI"), ("anthropic", "ANTHROPIC"), ("google", "GOOGLE"), ("groq", "GROQ")]
MODELS_PER_PROVIDER = 6


@dataclass
class Measure:
    name: str
    chats: int
    seconds: float
    statements: int
    report: BackfillReport | None


async def measure(name: str, chats: int, action: Callable[[], Awaitable[BackfillReport | None]]) -> Measure:
    with count_statements() as count:
        started = time.perf_counter()
        report = await action()
        seconds = time.perf_counter() - started
    return Measure(name, chats, seconds, count.statements, report)


async def fill_catalog() -> dict[str, int]:
    """Providers and their models (a few archived, as deprecated models are); provider ids by key."""
    for key, kind in PROVIDERS:
        await Provider.insert(Provider(key=key, kind=kind, display_name=key))
    for key, _ in PROVIDERS:
        for n in range(MODELS_PER_PROVIDER):
            row = await catalog.create_model(
                {"provider": key, "modelId": f"{key}-model-{n}", "displayName": f"{key} {n}"}, by=None
            )
            if n == MODELS_PER_PROVIDER - 1:
                await catalog.archive_model(row["id"], by=None, reason="deprecated by the provider")
    return {row["key"]: row["id"] for row in await Provider.select(Provider.id, Provider.key)}


def legacy_strings(i: int, provider_ids: dict[str, int]) -> tuple[str | None, str]:
    """The i-th chat's legacy (provider, model name), cycling through the forms found in the wild."""
    key, _ = PROVIDERS[i % len(PROVIDERS)]
    model = f"{key}-model-{(i // len(PROVIDERS)) % MODELS_PER_PROVIDER}"
    forms: list[tuple[str | None, str]] = [
        (key, model),
        (f" {key.upper()} ", f"{model.title()} "),
        (None, f"{key}/{model}"),
        (None, f"{key}:{model}"),
        (str(provider_ids[key]), model),
        (None, f"{provider_ids[key]}/{model}"),
        (key, f"{key}/{model}"),
        (key, model),
        (key, model),
        (key, model),
    ]
    if i % 20 == 19:  # one chat in twenty cannot be mapped, in a handful of ways
        return [("azure", model), ("openai", "gpt-2"), (None, model), ("anthropic", "groq-model-1")][i // 20 % 4]
    return forms[i % len(forms)]


async def fill_chats(count: int, provider_ids: dict[str, int]) -> BackfillReport | None:
    """`count` legacy chats of one new user, a thousand rows per INSERT."""
    owner, _ = await create_user(f"bench-{time.time_ns()}", Role.MEMBER)
    async with transaction():
        for start in range(0, count, INSERT_CHUNK):
            chunk = range(start, min(start + INSERT_CHUNK, count))
            values = ", ".join("({}, {}, {}, {})" for _ in chunk)
            params = [value for i in chunk for value in (owner.id, f"chat {i}", *legacy_strings(i, provider_ids))]
            await Chat.raw(f"INSERT INTO chats (owner, title, model_provider, model_name) VALUES {values}", *params)
    return None


async def one_update_per_chat() -> BackfillReport | None:
    """What a backfill that links each chat with its own statement costs."""
    legacy = await load_catalog()
    rows = await Chat.select(Chat.id, Chat.model_provider, Chat.model_name).where(Chat.ai_model.is_null())
    async with transaction():
        for row in rows:
            found = resolve(row["model_provider"], row["model_name"], legacy)
            if isinstance(found, int):
                await Chat.update({Chat.ai_model: found}).where(Chat.id == row["id"])
    return None


async def run() -> list[Measure]:
    await migrate()
    await open_pool()
    try:
        await empty_catalog()
        provider_ids = await fill_catalog()
        await fill_chats(BASELINE_CHATS, provider_ids)
        baseline = await measure("baseline: one UPDATE per chat", BASELINE_CHATS, one_update_per_chat)
        await Chat.delete(force=True)
        fill = await measure(
            f"fill {CHATS:,} legacy chats (bulk INSERTs)", CHATS, lambda: fill_chats(CHATS, provider_ids)
        )
        return [
            baseline,
            fill,
            await measure("backfill --dry-run", CHATS, lambda: backfill_chats(dry_run=True)),
            await measure("backfill", CHATS, lambda: backfill_chats()),
            await measure("backfill again (only the unmappable are left)", CHATS, lambda: backfill_chats()),
        ]
    finally:
        await close_pool()


def report(measures: list[Measure]) -> str:
    engine = os.environ["DATABASE_URL"].split(":", 1)[0]
    base = measures[0]
    per_chat = base.seconds / base.chats
    lines = [
        f"engine: {engine}",
        "| run | chats | seconds | statements | chats/s | vs. per-chat baseline | result |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for m in measures:
        result = ""
        if m.report is not None:
            r = m.report
            result = f"examined={r.examined:,} mapped={r.mapped:,} unmapped={r.unmapped:,} batches={r.batches}"
        chats = m.report.examined if m.report is not None else m.chats
        ratio = f"{per_chat * chats / m.seconds:.1f}x" if m.report is not None else ""
        rate = f"{chats / m.seconds:,.0f}"
        lines.append(f"| {m.name} | {chats:,} | {m.seconds:.2f} | {m.statements:,} | {rate} | {ratio} | {result} |")
    return "\n".join(lines)


def main() -> None:
    print(report(asyncio.run(run())))


if __name__ == "__main__":
    main()
