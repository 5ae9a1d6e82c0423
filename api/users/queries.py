"""Queries about the caller."""

from __future__ import annotations

import strawberry

from api.auth import IsSignedIn, require_user
from api.context import Info
from api.users.types import UserType

__all__ = ["UserQueries"]


@strawberry.type
class UserQueries:
    @strawberry.field(permission_classes=[IsSignedIn], description="The signed-in caller.")
    def me(self, info: Info) -> UserType:
        return UserType.from_user(require_user(info))
