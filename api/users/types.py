"""The User GraphQL type."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import strawberry

from api.enums import Role
from api.users.service import AuthenticatedUser

if TYPE_CHECKING:
    from api.context import Info

__all__ = ["UserType", "load_user"]


@strawberry.type(name="User")
class UserType:
    id: strawberry.ID
    username: str
    role: Role
    created_at: datetime

    @classmethod
    def from_user(cls, user: AuthenticatedUser) -> UserType:
        return cls(id=strawberry.ID(str(user.id)), username=user.username, role=user.role, created_at=user.created_at)


async def load_user(info: Info, user_id: int | None) -> UserType | None:
    """The user of an id, through the request's batch loader; None for no id or a deleted user."""
    if user_id is None:
        return None
    user = await info.context.loaders.user.load(user_id)
    return UserType.from_user(user) if user else None
