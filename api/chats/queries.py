"""Queries over chats (the caller's own) and agents (any signed-in user)."""

from __future__ import annotations

import strawberry

from api.auth import IsSignedIn, require_user
from api.chats import agents, service
from api.chats.types import AgentType, ChatType
from api.context import Info

__all__ = ["ChatQueries"]


@strawberry.type
class ChatQueries:
    @strawberry.field(
        permission_classes=[IsSignedIn],
        description="The caller's own chats, newest first; `after` is the last id of the previous page.",
    )
    async def chats(self, info: Info, first: int | None = 500, after: strawberry.ID | None = None) -> list[ChatType]:
        rows = await service.list_chats(require_user(info), first=first, after=after)
        return [ChatType.from_row(row) for row in rows]

    @strawberry.field(permission_classes=[IsSignedIn], description="One of the caller's chats; NOT_FOUND otherwise.")
    async def chat(self, info: Info, id: strawberry.ID) -> ChatType | None:
        return ChatType.from_row(await service.owned_chat(require_user(info), id))

    @strawberry.field(permission_classes=[IsSignedIn], description="Every agent, by name.")
    async def agents(self) -> list[AgentType]:
        return [AgentType.from_row(row) for row in await agents.list_agents()]

    @strawberry.field(permission_classes=[IsSignedIn], description="One agent; null when absent.")
    async def agent(self, id: strawberry.ID) -> AgentType | None:
        row = await agents.agent_by_id(id)
        return AgentType.from_row(row) if row else None
