"""A usage record's endpoint references local_endpoints (ON DELETE SET NULL), on PostgreSQL.

The two tables arrived in parallel migrations. SQLite cannot add a constraint to
an existing table; there a deleted endpoint's id stays on its old records, and
reads join on it (a record's `endpoint` shows null when the endpoint is gone).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

ID = "2026-12-01T15:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "usage records reference local endpoints"


class UsageRecord(Table, tablename="usage_records"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tables", description=DESCRIPTION)

    async def add_foreign_key():
        if isinstance(UsageRecord._meta.db, PostgresEngine):
            await UsageRecord._meta.db.run_ddl(
                "UPDATE usage_records SET endpoint = NULL"
                " WHERE endpoint IS NOT NULL AND endpoint NOT IN (SELECT id FROM local_endpoints)"
            )
            await UsageRecord._meta.db.run_ddl(
                "ALTER TABLE usage_records ADD CONSTRAINT usage_records_endpoint_fkey"
                " FOREIGN KEY (endpoint) REFERENCES local_endpoints (id) ON DELETE SET NULL"
            )

    async def drop_foreign_key():
        if isinstance(UsageRecord._meta.db, PostgresEngine):
            await UsageRecord._meta.db.run_ddl(
                "ALTER TABLE usage_records DROP CONSTRAINT IF EXISTS usage_records_endpoint_fkey"
            )

    manager.add_raw(add_foreign_key)
    manager.add_raw_backwards(drop_foreign_key)
    return manager
