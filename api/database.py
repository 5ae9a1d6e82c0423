"""Bringing the database up to date, and asking whether it answers."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import logging
import math
import random
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import asyncpg
from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType
from piccolo.query.methods.select import Select
from piccolo.querystring import QueryString

from api.errors import Unavailable

__all__ = [
    "BULK_LOCK_WAIT_S",
    "WRITE_ATTEMPTS",
    "WRITE_LOCK_WAIT_S",
    "Contended",
    "MigrationFailed",
    "StatementCount",
    "close_pool",
    "count_statements",
    "database_answers",
    "for_update",
    "is_postgres",
    "migrate",
    "migrations_pending",
    "open_pool",
    "retrying",
    "serialize",
    "transaction",
]

log = logging.getLogger("modelcatalog.database")

# How long a write waits for a lock (SQLite's one write lock, a PostgreSQL row or
# advisory lock) before it gives up with UNAVAILABLE. A change to one model takes
# milliseconds, so 5 s only runs out behind a long import; the client then hears
# "busy, retry in 5 s" at once instead of hanging for SQLite's 30 s default.
WRITE_LOCK_WAIT_S = 5.0
# A bulk write (an import) queues behind another bulk write for longer: it is long itself.
BULK_LOCK_WAIT_S = 30.0
# A transaction that deadlocked or lost a serialization race runs again, up to
# this many times in all, after a jittered back-off that doubles from BACKOFF_S.
WRITE_ATTEMPTS = 4
BACKOFF_S = 0.05


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


async def migrations_pending() -> int:
    """How many of the app's migrations the database has not run (all of them when it has run none)."""
    from piccolo.apps.migrations.commands.base import BaseMigrationManager
    from piccolo.apps.migrations.tables import Migration

    from tables.piccolo_app import APP_CONFIG

    known = set(BaseMigrationManager().get_migration_modules(APP_CONFIG.resolved_migrations_folder_path))
    if not await Migration.table_exists():
        return len(known)
    ran = await Migration.select(Migration.name).where(Migration.app_name == APP_CONFIG.app_name)
    return len(known - {row["name"] for row in ran})


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


def _milliseconds(seconds: float) -> int:
    return max(1, round(seconds * 1000))


# piccolo's transaction classes carry no annotations, hence the ignores below.
class _SQLiteWrite(SQLiteTransaction):
    """BEGIN IMMEDIATE, waiting at most `lock_wait` seconds for the write lock."""

    def __init__(self, engine: SQLiteEngine, lock_wait: float) -> None:
        super().__init__(engine=engine, transaction_type=TransactionType.immediate)
        self.lock_wait = lock_wait

    async def get_connection(self) -> Any:
        connection = await super().get_connection()  # type: ignore[no-untyped-call]
        await connection.execute(f"PRAGMA busy_timeout = {_milliseconds(self.lock_wait)}")
        return connection

    async def begin(self) -> None:
        try:
            await super().begin()  # type: ignore[no-untyped-call]
        except BaseException:
            await self.connection.close()  # piccolo leaves the connection open when BEGIN fails
            raise


class _PostgresWrite(PostgresTransaction):
    """A transaction whose every lock wait ends after `lock_wait` seconds."""

    def __init__(self, engine: PostgresEngine, lock_wait: float) -> None:
        super().__init__(engine=engine)
        self.lock_wait = lock_wait

    async def begin(self) -> None:
        try:
            await super().begin()  # type: ignore[no-untyped-call]
            await self.connection.execute(f"SET LOCAL lock_timeout = '{_milliseconds(self.lock_wait)}ms'")
        except BaseException:
            # piccolo gives the connection back in __aexit__, which a failed __aenter__ never reaches;
            # closing it, or the pool's reset on release, rolls the transaction back.
            if self.engine.pool:
                await self.engine.pool.release(self.connection)
            else:
                await self.connection.close()
            raise


def transaction(*, bulk: bool = False) -> Any:
    """A transaction for writing, whose lock waits end after WRITE_LOCK_WAIT_S (bulk: BULK_LOCK_WAIT_S).

    On SQLite it takes the write lock at BEGIN: SQLite's default (deferred)
    transaction that reads before it writes fails with "database is locked"
    when another writer commits in between, without waiting; BEGIN IMMEDIATE
    waits for the busy timeout instead.
    """
    engine = engine_finder()
    lock_wait = BULK_LOCK_WAIT_S if bulk else WRITE_LOCK_WAIT_S
    if isinstance(engine, SQLiteEngine):
        return _SQLiteWrite(engine, lock_wait)
    assert isinstance(engine, PostgresEngine)
    return _PostgresWrite(engine, lock_wait)


class Contended(Unavailable):
    """Raised inside a transaction that lost a race it may win by running again (a row created meanwhile)."""


@dataclass(frozen=True)
class _Busy:
    message: str
    again: bool  # whether running the transaction again may succeed now
    retry_after: int


DEADLOCK, SERIALIZATION_FAILURE, LOCK_NOT_AVAILABLE = "40P01", "40001", "55P03"


def _busy(error: BaseException) -> _Busy | None:
    """What kind of contention the error is, or None for any other error."""
    waited = max(1, math.ceil(WRITE_LOCK_WAIT_S))
    if isinstance(error, Contended):
        return _Busy(error.message, True, error.retry_after)
    if isinstance(error, asyncpg.PostgresError):
        state = getattr(error, "sqlstate", None)
        if state in (DEADLOCK, SERIALIZATION_FAILURE):
            return _Busy("the change kept colliding with concurrent changes; try again", True, 1)
        if state == LOCK_NOT_AVAILABLE:
            return _Busy(f"the database is busy with another change; try again in {waited} s", False, waited)
    if isinstance(error, sqlite3.OperationalError):
        code = getattr(error, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return _Busy(f"the database is busy with another change; try again in {waited} s", False, waited)
    return None


P = ParamSpec("P")
R = TypeVar("R")


def retrying(write: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Re-run a write's transaction after a deadlock or a lost race; UNAVAILABLE once that or a lock wait runs out."""

    @functools.wraps(write)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        engine = engine_finder()
        if engine is not None and engine.transaction_exists():
            return await write(*args, **kwargs)  # part of a caller's transaction: only the whole may run again
        attempt = 1
        while True:
            try:
                return await write(*args, **kwargs)
            except (asyncpg.PostgresError, sqlite3.OperationalError, Contended) as error:
                busy = _busy(error)
                if busy is None:
                    raise
                if not busy.again or attempt >= WRITE_ATTEMPTS:
                    log.warning("%s gave up after %d attempt(s): %s", write.__name__, attempt, error)
                    raise Unavailable(busy.message, retry_after=busy.retry_after) from error
                log.info(
                    "%s: attempt %d of %d lost a race (%s); running it again",
                    write.__name__,
                    attempt,
                    WRITE_ATTEMPTS,
                    error,
                )
            # Jitter, so the transactions that collided do not collide again in step.
            await asyncio.sleep(BACKOFF_S * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))
            attempt += 1

    return run


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
