"""The Chat and Agent GraphQL types, and the AgentInput."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from api.auth import require_user
from api.catalog.rules import is_selectable
from api.catalog.types import AiModelType
from api.chats.agents import KEEP, AgentChanges
from api.chats.service import legacy_model
from api.context import Info

__all__ = ["AgentInput", "AgentType", "ChatType"]


async def _visible_model(info: Info, model_id: int | None) -> AiModelType | None:
    if model_id is None:
        return None
    row = await info.context.loaders.visible_model.load((model_id, require_user(info)))
    return AiModelType.from_row(row) if row else None


@strawberry.type(name="Agent", description="An assistant that offers a chosen set of models.")
class AgentType:
    id: strawberry.ID
    name: str
    description: str | None
    created_at: datetime
    updated_at: datetime
    default_model_id: strawberry.Private[int | None]

    @strawberry.field(description="Its models the caller may see, by universalModelId.")
    async def models(self, info: Info) -> list[AiModelType]:
        rows = await info.context.loaders.agent_models.load((int(self.id), require_user(info)))
        return [AiModelType.from_row(row) for row in rows]

    @strawberry.field(description="Its models that are selectable for the caller now.")
    async def selectable_models(self, info: Info) -> list[AiModelType]:
        rows = await info.context.loaders.agent_models.load((int(self.id), require_user(info)))
        return [AiModelType.from_row(row) for row in rows if is_selectable(row)]

    @strawberry.field(description="The model its chats start with; null when none is set.")
    async def default_model(self, info: Info) -> AiModelType | None:
        return await _visible_model(info, self.default_model_id)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AgentType:
        return cls(
            id=strawberry.ID(str(row["id"])),
            name=row["name"],
            description=row["description"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            default_model_id=row["default_model"],
        )


@strawberry.type(name="Chat")
class ChatType:
    id: strawberry.ID
    title: str | None
    legacy_model: str | None = strawberry.field(
        description="What the chat stored before models had rows, while it references none."
    )
    created_at: datetime
    updated_at: datetime
    model_id: strawberry.Private[int | None]
    agent_id: strawberry.Private[int | None]

    @strawberry.field(description="null when the model was deleted (an archived model stays).")
    async def model(self, info: Info) -> AiModelType | None:
        return await _visible_model(info, self.model_id)

    @strawberry.field
    async def agent(self, info: Info) -> AgentType | None:
        if self.agent_id is None:
            return None
        row = await info.context.loaders.agent.load(self.agent_id)
        return AgentType.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ChatType:
        return cls(
            id=strawberry.ID(str(row["id"])),
            title=row["title"],
            legacy_model=legacy_model(row),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            model_id=row["ai_model"],
            agent_id=row["agent"],
        )


@strawberry.input(description="An agent's name, description and models; on update, a field left out stays.")
class AgentInput:
    name: str = strawberry.field(description="1 to 200 characters, unique.")
    description: str | None = strawberry.field(default=strawberry.UNSET, description="At most 10,000 characters.")
    model_ids: list[strawberry.ID] = strawberry.field(description="Models the admin may see; at most 500.")
    default_model_id: strawberry.ID | None = strawberry.field(default=strawberry.UNSET, description="One of modelIds.")

    def to_changes(self) -> AgentChanges:
        """The plain values the service takes."""
        return AgentChanges(
            name=self.name,
            model_ids=[str(model_id) for model_id in self.model_ids],
            description=KEEP if self.description is strawberry.UNSET else self.description,
            default_model_id=KEEP if self.default_model_id is strawberry.UNSET else self.default_model_id,
        )
