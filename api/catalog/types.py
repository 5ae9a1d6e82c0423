"""The catalog's GraphQL types and inputs."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.utils.str_converters import to_camel_case

from api.catalog import lookup
from api.catalog.price_types import PriceTierType, PriceWindowType, Pricing, PricingInput, pricing_values
from api.catalog.rules import is_selectable
from api.catalog.service import CostEstimate, utc_moment
from api.context import Info
from api.enums import CostTier, HistoryAction, ModelStatus, SpeedTier
from api.providers.types import ProviderType
from api.users.types import UserType, load_user

if TYPE_CHECKING:
    from api.endpoints.types import LocalEndpointType

__all__ = [
    "AiModelConnection",
    "AiModelType",
    "CostEstimateType",
    "CreateModelInput",
    "FieldChange",
    "HistoryConnection",
    "ModelFilterInput",
    "ModelHistoryEntry",
    "PageInfo",
    "Pricing",
    "PricingInput",
    "UpdateModelInput",
    "input_values",
]


@strawberry.type
class FieldChange:
    field: str = strawberry.field(description='The GraphQL field name, e.g. "pricing.inputPerMillion".')
    old_value: JSON | None
    new_value: JSON | None

    @classmethod
    def list_of(cls, changes: Iterable[Mapping[str, Any]]) -> list[FieldChange]:
        """The changes as history and the audit store them: {field, oldValue, newValue}."""
        return [cls(field=c["field"], old_value=c["oldValue"], new_value=c["newValue"]) for c in changes]


def _loaded(value: Any) -> Any:
    # Raw SQL (the windowed history load) hands JSON and timestamps back as text on SQLite.
    return json.loads(value) if isinstance(value, str) else value


def _timestamp(value: Any) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


@strawberry.type
class ModelHistoryEntry:
    id: strawberry.ID
    model_id: strawberry.ID = strawberry.field(description="The AiModel id.")
    universal_model_id: str
    version: int = strawberry.field(description="The model's version after this change.")
    action: HistoryAction
    changes: list[FieldChange]
    reason: str | None
    created_at: datetime
    changed_by_id: strawberry.Private[int | None]

    @strawberry.field(description="null for changes made by sync jobs or the command line.")
    async def changed_by(self, info: Info) -> UserType | None:
        return await load_user(info, self.changed_by_id)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ModelHistoryEntry:
        return cls(
            id=strawberry.ID(str(row["id"])),
            model_id=strawberry.ID(str(row["model"])),
            universal_model_id=row["universal_model_id"],
            version=row["version"],
            action=HistoryAction(row["action"]),
            changes=FieldChange.list_of(_loaded(row["changes"])),
            reason=row["reason"],
            created_at=_timestamp(row["created_at"]),
            changed_by_id=row["changed_by"],
        )


@strawberry.type(name="AiModel")
class AiModelType:
    id: strawberry.ID
    universal_model_id: str = strawberry.field(description='"<provider key>:<modelId>", unique.')
    model_id: str = strawberry.field(description="The provider's own id, used in API calls.")
    display_name: str
    description: str | None
    context_window: int | None
    max_output_tokens: int | None
    supports_tools: bool
    supports_vision: bool
    capabilities: list[str] = strawberry.field(
        description='Lower-case tags: "tools", "vision", "thinking", "json", ...'
    )
    speed_tier: SpeedTier | None
    cost_tier: CostTier | None
    status: ModelStatus = strawberry.field(description="The provider's lifecycle; managed by sync.")
    enabled: bool = strawberry.field(description="The admin's switch; an ARCHIVED model cannot be enabled.")
    is_available: bool = strawberry.field(description="Runtime availability, refreshed from providers.")
    selectable: bool = strawberry.field(description="status ACTIVE and enabled and isAvailable.")
    is_default: bool
    locked_fields: list[str] = strawberry.field(description="Fields a person edited; sync never overwrites them.")
    version: int = strawberry.field(description="Starts at 1, +1 on every change.")
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None
    provider_id: strawberry.Private[int]
    owner_id: strawberry.Private[int | None]
    endpoint_id: strawberry.Private[int | None]

    @strawberry.field(description="null for public models; the endpoint owner's for a model found on a local endpoint.")
    async def owner(self, info: Info) -> UserType | None:
        if self.owner_id is None:
            return None
        user = await info.context.loaders.user.load(self.owner_id)
        return UserType.from_user(user) if user else None

    @strawberry.field(description="The local endpoint a private model was discovered on.")
    async def endpoint(self, info: Info) -> Annotated[LocalEndpointType, strawberry.lazy("api.endpoints.types")] | None:
        from api.endpoints.types import LocalEndpointType  # the endpoint types import this module

        viewer = info.context.user
        if self.endpoint_id is None or viewer is None:
            return None
        row = await info.context.loaders.visible_endpoint.load((self.endpoint_id, viewer))
        return LocalEndpointType.from_row(row, viewer) if row else None

    @strawberry.field
    async def provider(self, info: Info) -> ProviderType:
        row = await info.context.loaders.provider.load(self.provider_id)
        assert row is not None  # the foreign key is restrictive: a model's provider exists
        return ProviderType.from_row(row)

    @strawberry.field(description="Newest first; at most 500.")
    async def history(self, info: Info, first: int | None = 20) -> list[ModelHistoryEntry]:
        rows = await info.context.loaders.history.load((int(self.id), lookup.page_size(first, default=20)))
        return [ModelHistoryEntry.from_row(row) for row in rows]

    @strawberry.field(description="Chats that reference this model.")
    async def chat_count(self, info: Info) -> int:
        return await info.context.loaders.chat_count.load(int(self.id))

    @strawberry.field(description="The price in force now (US dollars per million tokens); null when none is.")
    async def pricing(self, info: Info) -> Pricing | None:
        return Pricing.from_price(await info.context.loaders.pricing_now.load(int(self.id)))

    @strawberry.field(description="Every price the model has had, newest effectiveFrom first, scheduled ones included.")
    async def price_history(self, info: Info, first: int | None = 20) -> list[Pricing]:
        key = (int(self.id), lookup.page_size(first, default=20))
        return [Pricing.of_row(price) for price in await info.context.loaders.price_history.load(key)]

    @strawberry.field(description="The price in force at that moment; null when it had none.")
    async def pricing_at(self, info: Info, at: datetime) -> Pricing | None:
        moment = utc_moment("at", at)
        return Pricing.from_price(await info.context.loaders.pricing_at.load((int(self.id), moment)))

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AiModelType:
        return cls(
            id=strawberry.ID(str(row["id"])),
            universal_model_id=row["universal_model_id"],
            model_id=row["model_id"],
            display_name=row["display_name"],
            description=row["description"],
            context_window=row["context_window"],
            max_output_tokens=row["max_output_tokens"],
            supports_tools=row["supports_tools"],
            supports_vision=row["supports_vision"],
            capabilities=list(row["capabilities"]),
            speed_tier=SpeedTier(row["speed_tier"]) if row["speed_tier"] else None,
            cost_tier=CostTier(row["cost_tier"]) if row["cost_tier"] else None,
            status=ModelStatus(row["status"]),
            enabled=row["enabled"],
            is_available=row["is_available"],
            selectable=is_selectable(row),
            is_default=row["is_default"],
            locked_fields=list(row["locked_fields"]),
            version=row["version"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            archived_at=row["archived_at"],
            provider_id=row["provider"],
            owner_id=row["owner"],
            endpoint_id=row["endpoint"],
        )


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class AiModelConnection:
    nodes: list[AiModelType]
    total_count: int
    page_info: PageInfo

    @classmethod
    def from_page(cls, page: lookup.Page[dict[str, Any]]) -> AiModelConnection:
        return cls(
            nodes=[AiModelType.from_row(row) for row in page.rows],
            total_count=page.total_count,
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        )


@strawberry.type
class HistoryConnection:
    nodes: list[ModelHistoryEntry]
    total_count: int
    page_info: PageInfo

    @classmethod
    def from_page(cls, page: lookup.Page[dict[str, Any]]) -> HistoryConnection:
        return cls(
            nodes=[ModelHistoryEntry.from_row(row) for row in page.rows],
            total_count=page.total_count,
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        )


@strawberry.type(name="CostEstimate")
class CostEstimateType:
    model: AiModelType
    input_tokens: int
    output_tokens: int
    input_cost: Decimal
    output_cost: Decimal
    total_cost: Decimal
    currency: str = strawberry.field(description='"USD".')
    cached_input_tokens: int
    cache_write_tokens: int
    cached_input_cost: Decimal = strawberry.field(description="At cachedInputPerMillion, else the input price.")
    cache_write_cost: Decimal = strawberry.field(description="At cacheWritePerMillion, else the input price.")
    priced_at: datetime = strawberry.field(description="The moment whose price was used.")
    tier: PriceTierType | None = strawberry.field(
        description="The tier that applied; null for a flat price or a prompt below the first tier."
    )
    window: PriceWindowType | None = strawberry.field(
        description="The discount window that applied; null outside every window."
    )
    pricing: Pricing | None = strawberry.field(description="The price that was used.")

    @classmethod
    def from_estimate(cls, estimate: CostEstimate) -> CostEstimateType:
        cost = estimate.cost
        return cls(
            model=AiModelType.from_row(estimate.model),
            input_tokens=estimate.input_tokens,
            output_tokens=estimate.output_tokens,
            input_cost=cost.input_cost,
            output_cost=cost.output_cost,
            total_cost=cost.total,
            currency="USD",
            cached_input_tokens=estimate.cached_input_tokens,
            cache_write_tokens=estimate.cache_write_tokens,
            cached_input_cost=cost.cached_input_cost,
            cache_write_cost=cost.cache_write_cost,
            priced_at=estimate.priced_at,
            tier=PriceTierType.from_json(cost.tier) if cost.tier else None,
            window=PriceWindowType.from_json(cost.window) if cost.window else None,
            pricing=Pricing.from_price(estimate.price),
        )


@strawberry.input(name="ModelFilter")
class ModelFilterInput:
    provider: str | None = strawberry.field(default=None, description="A provider key.")
    status: ModelStatus | None = None
    enabled: bool | None = None
    is_available: bool | None = None
    selectable: bool | None = None
    supports_tools: bool | None = None
    supports_vision: bool | None = None
    capability: str | None = None
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive substring of displayName, universalModelId or description."
    )
    has_chats: bool | None = strawberry.field(
        default=None, description="true: models that chats still reference (to plan a migration off an archived model)."
    )
    min_context_window: int | None = strawberry.field(
        default=None, description="Models whose context window holds at least this many tokens."
    )

    def to_filter(self) -> lookup.ModelFilter:
        return lookup.ModelFilter(**vars(self))  # the same fields, by the same names


@strawberry.input
class CreateModelInput:
    provider: str = strawberry.field(description="An existing provider key.")
    model_id: str
    universal_model_id: str | None = strawberry.field(
        default=strawberry.UNSET, description='Default "<provider>:<modelId>".'
    )
    display_name: str
    description: str | None = strawberry.UNSET
    context_window: int | None = strawberry.UNSET
    max_output_tokens: int | None = strawberry.UNSET
    supports_tools: bool | None = strawberry.UNSET
    supports_vision: bool | None = strawberry.UNSET
    capabilities: list[str] | None = strawberry.UNSET
    speed_tier: SpeedTier | None = strawberry.UNSET
    cost_tier: CostTier | None = strawberry.UNSET
    pricing: PricingInput | None = strawberry.UNSET
    enabled: bool | None = strawberry.UNSET


@strawberry.input(description="Every field optional; an omitted field is left as it is, null clears it.")
class UpdateModelInput:
    display_name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    context_window: int | None = strawberry.UNSET
    max_output_tokens: int | None = strawberry.UNSET
    supports_tools: bool | None = strawberry.UNSET
    supports_vision: bool | None = strawberry.UNSET
    capabilities: list[str] | None = strawberry.UNSET
    speed_tier: SpeedTier | None = strawberry.UNSET
    cost_tier: CostTier | None = strawberry.UNSET
    pricing: PricingInput | None = strawberry.UNSET
    enabled: bool | None = strawberry.UNSET


def input_values(given: CreateModelInput | UpdateModelInput, *, nulls_are_defaults: bool = False) -> dict[str, Any]:
    """The fields a client sent, keyed by field name; `pricing: null` clears every price.

    On create a null means "the default", as if the field were omitted.
    """
    values: dict[str, Any] = {}
    for name, value in vars(given).items():
        if value is strawberry.UNSET or (value is None and nulls_are_defaults):
            continue
        if name == "pricing":
            values.update(pricing_values(value))
        else:
            values[to_camel_case(name)] = value
    return values
