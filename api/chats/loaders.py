"""Batch loads behind the chats' and agents' DataLoaders: one statement per kind of key a request asks for.

Model loads carry the viewer in the key, so a model is only ever handed to a
caller who may see it (a chat or an agent can outlive someone's access).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from api.catalog.rules import visible_where
from api.users.service import AuthenticatedUser
from tables.catalog import AiModel
from tables.chats import Agent, AgentModel, Chat

__all__ = ["agent_models", "agents_by_id", "chats_by_id", "visible_models"]

ViewerKey = tuple[int, AuthenticatedUser]


def _by_viewer(keys: list[ViewerKey]) -> dict[AuthenticatedUser, set[int]]:
    wanted: dict[AuthenticatedUser, set[int]] = defaultdict(set)
    for row_id, viewer in keys:
        wanted[viewer].add(row_id)
    return wanted


async def visible_models(keys: list[ViewerKey]) -> list[dict[str, Any] | None]:
    """For each (model id, viewer): the model row, or None when absent or not the viewer's to see."""
    found: dict[ViewerKey, dict[str, Any]] = {}
    for viewer, ids in _by_viewer(keys).items():
        rows = await AiModel.select().where(AiModel.id.is_in(list(ids)), visible_where(viewer)).output(load_json=True)
        found.update({(row["id"], viewer): row for row in rows})
    return [found.get(key) for key in keys]


async def chats_by_id(ids: list[int]) -> list[dict[str, Any] | None]:
    """The chat rows, in the order asked; None for an id that has none (callers check the owner)."""
    rows = await Chat.select().where(Chat.id.is_in(ids)) if ids else []
    by_id = {row["id"]: row for row in rows}
    return [by_id.get(chat_id) for chat_id in ids]


async def agents_by_id(ids: list[int]) -> list[dict[str, Any] | None]:
    """The agent rows, in the order asked; None for an id that has none."""
    rows = await Agent.select().where(Agent.id.is_in(ids)) if ids else []
    by_id = {row["id"]: row for row in rows}
    return [by_id.get(agent_id) for agent_id in ids]


async def agent_models(keys: list[ViewerKey]) -> list[list[dict[str, Any]]]:
    """For each (agent id, viewer): the agent's models the viewer may see, by universalModelId."""
    found: dict[ViewerKey, list[dict[str, Any]]] = defaultdict(list)
    for viewer, agent_ids in _by_viewer(keys).items():
        links = await AgentModel.select(AgentModel.agent, AgentModel.ai_model).where(
            AgentModel.agent.is_in(list(agent_ids))
        )
        if not links:
            continue
        agents_of: dict[int, list[int]] = defaultdict(list)
        for link in links:
            agents_of[link["ai_model"]].append(link["agent"])
        models = (
            await AiModel.select()
            .where(AiModel.id.is_in(list(agents_of)), visible_where(viewer))
            .order_by(AiModel.universal_model_id)
            .output(load_json=True)
        )
        for model in models:
            for agent_id in agents_of[model["id"]]:
                found[(agent_id, viewer)].append(model)
    return [found[key] for key in keys]
