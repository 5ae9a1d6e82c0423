"""Resetting the test database between runs and between tests."""

from __future__ import annotations

from piccolo.engine import engine_finder

from api.database import is_postgres
from tables.piccolo_app import ALL_TABLES

__all__ = ["drop_everything", "empty_tables", "is_postgres"]


async def drop_everything() -> None:
    """Drop our tables and piccolo's migration record, so migrations run from scratch."""
    engine = engine_finder()
    assert engine is not None
    cascade = " CASCADE" if is_postgres() else ""
    for table in [*reversed(ALL_TABLES)]:
        await engine.run_ddl(f'DROP TABLE IF EXISTS "{table._meta.tablename}"{cascade}')
    await engine.run_ddl(f'DROP TABLE IF EXISTS "migration"{cascade}')


async def empty_tables() -> None:
    engine = engine_finder()
    assert engine is not None
    names = [f'"{table._meta.tablename}"' for table in reversed(ALL_TABLES)]
    if is_postgres():
        await engine.run_ddl(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE")
    else:
        for name in names:
            await engine.run_ddl(f"DELETE FROM {name}")
