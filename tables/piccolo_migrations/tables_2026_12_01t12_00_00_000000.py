"""Local endpoints, their shares, the audit log, and a private model's endpoint.

The tables are frozen copies of tables/endpoints.py as of this migration. The
`endpoint` column joins `ai_models` with ALTER TABLE ... ADD COLUMN, which SQLite
and PostgreSQL both take with a REFERENCES clause when the default is null.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import JSON, Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.table import Table

from tables.ddl import create_table_statements, drop_table_statement

ID = "2026-12-01T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "local endpoints, endpoint shares, audit log, a private model's endpoint"


class User(Table, tablename="users"):
    pass


class LocalEndpoint(Table, tablename="local_endpoints"):
    owner = ForeignKey(User, null=False, on_delete=OnDelete.cascade)
    name = Varchar(length=200)
    base_url = Varchar(length=2048)
    endpoint_type = Varchar(length=32)
    api_key = Text(null=True, default=None)
    is_active = Boolean(default=True, index=True)
    health_status = Varchar(length=16, default="UNKNOWN")
    last_health_check = Timestamptz(null=True, default=None)
    last_response_time_ms = Integer(null=True, default=None)
    last_error = Text(null=True, default=None)
    available_models = JSON(default=[])
    last_model_discovery = Timestamptz(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)
    shared_with_everyone = Boolean(default=False)
    next_health_check_at = Timestamptz(null=True, default=None)
    next_discovery_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    one_name_per_owner = Unique(["owner", "name"])
    type_is_known = Check("endpoint_type IN ('OLLAMA', 'OPENAI_COMPATIBLE', 'CUSTOM')")
    health_is_known = Check("health_status IN ('HEALTHY', 'UNHEALTHY', 'UNKNOWN')")
    response_time_is_positive = Check("last_response_time_ms IS NULL OR last_response_time_ms >= 0")


class EndpointShare(Table, tablename="endpoint_shares"):
    endpoint = ForeignKey(LocalEndpoint, null=False, on_delete=OnDelete.cascade)
    user = ForeignKey(User, null=False, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())

    one_share_per_pair = Unique(["endpoint", "user"])


class AuditLog(Table, tablename="audit_log"):
    entity_kind = Varchar(length=16)
    entity_id = Integer()
    action = Varchar(length=16)
    changes = JSON(default=[])
    changed_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())

    entity_is_known = Check("entity_kind IN ('PROVIDER', 'ENDPOINT')")
    action_is_known = Check(
        "action IN ('CREATED', 'UPDATED', 'DELETED', 'KEY_CHANGED', 'HEALTH_CHANGED', 'SHARED', 'DISCOVERED')"
    )


class AiModel(Table, tablename="ai_models"):
    endpoint = ForeignKey(LocalEndpoint, null=True, default=None, on_delete=OnDelete.set_null, index=True)


TABLES = [LocalEndpoint, EndpointShare, AuditLog]

STATEMENTS = [
    f'ALTER TABLE "ai_models" ADD COLUMN {AiModel.endpoint.ddl}',
    'CREATE INDEX ai_models_endpoint ON "ai_models" ("endpoint")',
    # Each entity's history, newest first.
    'CREATE INDEX audit_log_entity ON "audit_log" ("entity_kind", "entity_id", "id")',
    # The endpoints shared with everyone, which the visibility rule reads on every catalog query.
    'CREATE INDEX local_endpoints_shared_with_everyone ON "local_endpoints" ("id") WHERE shared_with_everyone',
]

STATEMENTS_BACKWARDS = [
    "DROP INDEX IF EXISTS local_endpoints_shared_with_everyone",
    "DROP INDEX IF EXISTS audit_log_entity",
    "DROP INDEX IF EXISTS ai_models_endpoint",
    'ALTER TABLE "ai_models" DROP COLUMN "endpoint"',
]

# SQLite hands out the largest rowid + 1 again once that row is deleted; an endpoint id names its models'
# universalModelIds, which outlive the endpoint, so SQLite must never reuse one.
_SQLITE_KEY = '"id" INTEGER PRIMARY KEY NOT NULL'
_SQLITE_KEY_NEVER_REUSED = '"id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL'


def _statements(table, db):
    statements = create_table_statements(table)
    if table is LocalEndpoint and isinstance(db, SQLiteEngine):
        assert _SQLITE_KEY in statements[0]
        statements[0] = statements[0].replace(_SQLITE_KEY, _SQLITE_KEY_NEVER_REUSED, 1)
    return statements


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tables", description=DESCRIPTION)

    # run_ddl, not raw(): raw() reads "{}" in a default as a placeholder.
    async def create_tables():
        db = LocalEndpoint._meta.db
        for table in TABLES:
            for statement in _statements(table, db):
                await db.run_ddl(statement)
        for statement in STATEMENTS:
            await db.run_ddl(statement)

    async def drop_tables():
        db = LocalEndpoint._meta.db
        for statement in STATEMENTS_BACKWARDS:
            await db.run_ddl(statement)
        for table in reversed(TABLES):
            await db.run_ddl(drop_table_statement(table))

    manager.add_raw(create_tables)
    manager.add_raw_backwards(drop_tables)
    return manager
