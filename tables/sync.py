"""Provider sync runs, and the leases that let one instance at a time do a job."""

from __future__ import annotations

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check
from piccolo.table import Table

from domain.choices import SyncTrigger
from tables.catalog import Provider
from tables.users import User

__all__ = ["Lease", "SyncRun"]


class SyncRun(Table, tablename="sync_runs"):
    """One row per sync, diff-only or applied, manual or scheduled: what the robot did, for admins to read."""

    id: Serial  # piccolo's primary key, declared for type checkers
    provider = ForeignKey(Provider, null=False, on_delete=OnDelete.cascade, index=True)
    trigger = Varchar(length=16, choices=SyncTrigger)
    started_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    started_at = Timestamptz(default=TimestamptzNow(), index=True)
    finished_at = Timestamptz(null=True, default=None)
    applied = Boolean(default=False)
    created = Integer(default=0)
    updated = Integer(default=0)
    archived = Integer(default=0)
    restored = Integer(default=0)
    unchanged = Integer(default=0)
    warnings = JSON(default=[])
    error = Text(null=True, default=None)

    trigger_is_known = Check("trigger IN ('MANUAL', 'SCHEDULED')")


class Lease(Table, tablename="leases"):
    """A job one instance at a time may run (a provider's availability refresh, the scheduled sync) until expires_at."""

    id: Serial  # piccolo's primary key, declared for type checkers
    name = Varchar(length=200, unique=True)
    holder = Varchar(length=100)
    expires_at = Timestamptz()
