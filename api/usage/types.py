"""The usage GraphQL types: records, reports and their buckets, and the input a chat back end sends."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types.arguments import InputContext
from strawberry.utils.str_converters import to_camel_case

from api.auth import require_user
from api.catalog.types import AiModelType
from api.chats.types import ChatType
from api.context import Info
from api.usage.records import UsageEntry
from api.usage.reports import Bucket, Report, UsageGroupBy, record_cursor
from api.users.types import UserType
from tables.usage import COST_SCALE

if TYPE_CHECKING:
    from api.endpoints.types import LocalEndpointType

__all__ = ["UsageBucketType", "UsageInput", "UsageRecordType", "UsageReportType"]

strawberry.enum(UsageGroupBy)


@strawberry.type(name="UsageRecord")
class UsageRecordType:
    id: strawberry.ID
    request_id: str = strawberry.field(description="The caller's idempotency key, unique per recording user.")
    universal_model_id: str
    input_tokens: int = strawberry.field(description="Uncached input.")
    output_tokens: int
    cached_input_tokens: int
    cache_write_tokens: int
    latency_ms: int | None
    success: bool
    error_code: str | None
    cost: Decimal | None = strawberry.field(
        description="Priced once, when recorded, at the price in force at occurredAt; null when unpriced."
    )
    tier_min_prompt_tokens: int | None = strawberry.field(description="The minPromptTokens of the tier that applied.")
    endpoint_id: strawberry.ID | None = strawberry.field(description="The local endpoint the model was found on.")
    occurred_at: datetime
    recorded_at: datetime
    cursor: str = strawberry.field(description="Pass as usageRecords(after:) for the records after this one.")
    model_id: strawberry.Private[int | None]
    user_id: strawberry.Private[int]
    chat_id: strawberry.Private[int | None]

    @strawberry.field(description="null when the model was deleted.")
    async def model(self, info: Info) -> AiModelType | None:
        if self.model_id is None:
            return None
        row = await info.context.loaders.visible_model.load((self.model_id, require_user(info)))
        return AiModelType.from_row(row) if row else None

    @strawberry.field
    async def user(self, info: Info) -> UserType:
        user = await info.context.loaders.user.load(self.user_id)
        assert user is not None  # the foreign key cascades: a record's user exists
        return UserType.from_user(user)

    @strawberry.field(description="The local endpoint the model was found on, when the caller may see it.")
    async def endpoint(self, info: Info) -> Annotated[LocalEndpointType, strawberry.lazy("api.endpoints.types")] | None:
        from api.endpoints.types import LocalEndpointType  # the endpoint types import the catalog's, which import this

        viewer = require_user(info)
        if self.endpoint_id is None:
            return None
        row = await info.context.loaders.visible_endpoint.load((int(self.endpoint_id), viewer))
        return LocalEndpointType.from_row(row, viewer) if row else None

    @strawberry.field(description="The caller's own chat; null for anyone else's, or when it was deleted.")
    async def chat(self, info: Info) -> ChatType | None:
        viewer = require_user(info)
        if self.chat_id is None or viewer.id != self.user_id:
            return None
        row = await info.context.loaders.chat.load(self.chat_id)
        return ChatType.from_row(row) if row is not None and row["owner"] == viewer.id else None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> UsageRecordType:
        cost = row["cost"]
        return cls(
            id=strawberry.ID(str(row["id"])),
            request_id=row["request_id"],
            universal_model_id=row["universal_model_id"],
            input_tokens=row["input_tokens"],
            output_tokens=row["output_tokens"],
            cached_input_tokens=row["cached_input_tokens"],
            cache_write_tokens=row["cache_write_tokens"],
            latency_ms=row["latency_ms"],
            success=bool(row["success"]),
            error_code=row["error_code"],
            cost=None if cost is None else Decimal(cost).scaleb(-COST_SCALE),
            tier_min_prompt_tokens=row["tier"],
            endpoint_id=strawberry.ID(str(row["endpoint"])) if row["endpoint"] is not None else None,
            occurred_at=row["occurred_at"],
            recorded_at=row["recorded_at"],
            cursor=record_cursor(row),
            model_id=row["ai_model"],
            user_id=row["user"],
            chat_id=row["chat"],
        )


@strawberry.type(name="UsageBucket")
class UsageBucketType:
    key: str = strawberry.field(
        description="MODEL: universalModelId; PROVIDER: key; USER: username; DAY: YYYY-MM-DD (UTC); ENDPOINT: id."
    )
    requests: int
    errors: int
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int
    cache_write_tokens: int
    cost: Decimal
    unpriced_requests: int = strawberry.field(description="Requests whose model had no price then (not in cost).")
    p50_latency_ms: int | None
    p95_latency_ms: int | None

    @classmethod
    def from_bucket(cls, bucket: Bucket) -> UsageBucketType:
        return cls(**vars(bucket))


@strawberry.type(name="UsageReport")
class UsageReportType:
    from_: datetime = strawberry.field(name="from")
    to: datetime = strawberry.field(description="Exclusive.")
    group_by: UsageGroupBy
    buckets: list[UsageBucketType] = strawberry.field(description="Highest cost first.")
    total: UsageBucketType = strawberry.field(description='Key "total".')

    @classmethod
    def from_report(cls, report: Report) -> UsageReportType:
        return cls(
            from_=report.start,
            to=report.end,
            group_by=report.group_by,
            buckets=[UsageBucketType.from_bucket(bucket) for bucket in report.buckets],
            total=UsageBucketType.from_bucket(report.total),
        )


@strawberry.input
class UsageInput:
    request_id: str = strawberry.field(description="1..200 characters, unique per recording user.")
    ai_model_id: strawberry.ID = strawberry.field(description="A model the user may see (public, own or shared).")
    input_tokens: int
    output_tokens: int
    chat_id: strawberry.ID | None = strawberry.field(default=None, description="The user's own chat.")
    cached_input_tokens: int | None = 0
    cache_write_tokens: int | None = 0
    latency_ms: int | None = None
    success: bool | None = True
    error_code: str | None = None
    occurred_at: datetime | None = strawberry.field(
        default=None, description="Default now; never in the future, at most 30 days back."
    )
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="ADMIN only: record for another user (a chat back end's service account)."
    )

    @classmethod
    def from_graphql(cls, _: type, value: Mapping[str, Any], context: InputContext) -> UsageInput:
        """Build the input from graphql-core's coerced value in one step (strawberry's from_input hook).

        A batch holds a thousand of these: strawberry's field-by-field conversion of them
        costs more than recording them, and every field here is a scalar graphql-core has
        already coerced.
        """
        return cls(**{python: value[graphql] for graphql, python in _INPUT_NAMES.items() if graphql in value})

    def to_entry(self) -> UsageEntry:
        return UsageEntry(
            request_id=self.request_id,
            ai_model_id=str(self.ai_model_id),
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            cached_input_tokens=self.cached_input_tokens or 0,
            cache_write_tokens=self.cache_write_tokens or 0,
            chat_id=None if self.chat_id is None else str(self.chat_id),
            latency_ms=self.latency_ms,
            success=True if self.success is None else self.success,
            error_code=self.error_code,
            occurred_at=self.occurred_at,
            user_id=None if self.user_id is None else str(self.user_id),
        )


_INPUT_NAMES = {to_camel_case(field.name): field.name for field in dataclasses.fields(UsageInput)}
UsageInput.__strawberry_definition__.from_input = UsageInput.from_graphql  # type: ignore[attr-defined]
