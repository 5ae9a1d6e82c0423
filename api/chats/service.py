"""Chats' rules: the owner's alone, and on a model that is selectable for them (and one of their agent's)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from piccolo.query.methods.select import Select

from api.catalog.lookup import MAX_PAGE, page_size
from api.catalog.rules import is_selectable, visible_where
from api.chats.inputs import clean_text, row_key
from api.database import for_update, is_postgres, transaction
from api.endpoints.usage import note_model_use
from api.errors import NotFound, ValidationFailed
from api.users.service import AuthenticatedUser
from tables.catalog import AiModel
from tables.chats import MAX_CHAT_TITLE, Agent, AgentModel, Chat

__all__ = [
    "create_chat",
    "delete_chat",
    "legacy_model",
    "list_chats",
    "owned_chat",
    "set_chat_model",
]


def _now() -> datetime:
    return datetime.now(UTC)


def legacy_model(row: dict[str, Any]) -> str | None:
    """What an unmapped chat stored for its model ("openai/gpt-4o-mini"); None once it references a row."""
    if row["ai_model"] is not None:
        return None
    parts = [part.strip() for part in (row["model_provider"], row["model_name"]) if part and part.strip()]
    return "/".join(parts) or None


def _key_share(query: Select[Any]) -> Select[Any]:
    """The select, keeping its rows from being deleted until the transaction ends.

    KEY SHARE, not FOR UPDATE: chats on one popular model must not queue behind
    each other. SQLite's transaction() already holds its single write lock.
    """
    return query.lock_rows("KEY SHARE") if is_postgres() else query


async def _chat_row(chat_id: int) -> dict[str, Any]:
    row = await Chat.select().where(Chat.id == chat_id).first()
    assert row is not None
    return row


async def owned_chat(owner: AuthenticatedUser, chat_id: str) -> dict[str, Any]:
    """The owner's chat; NOT_FOUND for anyone else's, as for one that does not exist."""
    key = row_key("id", chat_id)
    row = await Chat.select().where(Chat.id == key, Chat.owner == owner.id).first() if key is not None else None
    if row is None:
        raise NotFound(f"no chat with id {chat_id[:20]}")
    return row


async def list_chats(
    owner: AuthenticatedUser, *, first: int | None = MAX_PAGE, after: str | None = None
) -> list[dict[str, Any]]:
    """The owner's chats, newest first; `after` is the id of the last chat of the previous page."""
    query = Chat.select().where(Chat.owner == owner.id)
    if after is not None:
        before = row_key("after", after)
        if before is not None:
            query = query.where(Chat.id < before)
    return await query.order_by(Chat.id, ascending=False).limit(page_size(first, default=MAX_PAGE))


async def _agent_id(agent_id: str) -> int:
    """The agent a chat is to use, kept until the transaction ends; VALIDATION_FAILED when there is none."""
    key = row_key("agentId", agent_id)
    if key is not None and await _key_share(Agent.select(Agent.id).where(Agent.id == key)).first():
        return key
    raise ValidationFailed.one("agentId", f"no agent with id {agent_id[:20]}")


async def _selectable_model(viewer: AuthenticatedUser, ai_model_id: str, agent_id: int | None) -> int:
    """The model a chat is to use: one the viewer may select now, and one of the agent's when it has one."""
    key = row_key("aiModelId", ai_model_id)
    query = AiModel.select(AiModel.id, AiModel.status, AiModel.enabled, AiModel.is_available)
    row = await _key_share(query.where(AiModel.id == key, visible_where(viewer))).first() if key is not None else None
    if row is None:
        raise ValidationFailed.one("aiModelId", f"no model with id {ai_model_id[:20]}")
    if not is_selectable(row):
        raise ValidationFailed.one("aiModelId", "the model is not selectable now (archived, disabled or unavailable)")
    if agent_id is not None and not await AgentModel.exists().where(
        AgentModel.agent == agent_id, AgentModel.ai_model == row["id"]
    ):
        raise ValidationFailed.one("aiModelId", "not one of the agent's models")
    return int(row["id"])


async def create_chat(
    owner: AuthenticatedUser, *, ai_model_id: str, title: str | None = None, agent_id: str | None = None
) -> dict[str, Any]:
    """A new chat of the owner's on a model selectable for them (one of the agent's, when given)."""
    clean_title = clean_text("title", title, MAX_CHAT_TITLE, required=False)
    async with transaction():
        agent = await _agent_id(agent_id) if agent_id is not None else None
        model = await _selectable_model(owner, ai_model_id, agent)
        inserted = await Chat.insert(Chat(owner=owner.id, title=clean_title, ai_model=model, agent=agent)).returning(
            Chat.id
        )
    await note_model_use(model)
    return await _chat_row(inserted[0]["id"])


async def set_chat_model(owner: AuthenticatedUser, chat_id: str, ai_model_id: str) -> dict[str, Any]:
    """Move the owner's chat to another model, selectable for them (and one of the chat's agent's)."""
    key = row_key("chatId", chat_id)
    async with transaction():
        query = Chat.select(Chat.id, Chat.agent).where(Chat.id == key, Chat.owner == owner.id)
        chat = await for_update(query).first() if key is not None else None
        if chat is None:
            raise NotFound(f"no chat with id {chat_id[:20]}")
        model = await _selectable_model(owner, ai_model_id, chat["agent"])
        await Chat.update({Chat.ai_model: model, Chat.updated_at: _now()}).where(Chat.id == chat["id"])
    await note_model_use(model)
    return await _chat_row(chat["id"])


async def delete_chat(owner: AuthenticatedUser, chat_id: str) -> None:
    """Delete the owner's chat; NOT_FOUND for anyone else's."""
    key = row_key("id", chat_id)
    if key is None or not await Chat.delete().where(Chat.id == key, Chat.owner == owner.id).returning(Chat.id):
        raise NotFound(f"no chat with id {chat_id[:20]}")
