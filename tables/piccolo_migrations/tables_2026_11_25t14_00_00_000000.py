"""Chats, referencing their model by foreign key.

The table is a frozen copy of tables/chats.py as of this migration.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from tables.ddl import create_table_statements, drop_table_statement

ID = "2026-11-25T14:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "chats"


class User(Table, tablename="users"):
    pass


class AiModel(Table, tablename="ai_models"):
    pass


class Chat(Table, tablename="chats"):
    owner = ForeignKey(User, null=False, on_delete=OnDelete.cascade, index=True)
    title = Varchar(length=200, null=True, default=None)
    ai_model = ForeignKey(AiModel, null=True, default=None, on_delete=OnDelete.set_null, index=True)
    model_provider = Varchar(length=64, null=True, default=None)
    model_name = Varchar(length=256, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tables", description=DESCRIPTION)

    async def create_tables():
        for statement in create_table_statements(Chat):
            await Chat._meta.db.run_ddl(statement)

    async def drop_tables():
        await Chat._meta.db.run_ddl(drop_table_statement(Chat))

    manager.add_raw(create_tables)
    manager.add_raw_backwards(drop_tables)
    return manager
