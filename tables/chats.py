"""Chats, which reference the model they talk to by foreign key."""

from __future__ import annotations

from piccolo.columns import ForeignKey, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from tables.catalog import AiModel
from tables.users import User

__all__ = ["Chat"]


class Chat(Table, tablename="chats"):
    id: Serial  # piccolo's primary key, declared for type checkers
    owner = ForeignKey(User, null=False, on_delete=OnDelete.cascade, index=True)
    title = Varchar(length=200, null=True, default=None)
    # SET NULL: a deleted model leaves its chats readable, with no model.
    ai_model = ForeignKey(AiModel, null=True, default=None, on_delete=OnDelete.set_null, index=True)
    # What chats stored before models had rows, kept to backfill ai_model.
    model_provider = Varchar(length=64, null=True, default=None)
    model_name = Varchar(length=256, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
