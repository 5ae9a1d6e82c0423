"""Queries over providers."""

from __future__ import annotations

import strawberry

from api.auth import IsSignedIn
from api.providers import service
from api.providers.types import ProviderType

__all__ = ["ProviderQueries"]


@strawberry.type
class ProviderQueries:
    @strawberry.field(permission_classes=[IsSignedIn], description="Every provider, by key.")
    async def providers(self) -> list[ProviderType]:
        return [ProviderType.from_row(row) for row in await service.list_providers()]
