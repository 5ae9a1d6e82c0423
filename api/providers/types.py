"""The Provider GraphQL type and its input."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from api.auth import IsAdmin
from api.catalog.lookup import page_size
from api.context import Info
from api.enums import ProviderKind
from api.providers.rules import api_key_source
from domain.choices import AuditEntity

if TYPE_CHECKING:
    from api.audit.types import AuditEntry

__all__ = ["ProviderInput", "ProviderType"]


@strawberry.type(name="Provider")
class ProviderType:
    id: strawberry.ID
    key: str = strawberry.field(description='Stable slug, e.g. "openai"; the prefix of universalModelId.')
    kind: ProviderKind
    display_name: str
    base_url: str | None = strawberry.field(description="null: the adapter's public default.")
    has_api_key: bool = strawberry.field(
        description="Whether it has a key, stored or from the environment; the key itself is never returned."
    )
    api_key_source: str | None = strawberry.field(
        description='"STORED", "ENVIRONMENT" (OPENAI_API_KEY, ...) or null: where the key it uses comes from.'
    )
    enabled: bool
    last_synced_at: datetime | None
    last_sync_error: str | None
    availability_checked_at: datetime | None = strawberry.field(
        description="When it was last asked whether its models can be called."
    )
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="Public models of this provider in the catalog.")
    async def model_count(self, info: Info) -> int:
        return await info.context.loaders.model_count.load(int(self.id))

    @strawberry.field(
        permission_classes=[IsAdmin], description='ADMIN; newest first; a key change shows as "changed", never a value.'
    )
    async def history(
        self, info: Info, first: int | None = 20
    ) -> list[Annotated[AuditEntry, strawberry.lazy("api.audit.types")]]:
        from api.audit.types import AuditEntry  # the audit types import the catalog's, which import this module

        rows = await info.context.loaders.audit.load((AuditEntity.PROVIDER, int(self.id), page_size(first, default=20)))
        return [AuditEntry.from_row(row) for row in rows]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ProviderType:
        return cls(
            id=strawberry.ID(str(row["id"])),
            key=row["key"],
            kind=ProviderKind(row["kind"]),
            display_name=row["display_name"],
            base_url=row["base_url"],
            has_api_key=api_key_source(row) is not None,
            api_key_source=api_key_source(row),
            enabled=row["enabled"],
            last_synced_at=row["last_synced_at"],
            last_sync_error=row["last_sync_error"],
            availability_checked_at=row["availability_checked_at"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


@strawberry.input
class ProviderInput:
    key: str
    kind: ProviderKind
    display_name: str | None = None
    base_url: str | None = strawberry.field(
        default=None, description="An empty string returns to the adapter's default."
    )
    api_key: str | None = strawberry.field(default=None, description="Stored encrypted; an empty string clears it.")
    enabled: bool | None = None
