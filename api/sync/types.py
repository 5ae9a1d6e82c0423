"""The sync GraphQL types: a diff as an admin reviews it, what applying it did, and the runs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import strawberry

from api.catalog.fields import EFFECTIVE_FROM, check_values, values_of
from api.catalog.types import AiModelType, FieldChange, Pricing, PricingInput, UpdateModelInput, input_values
from api.context import Info
from api.enums import ModelStatus, SyncTrigger
from api.errors import FieldError, ValidationFailed
from api.sync.diff import Candidate, ProviderDiff
from api.sync.service import AppliedSync, ReviewedSync
from api.users.types import UserType, load_user

__all__ = ["ApplySyncInput", "ApplySyncResult", "ModelSyncDiff", "ModelUpdate", "NormalizedModelType", "SyncRunType"]


@strawberry.type(name="NormalizedModel")
class NormalizedModelType:
    universal_model_id: str
    model_id: str
    display_name: str
    description: str | None
    context_window: int | None
    max_output_tokens: int | None
    supports_tools: bool
    supports_vision: bool
    capabilities: list[str]
    pricing: Pricing | None
    status: ModelStatus

    @classmethod
    def from_values(cls, universal_model_id: str, model_id: str, values: Mapping[str, Any]) -> NormalizedModelType:
        return cls(
            universal_model_id=universal_model_id,
            model_id=model_id,
            display_name=values.get("displayName") or model_id,
            description=values.get("description"),
            context_window=values.get("contextWindow"),
            max_output_tokens=values.get("maxOutputTokens"),
            supports_tools=bool(values.get("supportsTools")),
            supports_vision=bool(values.get("supportsVision")),
            capabilities=list(values.get("capabilities") or []),
            pricing=Pricing.from_values(values),
            status=ModelStatus(values.get("status") or ModelStatus.ACTIVE),
        )

    @classmethod
    def from_row(cls, row: Mapping[str, Any], changed: Mapping[str, Any] | None = None) -> NormalizedModelType:
        """The row as it is, or with the changed values over it."""
        values = {**values_of(row), **(changed or {})}
        return cls.from_values(values["universalModelId"], values["modelId"], values)

    @classmethod
    def from_candidate(cls, found: Candidate) -> NormalizedModelType:
        return cls.from_values(found.universal_model_id, found.model_id, {**found.values, "status": found.status})


@strawberry.type
class ModelUpdate:
    existing: NormalizedModelType
    updated: NormalizedModelType
    changes: list[FieldChange]


@strawberry.type
class ModelSyncDiff:
    provider: str
    fingerprint: str = strawberry.field(description="Digest of the provider's rows in the catalog when it was made.")
    fetched_at: datetime
    new_models: list[NormalizedModelType]
    updated_models: list[ModelUpdate]
    archived_models: list[NormalizedModelType]
    restored_models: list[NormalizedModelType] = strawberry.field(
        description="Archived by an earlier sync, listed by the provider again."
    )
    unchanged_count: int
    warnings: list[str] = strawberry.field(description="Guards: no models, mass archive, a price moved over 10x.")
    run: SyncRunType = strawberry.field(description="The run this diff was recorded as.")

    @classmethod
    def from_diff(cls, diff: ProviderDiff, run: dict[str, Any]) -> ModelSyncDiff:
        return cls(
            provider=diff.provider,
            fingerprint=diff.fingerprint,
            fetched_at=run["finished_at"],
            new_models=[NormalizedModelType.from_candidate(found) for found in diff.new],
            updated_models=[
                ModelUpdate(
                    existing=NormalizedModelType.from_row(update.row),
                    updated=NormalizedModelType.from_row(update.row, update.values),
                    changes=FieldChange.list_of(update.changes),
                )
                for update in diff.updated
            ],
            archived_models=[NormalizedModelType.from_row(row) for row in diff.archived],
            restored_models=[NormalizedModelType.from_candidate(found) for _, found in diff.restored],
            unchanged_count=diff.unchanged,
            warnings=list(diff.warnings),
            run=SyncRunType.from_row(run),
        )


@strawberry.type(name="SyncRun", description="One row per sync, diff-only or applied, manual or scheduled.")
class SyncRunType:
    id: strawberry.ID
    provider: str
    trigger: SyncTrigger
    started_at: datetime
    finished_at: datetime | None
    applied: bool
    created: int
    updated: int
    archived: int
    restored: int
    unchanged: int
    warnings: list[str]
    error: str | None
    started_by_id: strawberry.Private[int | None]

    @strawberry.field(description="null for scheduled runs.")
    async def started_by(self, info: Info) -> UserType | None:
        return await load_user(info, self.started_by_id)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> SyncRunType:
        return cls(
            id=strawberry.ID(str(row["id"])),
            provider=row["provider_key"],
            trigger=SyncTrigger(row["trigger"]),
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            applied=row["applied"],
            created=row["created"],
            updated=row["updated"],
            archived=row["archived"],
            restored=row["restored"],
            unchanged=row["unchanged"],
            warnings=list(row["warnings"]),
            error=row["error"],
            started_by_id=row["started_by"],
        )


@strawberry.type
class ApplySyncResult:
    provider: str
    created: int
    updated: int
    archived: int
    restored: int
    models: list[AiModelType] = strawberry.field(description="The rows created, updated, archived or restored.")
    run: SyncRunType

    @classmethod
    def from_applied(cls, applied: AppliedSync) -> ApplySyncResult:
        return cls(
            provider=applied.provider,
            created=len(applied.created),
            updated=len(applied.updated),
            archived=len(applied.archived),
            restored=len(applied.restored),
            models=[AiModelType.from_row(row) for row in applied.models],
            run=SyncRunType.from_row(applied.run),
        )


@strawberry.input
class NormalizedModelInput:
    universal_model_id: str
    model_id: str
    display_name: str
    description: str | None = None
    context_window: int | None = None
    max_output_tokens: int | None = None
    supports_tools: bool
    supports_vision: bool
    capabilities: list[str]
    pricing: PricingInput | None = None
    status: ModelStatus

    def to_candidate(self, field: str) -> Candidate:
        """The entry in the catalog's terms; VALIDATION_FAILED naming `field` and the value's name."""
        values = {
            "displayName": self.display_name,
            "description": self.description,
            "contextWindow": self.context_window,
            "maxOutputTokens": self.max_output_tokens,
            "supportsTools": self.supports_tools,
            "supportsVision": self.supports_vision,
            "capabilities": self.capabilities,
        }
        if self.pricing is not None:
            values.update(input_values(UpdateModelInput(pricing=self.pricing)))
            values.pop(EFFECTIVE_FROM, None)  # a provider's price is the one in force now
        clean, problems = check_values(
            {"modelId": self.model_id, "universalModelId": self.universal_model_id, **values}
        )
        if problems:
            raise ValidationFailed([FieldError(f"{field}.{p.field}", p.message) for p in problems])
        del clean["modelId"], clean["universalModelId"]
        return Candidate(self.universal_model_id, self.model_id, clean, ModelStatus(self.status), {})


@strawberry.input
class ApplySyncInput:
    provider: str
    fingerprint: str = strawberry.field(description="From syncDiff; a catalog changed since then is STALE_DIFF.")
    new_models: list[NormalizedModelInput]
    updated_models: list[NormalizedModelInput] = strawberry.field(description="The `updated` side of the entries.")
    archived_models: list[str] = strawberry.field(description="universalModelIds.")
    restored_models: list[str] | None = strawberry.field(default_factory=list, description="universalModelIds.")
    reason: str | None = None

    def to_reviewed(self) -> ReviewedSync:
        return ReviewedSync(
            provider=self.provider,
            fingerprint=self.fingerprint,
            new=[model.to_candidate(f"newModels[{i}]") for i, model in enumerate(self.new_models)],
            updated=[model.to_candidate(f"updatedModels[{i}]") for i, model in enumerate(self.updated_models)],
            archived=list(self.archived_models),
            restored=list(self.restored_models or []),
            reason=self.reason,
        )
