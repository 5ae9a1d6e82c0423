"""Admin mutations on the catalog: each one a service call, with its history."""

from __future__ import annotations

import strawberry

from api.auth import IsAdmin, require_admin
from api.catalog import service
from api.catalog.queries import model_id_of
from api.catalog.types import AiModelType, CreateModelInput, UpdateModelInput, input_values
from api.context import Info

__all__ = ["CatalogMutations"]


@strawberry.type
class CatalogMutations:
    @strawberry.mutation(permission_classes=[IsAdmin], description="A new model, at version 1.")
    async def create_model(self, info: Info, input: CreateModelInput, reason: str | None = None) -> AiModelType:
        values = {"provider": input.provider.strip(), **input_values(input, nulls_are_defaults=True)}
        row = await service.create_model(values, by=require_admin(info), reason=reason)
        return AiModelType.from_row(row)

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Change the given fields; a stale expectedVersion is a CONFLICT. Edited fields join lockedFields.",
    )
    async def update_model(
        self,
        info: Info,
        id: strawberry.ID,
        input: UpdateModelInput,
        expected_version: int | None = None,
        reason: str | None = None,
    ) -> AiModelType:
        row = await service.update_model(
            model_id_of(id),
            input_values(input),
            by=require_admin(info),
            expected_version=expected_version,
            reason=reason,
        )
        return AiModelType.from_row(row)

    @strawberry.mutation(permission_classes=[IsAdmin], description="A copy under a new universalModelId.")
    async def duplicate_model(
        self,
        info: Info,
        id: strawberry.ID,
        universal_model_id: str,
        display_name: str | None = None,
        reason: str | None = None,
    ) -> AiModelType:
        row = await service.duplicate_model(
            model_id_of(id), universal_model_id, display_name=display_name, by=require_admin(info), reason=reason
        )
        return AiModelType.from_row(row)

    @strawberry.mutation(permission_classes=[IsAdmin], description="Switch a model on or off.")
    async def set_model_enabled(
        self, info: Info, id: strawberry.ID, enabled: bool, reason: str | None = None
    ) -> AiModelType:
        row = await service.set_model_enabled(model_id_of(id), enabled, by=require_admin(info), reason=reason)
        return AiModelType.from_row(row)

    @strawberry.mutation(
        permission_classes=[IsAdmin], description="Switch up to 500 models on or off: all or nothing, history each."
    )
    async def set_models_enabled(
        self, info: Info, ids: list[strawberry.ID], enabled: bool, reason: str | None = None
    ) -> list[AiModelType]:
        keys = [model_id_of(model_id, f"ids[{index}]") for index, model_id in enumerate(ids)]
        rows = await service.set_models_enabled(keys, enabled, by=require_admin(info), reason=reason)
        return [AiModelType.from_row(row) for row in rows]

    @strawberry.mutation(permission_classes=[IsAdmin], description="Archive (and disable) a model.")
    async def archive_model(self, info: Info, id: strawberry.ID, reason: str | None = None) -> AiModelType:
        row = await service.archive_model(model_id_of(id), by=require_admin(info), reason=reason)
        return AiModelType.from_row(row)

    @strawberry.mutation(permission_classes=[IsAdmin], description="ACTIVE again, disabled until enabled.")
    async def restore_model(self, info: Info, id: strawberry.ID, reason: str | None = None) -> AiModelType:
        row = await service.restore_model(model_id_of(id), by=require_admin(info), reason=reason)
        return AiModelType.from_row(row)

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Restore an earlier version's content fields (not status, enabled or default) as a new version.",
    )
    async def revert_model(
        self, info: Info, id: strawberry.ID, to_version: int, reason: str | None = None
    ) -> AiModelType:
        row = await service.revert_model(model_id_of(id), to_version, by=require_admin(info), reason=reason)
        return AiModelType.from_row(row)

    @strawberry.mutation(permission_classes=[IsAdmin], description="Make a selectable model the default.")
    async def set_default_model(self, info: Info, id: strawberry.ID) -> AiModelType:
        row = await service.set_default_model(model_id_of(id), by=require_admin(info))
        return AiModelType.from_row(row)

    @strawberry.mutation(permission_classes=[IsAdmin], description="Let sync update these fields again.")
    async def unlock_fields(self, info: Info, id: strawberry.ID, fields: list[str]) -> AiModelType:
        row = await service.unlock_fields(model_id_of(id), fields, by=require_admin(info))
        return AiModelType.from_row(row)
