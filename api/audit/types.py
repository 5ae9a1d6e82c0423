"""The AuditEntry GraphQL type: one change to a provider or a local endpoint."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from api.catalog.types import FieldChange
from api.context import Info
from api.enums import AuditAction
from api.users.types import UserType

__all__ = ["AuditEntry"]


@strawberry.type
class AuditEntry:
    id: strawberry.ID
    action: AuditAction
    changes: list[FieldChange] = strawberry.field(description='A secret shows as newValue "changed", never a value.')
    created_at: datetime
    changed_by_id: strawberry.Private[int | None]

    @strawberry.field(description="null for background jobs and the command line.")
    async def changed_by(self, info: Info) -> UserType | None:
        if self.changed_by_id is None:
            return None
        user = await info.context.loaders.user.load(self.changed_by_id)
        return UserType.from_user(user) if user else None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AuditEntry:
        return cls(
            id=strawberry.ID(str(row["id"])),
            action=AuditAction(row["action"]),
            changes=FieldChange.list_of(row["changes"]),
            created_at=row["created_at"],
            changed_by_id=row["changed_by"],
        )
