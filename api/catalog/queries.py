"""Queries over the catalog: any signed-in user."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from api.auth import IsSignedIn, require_user
from api.catalog import lookup, service
from api.catalog.types import AiModelConnection, AiModelType, CostEstimateType, HistoryConnection, ModelFilterInput
from api.context import Info
from api.errors import NotFound, ValidationFailed
from api.sync import availability

__all__ = ["CatalogQueries", "model_id_of"]


def model_id_of(id: strawberry.ID, field: str = "id") -> int:
    """The integer key an ID names; VALIDATION_FAILED for anything else, NOT_FOUND beyond any key."""
    text = str(id)
    if not text.isascii() or not text.isdigit():
        raise ValidationFailed.one(field, "a model id: digits, as the API gave it")
    if not lookup.is_row_id(text):
        raise NotFound(f"no model with id {text[:20]}")
    return int(text)


@strawberry.type
class CatalogQueries:
    @strawberry.field(permission_classes=[IsSignedIn], description="Models matching the filter, by universalModelId.")
    async def models(
        self, info: Info, filter: ModelFilterInput | None = None, first: int | None = 50, after: str | None = None
    ) -> AiModelConnection:
        model_filter = filter.to_filter() if filter else lookup.ModelFilter()
        page = await lookup.find_models(model_filter, require_user(info), first=first, after=after)
        return AiModelConnection.from_page(page)

    @strawberry.field(
        permission_classes=[IsSignedIn], description="One model by id or universalModelId; null when absent."
    )
    async def model(
        self, info: Info, id: strawberry.ID | None = None, universal_model_id: str | None = None
    ) -> AiModelType | None:
        if (id is None) == (universal_model_id is None):
            raise ValidationFailed.one("id", "give either id or universalModelId")
        viewer = require_user(info)
        if id is not None:
            try:
                key = model_id_of(id)
            except NotFound:
                return None  # beyond any key: absent
            row = await lookup.model_by_id(key, viewer)
        else:
            universal = lookup.text_argument("universalModelId", str(universal_model_id))
            row = await lookup.model_by_universal_id(universal, viewer)
        return AiModelType.from_row(row) if row else None

    @strawberry.field(
        permission_classes=[IsSignedIn], description="The model chats start with; null on an empty catalog."
    )
    async def default_model(self) -> AiModelType | None:
        row = await lookup.default_model()
        return AiModelType.from_row(row) if row else None

    @strawberry.field(
        permission_classes=[IsSignedIn],
        description="What a user may pick now: ACTIVE, enabled and available, by universalModelId.",
    )
    async def selectable_models(
        self, info: Info, refresh: bool | None = True, filter: ModelFilterInput | None = None
    ) -> list[AiModelType]:
        if refresh is not False:
            # Waits at most 250 ms: a slow provider answers from its last known state.
            await availability.refresh_stale(info.context.secrets, info.context.settings.availability_ttl)
        rows = await lookup.selectable_models(require_user(info), filter.to_filter() if filter else None)
        return [AiModelType.from_row(row) for row in rows]

    @strawberry.field(permission_classes=[IsSignedIn], description="A model's changes, newest first.")
    async def model_history(
        self, info: Info, model_id: strawberry.ID, first: int | None = 50, after: str | None = None
    ) -> HistoryConnection:
        key = model_id_of(model_id, "modelId")
        if await lookup.model_by_id(key, require_user(info)) is None:
            raise NotFound(f"no model with id {key}")
        return HistoryConnection.from_page(await lookup.model_history(key, first=first, after=after))

    @strawberry.field(permission_classes=[IsSignedIn], description="Every model's changes, newest first.")
    async def catalog_changes(
        self, info: Info, since: datetime | None = None, first: int | None = 50, after: str | None = None
    ) -> HistoryConnection:
        if since is not None:
            try:
                since = (since if since.tzinfo else since.replace(tzinfo=UTC)).astimezone(UTC)
            except OverflowError:
                raise ValidationFailed.one("since", "a date between the years 1 and 9999") from None
        page = await lookup.catalog_changes(require_user(info), since=since, first=first, after=after)
        return HistoryConnection.from_page(page)

    @strawberry.field(
        permission_classes=[IsSignedIn],
        description="What the tokens cost at the price in force at `at` (default now), in USD.",
    )
    async def estimate_cost(
        self,
        info: Info,
        model_id: strawberry.ID,
        input_tokens: int,
        output_tokens: int,
        cached_input_tokens: int | None = 0,
        cache_write_tokens: int | None = 0,
        at: datetime | None = None,
    ) -> CostEstimateType:
        key = model_id_of(model_id, "modelId")
        estimate = await service.estimate_cost(
            key,
            input_tokens,
            output_tokens,
            viewer=require_user(info),
            cached_input_tokens=cached_input_tokens or 0,
            cache_write_tokens=cache_write_tokens or 0,
            at=at,
        )
        return CostEstimateType.from_estimate(estimate)
