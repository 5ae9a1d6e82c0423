"""Mutations on chats (any signed-in user, on their own) and agents (ADMIN)."""

from __future__ import annotations

import strawberry

from api.auth import IsAdmin, IsSignedIn, require_user
from api.chats import agents, service
from api.chats.types import AgentInput, AgentType, ChatType
from api.context import Info

__all__ = ["ChatMutations"]


@strawberry.type
class ChatMutations:
    @strawberry.mutation(
        permission_classes=[IsSignedIn],
        description="A chat on a model selectable for the caller (one of the agent's, when given).",
    )
    async def create_chat(
        self, info: Info, ai_model_id: strawberry.ID, title: str | None = None, agent_id: strawberry.ID | None = None
    ) -> ChatType:
        row = await service.create_chat(require_user(info), ai_model_id=ai_model_id, title=title, agent_id=agent_id)
        return ChatType.from_row(row)

    @strawberry.mutation(permission_classes=[IsSignedIn], description="Move one of the caller's chats to a model.")
    async def set_chat_model(self, info: Info, chat_id: strawberry.ID, ai_model_id: strawberry.ID) -> ChatType:
        return ChatType.from_row(await service.set_chat_model(require_user(info), chat_id, ai_model_id))

    @strawberry.mutation(permission_classes=[IsSignedIn], description="Delete one of the caller's chats.")
    async def delete_chat(self, info: Info, id: strawberry.ID) -> bool:
        await service.delete_chat(require_user(info), id)
        return True

    @strawberry.mutation(permission_classes=[IsAdmin], description="A new agent offering the given models.")
    async def create_agent(self, info: Info, input: AgentInput) -> AgentType:
        return AgentType.from_row(await agents.create_agent(input.to_changes(), by=require_user(info)))

    @strawberry.mutation(permission_classes=[IsAdmin], description="Replace an agent's name and models.")
    async def update_agent(self, info: Info, id: strawberry.ID, input: AgentInput) -> AgentType:
        return AgentType.from_row(await agents.update_agent(id, input.to_changes(), by=require_user(info)))

    @strawberry.mutation(permission_classes=[IsAdmin], description="Delete an agent; its chats keep their models.")
    async def delete_agent(self, id: strawberry.ID) -> bool:
        await agents.delete_agent(id)
        return True
