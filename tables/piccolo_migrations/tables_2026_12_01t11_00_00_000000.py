"""Provider sync: sync runs, job leases, and a provider's availability back-off.

The tables are frozen copies of tables/sync.py as of this migration.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import JSON, Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check
from piccolo.table import Table

from tables.ddl import create_table_statements, drop_table_statement

ID = "2026-12-01T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "sync runs, leases, provider availability back-off"


class User(Table, tablename="users"):
    pass


class Provider(Table, tablename="providers"):
    pass


class SyncRun(Table, tablename="sync_runs"):
    provider = ForeignKey(Provider, null=False, on_delete=OnDelete.cascade, index=True)
    trigger = Varchar(length=16)
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
    name = Varchar(length=200, unique=True)
    holder = Varchar(length=100)
    expires_at = Timestamptz()


PROVIDER_COLUMNS = [
    "ALTER TABLE providers ADD COLUMN availability_failures INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE providers ADD COLUMN availability_retry_at TIMESTAMPTZ NULL",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tables", description=DESCRIPTION)

    async def create_tables():
        for table in (SyncRun, Lease):
            for statement in create_table_statements(table):
                await table._meta.db.run_ddl(statement)
        for statement in PROVIDER_COLUMNS:
            await SyncRun._meta.db.run_ddl(statement)

    async def drop_tables():
        for table in (Lease, SyncRun):
            await table._meta.db.run_ddl(drop_table_statement(table))

    manager.add_raw(create_tables)
    manager.add_raw_backwards(drop_tables)
    return manager
