"""recordUsage, recordUsageBatch, usage and usageRecords: any signed-in user, on their own usage (admins: all)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from api.auth import IsSignedIn, require_user
from api.catalog.queries import model_id_of
from api.chats.inputs import row_key
from api.context import Info
from api.errors import NotFound
from api.usage import records, reports
from api.usage.reports import UsageGroupBy
from api.usage.types import UsageInput, UsageRecordType, UsageReportType

__all__ = ["UsageMutations", "UsageQueries"]


def _user_key(user_id: strawberry.ID | None) -> int | None:
    if user_id is None:
        return None
    key = row_key("userId", str(user_id))
    if key is None:
        raise NotFound(f"no user with id {str(user_id)[:20]}")
    return key


@strawberry.type
class UsageQueries:
    @strawberry.field(
        permission_classes=[IsSignedIn],
        description="Usage aggregated by MODEL, PROVIDER, USER, DAY or ENDPOINT; a member sees their own only.",
    )
    async def usage(
        self,
        info: Info,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
        group_by: UsageGroupBy | None = UsageGroupBy.MODEL,
        user_id: strawberry.ID | None = None,
        model_id: strawberry.ID | None = None,
    ) -> UsageReportType:
        report = await reports.usage_report(
            require_user(info),
            from_,
            to,
            group_by or UsageGroupBy.MODEL,
            user_id=_user_key(user_id),
            model_id=None if model_id is None else model_id_of(model_id, "modelId"),
        )
        return UsageReportType.from_report(report)

    @strawberry.field(permission_classes=[IsSignedIn], description="Usage records, newest first; as usage sees them.")
    async def usage_records(
        self,
        info: Info,
        first: int | None = 50,
        after: str | None = None,
        user_id: strawberry.ID | None = None,
        model_id: strawberry.ID | None = None,
    ) -> list[UsageRecordType]:
        rows = await reports.list_records(
            require_user(info),
            first=first,
            after=after,
            user_id=_user_key(user_id),
            model_id=None if model_id is None else model_id_of(model_id, "modelId"),
        )
        return [UsageRecordType.from_row(row) for row in rows]


@strawberry.type
class UsageMutations:
    @strawberry.mutation(
        permission_classes=[IsSignedIn],
        description="Record one model call, priced at the price in force at occurredAt; a known requestId returns it.",
    )
    async def record_usage(self, info: Info, input: UsageInput) -> UsageRecordType:
        [row] = await records.record_usage([input.to_entry()], by=require_user(info))
        return UsageRecordType.from_row(row)

    @strawberry.mutation(permission_classes=[IsSignedIn], description="Up to 1,000 records, all or nothing.")
    async def record_usage_batch(self, info: Info, inputs: list[UsageInput]) -> list[UsageRecordType]:
        entries = [each.to_entry() for each in inputs]
        rows = await records.record_usage(entries, by=require_user(info), batch=True)
        return [UsageRecordType.from_row(row) for row in rows]
