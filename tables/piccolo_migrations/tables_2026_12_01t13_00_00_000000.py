"""Prices over time and usage: model_prices (the dated series) and usage_records.

The tables are frozen copies of tables/prices.py and tables/usage.py as of this
migration. The prices a model had on ai_models become its first model_prices
row (effective_from null: in force since the model was added). PostgreSQL then
drops the three columns; SQLite cannot drop a column a CHECK constraint names,
so there they stay, emptied and unused.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    Numeric,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

from tables.ddl import create_table_statements, drop_table_statement

ID = "2026-12-01T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "model prices over time, usage records"


class User(Table, tablename="users"):
    pass


class AiModel(Table, tablename="ai_models"):
    pass


class Chat(Table, tablename="chats"):
    pass


class ModelPrice(Table, tablename="model_prices"):
    model = ForeignKey(AiModel, null=False, on_delete=OnDelete.cascade)
    effective_from = Timestamptz(null=True, default=None)
    input_price = Numeric(digits=(20, 12), null=True, default=None)
    output_price = Numeric(digits=(20, 12), null=True, default=None)
    cached_input_price = Numeric(digits=(20, 12), null=True, default=None)
    cache_write_price = Numeric(digits=(20, 12), null=True, default=None)
    tiers = JSON(default=[])
    windows = JSON(default=[])
    version = Integer()
    created_at = Timestamptz(default=TimestamptzNow())

    one_price_per_moment = Unique(["model", "effective_from"])
    prices_in_bounds = Check(
        "(input_price IS NULL OR (input_price >= 0 AND input_price <= 10000))"
        " AND (output_price IS NULL OR (output_price >= 0 AND output_price <= 10000))"
        " AND (cached_input_price IS NULL OR (cached_input_price >= 0 AND cached_input_price <= 10000))"
        " AND (cache_write_price IS NULL OR (cache_write_price >= 0 AND cache_write_price <= 10000))"
    )


class UsageRecord(Table, tablename="usage_records"):
    user = ForeignKey(User, null=False, on_delete=OnDelete.cascade)
    ai_model = ForeignKey(AiModel, null=True, default=None, on_delete=OnDelete.set_null, index=True)
    universal_model_id = Varchar(length=256)
    provider = Varchar(length=64)
    chat = ForeignKey(Chat, null=True, default=None, on_delete=OnDelete.set_null, index=True)
    endpoint = Integer(null=True, default=None, index=True)
    request_id = Varchar(length=200)
    input_tokens = Integer(default=0)
    output_tokens = Integer(default=0)
    cached_input_tokens = Integer(default=0)
    cache_write_tokens = Integer(default=0)
    latency_ms = Integer(null=True, default=None)
    success = Boolean(default=True)
    error_code = Varchar(length=100, null=True, default=None)
    cost = BigInt(null=True, default=None)
    price = ForeignKey(ModelPrice, null=True, default=None, on_delete=OnDelete.set_null)
    tier = Integer(null=True, default=None)
    window = JSON(null=True, default=None)
    occurred_at = Timestamptz()
    recorded_at = Timestamptz(default=TimestamptzNow())

    one_record_per_request = Unique(["user", "request_id"])
    tokens_in_bounds = Check(
        "input_tokens >= 0 AND output_tokens >= 0 AND cached_input_tokens >= 0 AND cache_write_tokens >= 0"
    )
    latency_in_bounds = Check("latency_ms IS NULL OR latency_ms >= 0")


TABLES = [ModelPrice, UsageRecord]

INDEXES = [
    # Reports read a time range: this index holds what a report sums, so a month is read from it alone.
    'CREATE INDEX usage_records_occurred_at ON "usage_records" ("occurred_at", "latency_ms", "success",'
    ' "input_tokens", "output_tokens", "cached_input_tokens", "cache_write_tokens", "cost")',
    # A member's reports and records: their own, by time.
    'CREATE INDEX usage_records_user_occurred_at ON "usage_records" ("user", "occurred_at", "id")',
]

COPY_PRICES = (
    'INSERT INTO "model_prices" (model, effective_from, input_price, output_price, cached_input_price,'
    " cache_write_price, tiers, windows, version, created_at)"
    " SELECT id, NULL, input_price, output_price, cached_input_price, NULL, '[]', '[]', version, created_at"
    ' FROM "ai_models" WHERE input_price IS NOT NULL OR output_price IS NOT NULL OR cached_input_price IS NOT NULL'
)
OLD_COLUMNS = ("input_price", "output_price", "cached_input_price")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tables", description=DESCRIPTION)

    # run_ddl, not raw(): raw() reads "{}" in a default as a placeholder.
    async def create_tables():
        db = ModelPrice._meta.db
        for table in TABLES:
            for statement in create_table_statements(table):
                await db.run_ddl(statement)
        for statement in INDEXES:
            await db.run_ddl(statement)
        await db.run_ddl(COPY_PRICES)
        if isinstance(db, PostgresEngine):
            for column in OLD_COLUMNS:
                await db.run_ddl(f'ALTER TABLE "ai_models" DROP COLUMN {column}')
        else:
            await db.run_ddl('UPDATE "ai_models" SET ' + ", ".join(f"{column} = NULL" for column in OLD_COLUMNS))

    async def drop_tables():
        db = ModelPrice._meta.db
        if isinstance(db, PostgresEngine):
            for column in OLD_COLUMNS:
                await db.run_ddl(f'ALTER TABLE "ai_models" ADD COLUMN {column} NUMERIC(20, 12) NULL')
        # the price in force now goes back onto the model
        for column in OLD_COLUMNS:
            await db.run_ddl(
                f'UPDATE "ai_models" SET {column} = (SELECT p.{column} FROM "model_prices" p'
                " WHERE p.model = ai_models.id AND (p.effective_from IS NULL OR p.effective_from <= CURRENT_TIMESTAMP)"
                " ORDER BY p.effective_from DESC NULLS LAST LIMIT 1)"
            )
        for table in reversed(TABLES):
            await db.run_ddl(drop_table_statement(table))

    manager.add_raw(create_tables)
    manager.add_raw_backwards(drop_tables)
    return manager
