"""The User GraphQL type."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.enums import Role
from api.users.service import AuthenticatedUser

__all__ = ["UserType"]


@strawberry.type(name="User")
class UserType:
    id: strawberry.ID
    username: str
    role: Role
    created_at: datetime

    @classmethod
    def from_user(cls, user: AuthenticatedUser) -> UserType:
        return cls(id=strawberry.ID(str(user.id)), username=user.username, role=user.role, created_at=user.created_at)
