"""The catalog revision and its events: every write a reader could see calls record_change in its transaction.

The revision is one counter row bumped with INSERT ... ON CONFLICT DO UPDATE
... RETURNING. On PostgreSQL the row stays locked until the writer commits, so
the next writer gets the next number only after this one is visible: revisions
become visible in order, and a follower reading "revision > last" never misses
one (a serial id would not do: an id taken first may commit last). On SQLite
transaction() already lets one writer in at a time.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from piccolo.engine import engine_finder

from api.database import is_postgres
from tables.endpoints import EndpointShare, LocalEndpoint
from tables.live import CatalogEvent, CatalogRevision

if TYPE_CHECKING:
    from api.users.service import AuthenticatedUser

__all__ = [
    "CHANNEL",
    "PUBLIC",
    "Audience",
    "ChangeEvent",
    "EventKind",
    "current_revision",
    "endpoint_audience",
    "events_after",
    "record_change",
    "record_model_rows",
]

CHANNEL = "modelcatalog_catalog_events"  # PostgreSQL's NOTIFY channel; the payload is the revision


class EventKind(enum.Enum):
    MODEL = "MODEL"
    PROVIDER = "PROVIDER"
    AVAILABILITY = "AVAILABILITY"
    ENDPOINT = "ENDPOINT"


@dataclass(frozen=True)
class Audience:
    """Who may hear of a change: everyone, or a private model's owner and the users its endpoint is shared with."""

    public: bool = True
    user_ids: frozenset[int] = frozenset()

    @classmethod
    def private(cls, owner_id: int, shared_with: Iterable[int] = ()) -> Audience:
        return cls(False, frozenset({owner_id, *shared_with}))


PUBLIC = Audience()


@dataclass(frozen=True)
class ChangeEvent:
    """One catalog_events row, as followers deliver it."""

    revision: int
    kind: EventKind
    at: datetime
    model_ids: tuple[int, ...] = ()
    universal_model_ids: tuple[str, ...] = ()
    provider_keys: tuple[str, ...] = ()
    endpoint_ids: tuple[int, ...] = ()
    audience: Audience = field(default=PUBLIC)

    def visible_to(self, user: AuthenticatedUser) -> bool:
        """Whether the user may hear of it; admins too never hear of another user's private models."""
        return self.audience.public or user.id in self.audience.user_ids


BUMP = (
    "INSERT INTO catalog_revision (id, revision) VALUES (1, 1)"
    " ON CONFLICT (id) DO UPDATE SET revision = catalog_revision.revision + 1 RETURNING revision"
)


async def record_change(
    kind: EventKind,
    *,
    model_ids: Iterable[int] = (),
    universal_model_ids: Iterable[str] = (),
    provider_keys: Iterable[str] = (),
    endpoint_ids: Iterable[int] = (),
    audience: Audience = PUBLIC,
) -> int:
    """Bump the revision and write its event, in the caller's transaction; the new revision."""
    engine = engine_finder()
    if engine is None or not engine.transaction_exists():
        raise RuntimeError("record_change belongs inside the transaction of the change it records")
    [row] = await CatalogRevision.raw(BUMP)
    revision = int(row["revision"])
    await CatalogEvent.insert(
        CatalogEvent(
            revision=revision,
            kind=kind.value,
            model_ids=sorted(set(model_ids)),
            universal_model_ids=sorted(set(universal_model_ids)),
            provider_keys=sorted(set(provider_keys)),
            endpoint_ids=sorted(set(endpoint_ids)),
            public=audience.public,
            user_ids=sorted(audience.user_ids),
        )
    )
    if is_postgres():
        # Delivered at commit, to every instance listening: they wake and read the events.
        await CatalogRevision.raw("SELECT pg_notify({}, {})", CHANNEL, str(revision))
    return revision


async def record_model_rows(rows: Sequence[Mapping[str, Any]], kind: EventKind = EventKind.MODEL) -> None:
    """One event for the public rows, one per endpoint for private ones: its owner and who it is shared with hear."""
    groups: dict[tuple[int | None, int | None], list[Mapping[str, Any]]] = {}
    for row in rows:
        owner = row.get("owner")
        groups.setdefault((owner, row.get("endpoint") if owner is not None else None), []).append(row)
    for (owner, endpoint), members in groups.items():
        audience = PUBLIC if owner is None else await endpoint_audience(owner, endpoint)
        await record_change(
            kind,
            model_ids=(row["id"] for row in members),
            universal_model_ids=(row["universal_model_id"] for row in members if "universal_model_id" in row),
            endpoint_ids=[endpoint] if endpoint is not None else (),
            audience=audience,
        )


async def endpoint_audience(owner: int, endpoint: int | None, also: Iterable[int] = ()) -> Audience:
    """Who may hear of an endpoint's models: everyone when shared with everyone, else its owner and its shares."""
    if endpoint is None:
        return Audience.private(owner, also)
    row = await LocalEndpoint.select(LocalEndpoint.shared_with_everyone).where(LocalEndpoint.id == endpoint).first()
    if row is not None and row["shared_with_everyone"]:
        return PUBLIC
    shares = await EndpointShare.select(EndpointShare.user).where(EndpointShare.endpoint == endpoint)
    return Audience.private(owner, [*also, *(share["user"] for share in shares)])


async def current_revision() -> int:
    """The catalog's revision: one single-row read."""
    rows = await CatalogRevision.select(CatalogRevision.revision).where(CatalogRevision.id == 1)
    return int(rows[0]["revision"]) if rows else 0


def _ids(value: Any) -> list[Any]:
    return json.loads(value) if isinstance(value, str) else list(value or [])


def _event(row: Mapping[str, Any]) -> ChangeEvent:
    at = row["created_at"]
    return ChangeEvent(
        revision=row["revision"],
        kind=EventKind(row["kind"]),
        at=at if at.tzinfo else at.replace(tzinfo=UTC),
        model_ids=tuple(_ids(row["model_ids"])),
        universal_model_ids=tuple(_ids(row["universal_model_ids"])),
        provider_keys=tuple(_ids(row["provider_keys"])),
        endpoint_ids=tuple(_ids(row["endpoint_ids"])),
        audience=Audience(bool(row["public"]), frozenset(_ids(row["user_ids"]))),
    )


async def events_after(revision: int, limit: int = 500) -> list[ChangeEvent]:
    """The events after `revision`, oldest first."""
    rows = (
        await CatalogEvent.select().where(CatalogEvent.revision > revision).order_by(CatalogEvent.revision).limit(limit)
    )
    return [_event(row) for row in rows]
