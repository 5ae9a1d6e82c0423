"""syncDiff, syncRuns, applySync and syncProvider: ADMIN only."""

from __future__ import annotations

import strawberry

from api.auth import IsAdmin, require_admin
from api.catalog.lookup import page_size
from api.context import Info
from api.sync import service
from api.sync.types import ApplySyncInput, ApplySyncResult, ModelSyncDiff, SyncRunType

__all__ = ["SyncMutations", "SyncQueries"]


@strawberry.type
class SyncQueries:
    @strawberry.field(
        permission_classes=[IsAdmin],
        description="Call the provider and compare its listing with the catalog; changes no model, records a run.",
    )
    async def sync_diff(self, info: Info, provider: str) -> ModelSyncDiff:
        diff, run = await service.sync_diff(provider, secrets=info.context.secrets, by=require_admin(info))
        return ModelSyncDiff.from_diff(diff, run)

    @strawberry.field(permission_classes=[IsAdmin], description="Sync runs, newest first.")
    async def sync_runs(self, provider: str | None = None, first: int | None = 20) -> list[SyncRunType]:
        runs = await service.sync_runs(provider, page_size(first, default=20))
        return [SyncRunType.from_row(run) for run in runs]


@strawberry.type
class SyncMutations:
    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Apply a reviewed diff (or some of its entries); STALE_DIFF when the catalog moved since.",
    )
    async def apply_sync(self, info: Info, input: ApplySyncInput) -> ApplySyncResult:
        applied = await service.apply_sync(input.to_reviewed(), by=require_admin(info))
        return ApplySyncResult.from_applied(applied)

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Diff and apply in one step, for automation; what a guard flags is left for review.",
    )
    async def sync_provider(self, info: Info, provider: str, reason: str | None = None) -> ApplySyncResult:
        applied = await service.sync_provider(
            provider, secrets=info.context.secrets, by=require_admin(info), reason=reason
        )
        return ApplySyncResult.from_applied(applied)
