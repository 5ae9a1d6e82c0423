"""Agents, the models they offer, and a chat's agent; indexes for the legacy backfill.

The tables are frozen copies of tables/chats.py as of this migration. The
`agent` column joins `chats` with ALTER TABLE ... ADD COLUMN, which SQLite and
PostgreSQL both take with a REFERENCES clause when the default is null.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from tables.ddl import create_table_statements, drop_table_statement

ID = "2026-12-01T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "agents, their models, a chat's agent"


class User(Table, tablename="users"):
    pass


class AiModel(Table, tablename="ai_models"):
    pass


class Agent(Table, tablename="agents"):
    name = Varchar(length=200, unique=True)
    description = Text(null=True, default=None)
    default_model = ForeignKey(AiModel, null=True, default=None, on_delete=OnDelete.set_null, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    name_in_bounds = Check("length(name) >= 1 AND length(name) <= 200")
    description_in_bounds = Check("description IS NULL OR length(description) <= 10000")


class AgentModel(Table, tablename="agent_models"):
    agent = ForeignKey(Agent, null=False, on_delete=OnDelete.cascade)
    ai_model = ForeignKey(AiModel, null=False, on_delete=OnDelete.cascade, index=True)

    one_link_per_pair = Unique(["agent", "ai_model"])


class Chat(Table, tablename="chats"):
    owner = ForeignKey(User, null=False, on_delete=OnDelete.cascade, index=True)
    title = Varchar(length=200, null=True, default=None)
    ai_model = ForeignKey(AiModel, null=True, default=None, on_delete=OnDelete.set_null, index=True)
    model_provider = Varchar(length=64, null=True, default=None)
    model_name = Varchar(length=256, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    agent = ForeignKey(Agent, null=True, default=None, on_delete=OnDelete.set_null, index=True)


TABLES = [Agent, AgentModel]

CHAT_STATEMENTS = [
    f'ALTER TABLE "chats" ADD COLUMN {Chat.agent.ddl}',
    # Deleting an agent sets its chats' agent to null: without an index that is a full scan.
    'CREATE INDEX chats_agent ON "chats" ("agent")',
    # The chats the backfill still has to look at, in id order; the index shrinks
    # as chats are mapped, so a re-run reads only what is left.
    'CREATE INDEX chats_legacy_unmapped ON "chats" ("id")'
    " WHERE ai_model IS NULL AND (model_provider IS NOT NULL OR model_name IS NOT NULL)",
]

CHAT_STATEMENTS_BACKWARDS = [
    "DROP INDEX IF EXISTS chats_legacy_unmapped",
    "DROP INDEX IF EXISTS chats_agent",
    'ALTER TABLE "chats" DROP COLUMN "agent"',
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tables", description=DESCRIPTION)

    # run_ddl, not raw(): raw() reads "{}" in a default as a placeholder.
    async def create_tables():
        db = Agent._meta.db
        for table in TABLES:
            for statement in create_table_statements(table):
                await db.run_ddl(statement)
        for statement in CHAT_STATEMENTS:
            await db.run_ddl(statement)

    async def drop_tables():
        db = Agent._meta.db
        for statement in CHAT_STATEMENTS_BACKWARDS:
            await db.run_ddl(statement)
        for table in reversed(TABLES):
            await db.run_ddl(drop_table_statement(table))

    manager.add_raw(create_tables)
    manager.add_raw_backwards(drop_tables)
    return manager
