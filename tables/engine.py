"""The database engine, chosen by DATABASE_URL (SQLite by default, or PostgreSQL)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

__all__ = ["DEFAULT_DATABASE_URL", "database_url", "engine_from_url", "sqlite_path"]

DEFAULT_DATABASE_URL = "sqlite:///./modelcatalog.sqlite3"

# sqlite3's busy timeout: a writer waits this long for another writer's lock
# instead of failing at once with "database is locked".
SQLITE_BUSY_TIMEOUT_S = 30.0


def database_url() -> str:
    """The configured database URL."""
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def sqlite_path(url: str) -> Path | None:
    """The file of a sqlite:/// URL, or None for any other database."""
    if not url.startswith("sqlite:///"):
        return None
    return Path(url[len("sqlite:///") :])


def engine_from_url(url: str) -> Engine[Any]:
    """A piccolo engine for a sqlite:///path or postgres://user@host:port/db URL."""
    path = sqlite_path(url)
    if path is not None:
        if not str(path):
            raise ValueError("DATABASE_URL sqlite:/// needs a file path, e.g. sqlite:///./modelcatalog.sqlite3")
        return SQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_S)
    scheme = urlsplit(url).scheme
    if scheme in ("postgres", "postgresql"):
        return PostgresEngine(config={"dsn": url})
    raise ValueError(f"DATABASE_URL must start with sqlite:/// or postgres://, not {scheme or url[:12]!r}")
