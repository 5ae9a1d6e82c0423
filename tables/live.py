"""The catalog revision, its events, and the persisted queries GET requests name by hash."""

from __future__ import annotations

from piccolo.columns import JSON, Boolean, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check
from piccolo.table import Table

__all__ = ["CatalogEvent", "CatalogRevision", "PersistedQuery"]


class CatalogRevision(Table, tablename="catalog_revision"):
    """One row (id 1): the catalog's revision, bumped with UPDATE ... RETURNING inside each writing transaction.

    The row lock makes writers take revisions in commit order, so a follower
    reading "revision > last" can never skip one committed late.
    """

    id: Serial  # piccolo's primary key, declared for type checkers
    revision = Integer(default=0)

    one_row = Check("id = 1")


class CatalogEvent(Table, tablename="catalog_events"):
    """What one change touched, and who may hear of it: everyone (public) or the listed users."""

    id: Serial  # piccolo's primary key, declared for type checkers
    revision = Integer(unique=True, index=True)  # the catalog revision after the change
    kind = Varchar(length=16)
    model_ids = JSON(default=[])
    universal_model_ids = JSON(default=[])
    provider_keys = JSON(default=[])
    endpoint_ids = JSON(default=[])
    public = Boolean(default=True)
    user_ids = JSON(default=[])  # a private change's owner and the users it is shared with
    created_at = Timestamptz(default=TimestamptzNow())

    kind_is_known = Check("kind IN ('MODEL', 'PROVIDER', 'AVAILABILITY', 'ENDPOINT')")


class PersistedQuery(Table, tablename="persisted_queries"):
    """A document a client registered under its sha256 (Apollo's automatic persisted queries)."""

    id: Serial  # piccolo's primary key, declared for type checkers
    sha256 = Varchar(length=64, unique=True)
    document = Text()
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
