"""Chats and agents, which reference the models they offer by foreign key."""

from __future__ import annotations

from piccolo.columns import ForeignKey, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from tables.catalog import AiModel
from tables.users import User

__all__ = ["MAX_AGENT_DESCRIPTION", "MAX_AGENT_NAME", "MAX_CHAT_TITLE", "Agent", "AgentModel", "Chat"]

MAX_AGENT_NAME = 200
MAX_AGENT_DESCRIPTION = 10_000
MAX_CHAT_TITLE = 200


class Agent(Table, tablename="agents"):
    """An assistant that offers a chosen set of models."""

    id: Serial  # piccolo's primary key, declared for type checkers
    name = Varchar(length=MAX_AGENT_NAME, unique=True)
    description = Text(null=True, default=None)
    # SET NULL: a deleted model leaves the agent without a default, not broken.
    default_model = ForeignKey(AiModel, null=True, default=None, on_delete=OnDelete.set_null, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    name_in_bounds = Check(f"length(name) >= 1 AND length(name) <= {MAX_AGENT_NAME}")
    description_in_bounds = Check(f"description IS NULL OR length(description) <= {MAX_AGENT_DESCRIPTION}")


class AgentModel(Table, tablename="agent_models"):
    """One model an agent offers."""

    id: Serial  # piccolo's primary key, declared for type checkers
    # The unique pair below indexes `agent` (its first column) already.
    agent = ForeignKey(Agent, null=False, on_delete=OnDelete.cascade)
    ai_model = ForeignKey(AiModel, null=False, on_delete=OnDelete.cascade, index=True)

    one_link_per_pair = Unique(["agent", "ai_model"])


class Chat(Table, tablename="chats"):
    id: Serial  # piccolo's primary key, declared for type checkers
    owner = ForeignKey(User, null=False, on_delete=OnDelete.cascade, index=True)
    title = Varchar(length=MAX_CHAT_TITLE, null=True, default=None)
    # SET NULL: a deleted model leaves its chats readable, with no model.
    ai_model = ForeignKey(AiModel, null=True, default=None, on_delete=OnDelete.set_null, index=True)
    # What chats stored before models had rows, kept to backfill ai_model.
    model_provider = Varchar(length=64, null=True, default=None)
    model_name = Varchar(length=256, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    agent = ForeignKey(Agent, null=True, default=None, on_delete=OnDelete.set_null, index=True)
