"""Admin mutations on providers."""

from __future__ import annotations

import strawberry

from api.auth import IsAdmin, require_admin
from api.context import Info
from api.providers import service
from api.providers.types import ProviderInput, ProviderType

__all__ = ["ProviderMutations"]


@strawberry.type
class ProviderMutations:
    @strawberry.mutation(
        permission_classes=[IsAdmin], description="Create a provider, or change the given fields of an existing one."
    )
    async def upsert_provider(self, info: Info, input: ProviderInput) -> ProviderType:
        changes = service.ProviderChanges(
            key=input.key.strip(),
            kind=input.kind,
            display_name=input.display_name,
            base_url=input.base_url,
            api_key=input.api_key,
            enabled=input.enabled,
        )
        row = await service.upsert_provider(changes, secrets=info.context.secrets, by=require_admin(info))
        return ProviderType.from_row(row)
