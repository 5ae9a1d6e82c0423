"""What every `modelcatalog` command shares: running a coroutine, failing cleanly."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar

from rich.console import Console

from api.config import ConfigError
from api.database import MigrationFailed, migrate
from api.errors import CatalogError

__all__ = ["after_migrate", "err", "fails_cleanly", "run"]

err = Console(stderr=True)
T = TypeVar("T")


def run(coroutine: Awaitable[T]) -> T:
    return asyncio.run(coroutine)  # type: ignore[arg-type]


def fails_cleanly(command: Callable[..., Any]) -> Callable[..., Any]:
    """Expected failures end the command with a one-line message and exit code 2."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (ConfigError, MigrationFailed, CatalogError) as error:
            err.print(f"[red]error:[/red] {error}", highlight=False)
            sys.exit(2)

    return wrapper


async def after_migrate(action: Awaitable[T]) -> T:
    await migrate()
    return await action
