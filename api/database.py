"""Bringing the database up to date, and asking whether it answers."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.query.methods.select import Select
from piccolo.querystring import QueryString

__all__ = [
    "MigrationFailed",
    "StatementCount",
    "close_pool",
    "count_statements",
    "database_answers",
    "for_update",
    "is_postgres",
    "migrate",
    "open_pool",
    "serialize",
    "transaction",
]


class MigrationFailed(Exception):
    pass


async def migrate(*, quiet: bool = True) -> None:
    """Run every migration not yet run; SQLite is switched to WAL first."""
    engine = engine_finder()
    if isinstance(engine, SQLiteEngine):
        # WAL lets readers go on while one request writes; it is a property of
        # the database file, so setting it once is enough.
        await engine.run_ddl("PRAGMA journal_mode=WAL")
    output = io.StringIO()
    with contextlib.redirect_stdout(output) if quiet else contextlib.nullcontext():
        result = await run_forwards(app_name="all")
    if not result.success:
        raise MigrationFailed(result.message or output.getvalue().strip() or "a migration failed")


def is_postgres() -> bool:
    """Whether the configured database is PostgreSQL (else SQLite)."""
    return isinstance(engine_finder(), PostgresEngine)


async def database_answers() -> bool:
    engine = engine_finder()
    assert engine is not None
    try:
        await engine.run_ddl("SELECT 1")
    except Exception:  # noqa: BLE001 - any failure to answer means "not healthy"
        return False
    return True


async def open_pool() -> None:
    engine = engine_finder()
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool()


async def close_pool() -> None:
    engine = engine_finder()
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()


def transaction() -> Any:
    """A transaction for writing; on SQLite it takes the write lock at BEGIN.

    SQLite's default (deferred) transaction that reads before it writes fails
    with "database is locked" when another writer commits in between, without
    waiting; BEGIN IMMEDIATE waits for the busy timeout instead.
    """
    engine = engine_finder()
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    assert engine is not None
    return engine.transaction()


async def serialize(name: str) -> None:
    """Inside a transaction: wait until no other transaction holds the lock `name`, then hold it.

    For a rule across rows (one default model) that row locks cannot guard on
    PostgreSQL; SQLite's transaction() already lets one writer in at a time.
    """
    if is_postgres():
        engine: Any = engine_finder()
        await engine.run_querystring(QueryString("SELECT pg_advisory_xact_lock(hashtext({}))", name))


Q = TypeVar("Q", bound=Select[Any])


def for_update(query: Q) -> Q:
    """The select, locking its rows until the transaction ends.

    PostgreSQL gets SELECT ... FOR UPDATE; SQLite has no row locks and needs
    none, because transaction() already holds its single write lock.
    """
    if is_postgres():
        return query.lock_rows()
    return query


@dataclass
class StatementCount:
    statements: int = 0


@contextlib.contextmanager
def count_statements() -> Iterator[StatementCount]:
    """Count the SQL statements piccolo sends while the block runs (for tests and benchmarks)."""
    engine_class: Any = type(engine_finder())
    count = StatementCount()
    original = engine_class.run_querystring

    async def counted(engine: Any, querystring: Any, in_pool: bool = True) -> Any:
        count.statements += 1
        return await original(engine, querystring, in_pool=in_pool)

    engine_class.run_querystring = counted
    try:
        yield count
    finally:
        engine_class.run_querystring = original
