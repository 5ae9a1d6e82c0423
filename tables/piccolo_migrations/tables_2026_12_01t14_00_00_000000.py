"""The catalog revision, its events, and persisted queries.

The tables are frozen copies of tables/live.py as of this migration. The
revision row starts at 0; the writers insert it again if it is ever missing.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import JSON, Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check
from piccolo.table import Table

from tables.ddl import create_table_statements, drop_table_statement

ID = "2026-12-01T14:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "catalog revision, catalog events, persisted queries"


class CatalogRevision(Table, tablename="catalog_revision"):
    revision = Integer(default=0)

    one_row = Check("id = 1")


class CatalogEvent(Table, tablename="catalog_events"):
    revision = Integer(unique=True, index=True)
    kind = Varchar(length=16)
    model_ids = JSON(default=[])
    universal_model_ids = JSON(default=[])
    provider_keys = JSON(default=[])
    endpoint_ids = JSON(default=[])
    public = Boolean(default=True)
    user_ids = JSON(default=[])
    created_at = Timestamptz(default=TimestamptzNow())

    kind_is_known = Check("kind IN ('MODEL', 'PROVIDER', 'AVAILABILITY', 'ENDPOINT')")


class PersistedQuery(Table, tablename="persisted_queries"):
    sha256 = Varchar(length=64, unique=True)
    document = Text()
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


TABLES = (CatalogRevision, CatalogEvent, PersistedQuery)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tables", description=DESCRIPTION)

    async def create_tables():
        for table in TABLES:
            for statement in create_table_statements(table):
                await table._meta.db.run_ddl(statement)
        await CatalogRevision._meta.db.run_ddl("INSERT INTO catalog_revision (id, revision) VALUES (1, 0)")

    async def drop_tables():
        for table in reversed(TABLES):
            await table._meta.db.run_ddl(drop_table_statement(table))

    manager.add_raw(create_tables)
    manager.add_raw_backwards(drop_tables)
    return manager
