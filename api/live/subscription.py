"""catalogChanged: each instance follows catalog_events and hands every subscriber the events it may see.

One follower per process reads the events after the last it saw: woken by
PostgreSQL's NOTIFY (sent at commit by whichever instance or process wrote),
and polling as well, every POLL_S on SQLite and every PG_POLL_S on PostgreSQL
in case a notification was lost with its connection. Because revisions are
assigned in commit order (revision.py), "after the last" never skips one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import asyncpg
import strawberry
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

from api.auth import IsSignedIn, require_user
from api.context import Info
from api.live.revision import CHANNEL, ChangeEvent, EventKind, current_revision, events_after

__all__ = ["CatalogEventKind", "CatalogEventType", "EventFollower", "LiveQueries", "LiveSubscriptions"]

log = logging.getLogger("modelcatalog.live")

POLL_S = 0.2  # SQLite: how often the follower looks for new events
PG_POLL_S = 1.0  # PostgreSQL: a safety net under LISTEN
QUEUE_BOUND = 1000  # events a slow subscriber may fall behind before it is dropped (it reconnects and catches up)

CatalogEventKind = strawberry.enum(EventKind, name="CatalogEventKind")


@strawberry.type(name="CatalogEvent", description="What changed; a client re-reads what it shows.")
class CatalogEventType:
    revision: int = strawberry.field(description="The catalog revision after the change.")
    kind: CatalogEventKind  # type: ignore[valid-type]
    at: datetime
    model_ids: list[strawberry.ID]
    universal_model_ids: list[str]
    provider_keys: list[str]
    endpoint_ids: list[strawberry.ID] = strawberry.field(description="Only the subscriber's own or shared endpoints.")

    @classmethod
    def from_event(cls, event: ChangeEvent) -> CatalogEventType:
        return cls(
            revision=event.revision,
            kind=event.kind,
            at=event.at,
            model_ids=[strawberry.ID(str(i)) for i in event.model_ids],
            universal_model_ids=list(event.universal_model_ids),
            provider_keys=list(event.provider_keys),
            endpoint_ids=[strawberry.ID(str(i)) for i in event.endpoint_ids],
        )


class _Dropped(Exception):
    """A subscriber fell too far behind."""


class EventFollower:
    """This process's reader of catalog_events, from the first subscription until the app stops."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[ChangeEvent | None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._ready = asyncio.Event()  # set once the follower knows where it starts

    async def events(self, after: int | None) -> AsyncIterator[ChangeEvent]:
        """Every event after `after` (default: from now on), in revision order, without gaps."""
        queue: asyncio.Queue[ChangeEvent | None] = asyncio.Queue(QUEUE_BOUND)
        self._queues.add(queue)
        self._start()
        try:
            # The follower's starting point comes before this subscriber's replay, so the
            # replay (from the database) and the queue (from the follower) leave no gap between them.
            await self._ready.wait()
            last = after if after is not None else await current_revision()
            while True:  # what the database already holds past `last`, then what the follower hands on
                missed = await events_after(last)
                for event in missed:
                    last = event.revision
                    yield event
                if len(missed) < 500:
                    break
            while True:
                handed = await queue.get()
                if handed is None:
                    raise _Dropped
                if handed.revision > last:
                    last = handed.revision
                    yield handed
        finally:
            self._queues.discard(queue)

    def _start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._follow())

    async def _follow(self) -> None:
        last: int | None = None
        listener = None
        engine = engine_finder()
        poll = PG_POLL_S if isinstance(engine, PostgresEngine) else POLL_S
        try:
            # Once started it runs until the app stops: a follower that stopped with its last subscriber
            # could race the next one's start.
            while True:
                if isinstance(engine, PostgresEngine) and listener is None:
                    listener = await self._listen(engine)
                if last is not None:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=poll)
                self._wake.clear()
                try:
                    if last is None:
                        last = await current_revision()
                        self._ready.set()
                    events = await events_after(last)
                except (OSError, sqlite3.Error, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                    log.warning("catalog events: the database does not answer (%s); trying again", error)
                    await self._close(listener)
                    listener = None
                    await asyncio.sleep(poll)
                    continue
                for event in events:
                    last = event.revision
                    self._hand_on(event)
        finally:
            self._ready.clear()
            await self._close(listener)

    def _hand_on(self, event: ChangeEvent) -> None:
        for queue in list(self._queues):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                self._queues.discard(queue)
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
                queue.put_nowait(None)

    async def _listen(self, engine: PostgresEngine) -> Any:
        try:
            connection = await asyncpg.connect(**engine.config)
            await connection.add_listener(CHANNEL, lambda *_: self._wake.set())
            return connection
        except (OSError, asyncpg.PostgresError) as error:
            log.warning("catalog events: cannot LISTEN (%s); polling until it can", error)
            return None

    async def _close(self, connection: Any) -> None:
        if connection is not None:
            with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await connection.close(timeout=1)
        return None

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


@strawberry.type
class LiveQueries:
    @strawberry.field(permission_classes=[IsSignedIn], description="Bumped by every change a reader could see.")
    async def catalog_revision(self) -> int:
        return await current_revision()


@strawberry.type
class LiveSubscriptions:
    @strawberry.subscription(
        permission_classes=[IsSignedIn],
        description="Every catalog change the subscriber may see; `after` replays the events since that revision.",
    )
    async def catalog_changed(self, info: Info, after: int | None = None) -> AsyncIterator[CatalogEventType]:
        viewer = require_user(info)
        async for event in info.context.follower.events(after):
            if event.visible_to(viewer):
                yield CatalogEventType.from_event(event)
