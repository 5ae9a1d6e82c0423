"""Initial schema: users, api tokens, providers, models and their history.

The tables are frozen copies of tables/ as of this migration, so that later
changes to tables/ do not change what this migration creates.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    Numeric,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from tables.ddl import create_table_statements, drop_table_statement

ID = "2026-11-25T09:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "users, api tokens, providers, models and their history"


class User(Table, tablename="users"):
    username = Varchar(length=64, unique=True)
    role = Varchar(length=16, default="MEMBER")
    created_at = Timestamptz(default=TimestamptzNow())

    role_is_known = Check("role IN ('ADMIN', 'MEMBER')")


class ApiToken(Table, tablename="api_tokens"):
    user = ForeignKey(User, null=False, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=100)
    token_sha256 = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked = Boolean(default=False)
    revoked_at = Timestamptz(null=True, default=None)


class Provider(Table, tablename="providers"):
    key = Varchar(length=64, unique=True)
    kind = Varchar(length=32)
    display_name = Varchar(length=200)
    base_url = Varchar(length=2048, null=True, default=None)
    api_key = Text(null=True, default=None)
    enabled = Boolean(default=True)
    last_synced_at = Timestamptz(null=True, default=None)
    last_sync_error = Text(null=True, default=None)
    availability_checked_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


PRICE_DIGITS = (20, 12)


class AiModel(Table, tablename="ai_models"):
    provider = ForeignKey(Provider, null=False, on_delete=OnDelete.restrict, index=True)
    model_id = Varchar(length=256)
    universal_model_id = Varchar(length=256, unique=True)
    display_name = Varchar(length=200)
    description = Text(null=True, default=None)
    context_window = Integer(null=True, default=None)
    max_output_tokens = Integer(null=True, default=None)
    supports_tools = Boolean(default=False)
    supports_vision = Boolean(default=False)
    capabilities = JSON(default=[])
    speed_tier = Varchar(length=16, null=True, default=None)
    cost_tier = Varchar(length=16, null=True, default=None)
    input_price = Numeric(digits=PRICE_DIGITS, null=True, default=None)
    output_price = Numeric(digits=PRICE_DIGITS, null=True, default=None)
    cached_input_price = Numeric(digits=PRICE_DIGITS, null=True, default=None)
    status = Varchar(length=16, default="ACTIVE", index=True)
    enabled = Boolean(default=True, index=True)
    is_available = Boolean(default=True, index=True)
    is_default = Boolean(default=False)
    locked_fields = JSON(default=[])
    config = JSON(default={})
    owner = ForeignKey(User, null=True, default=None, on_delete=OnDelete.cascade, index=True)
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    archived_at = Timestamptz(null=True, default=None)
    archived_by_sync = Boolean(default=False)
    enabled_before_archive = Boolean(null=True, default=None)

    status_is_known = Check("status IN ('ACTIVE', 'ARCHIVED')")
    archived_is_disabled = Check("status = 'ACTIVE' OR enabled = false")
    context_window_in_bounds = Check(
        "context_window IS NULL OR (context_window >= 1 AND context_window <= 100000000)"
    )
    max_output_in_bounds = Check(
        "max_output_tokens IS NULL OR (max_output_tokens >= 1 AND max_output_tokens <= 100000000)"
    )
    prices_in_bounds = Check(
        "(input_price IS NULL OR (input_price >= 0 AND input_price <= 10000))"
        " AND (output_price IS NULL OR (output_price >= 0 AND output_price <= 10000))"
        " AND (cached_input_price IS NULL OR (cached_input_price >= 0 AND cached_input_price <= 10000))"
    )
    version_is_positive = Check("version >= 1")


class ModelHistory(Table, tablename="model_history"):
    model = ForeignKey(AiModel, null=False, on_delete=OnDelete.cascade, index=True)
    universal_model_id = Varchar(length=256, index=True)
    version = Integer()
    action = Varchar(length=16)
    changes = JSON(default=[])
    changed_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    reason = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)

    one_row_per_version = Unique(["model", "version"])


TABLES = [User, ApiToken, Provider, AiModel, ModelHistory]

EXTRA_INDEXES = [
    # At most one default model: a partial unique index, on SQLite and PostgreSQL.
    'CREATE UNIQUE INDEX ai_models_one_default ON "ai_models" ("is_default") WHERE is_default',
    'CREATE INDEX ai_models_selectable ON "ai_models" ("status", "enabled", "is_available")',
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tables", description=DESCRIPTION)

    # run_ddl, not raw(): raw() reads "{}" in a JSON default as a placeholder.
    async def create_tables():
        db = AiModel._meta.db
        for table in TABLES:
            for statement in create_table_statements(table):
                await db.run_ddl(statement)
        for statement in EXTRA_INDEXES:
            await db.run_ddl(statement)

    async def drop_tables():
        for table in reversed(TABLES):
            await AiModel._meta.db.run_ddl(drop_table_statement(table))

    manager.add_raw(create_tables)
    manager.add_raw_backwards(drop_tables)
    return manager
