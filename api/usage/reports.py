"""Reading usage: reports aggregated in the database (GROUP BY), and the records themselves, newest first.

A member reads their own usage only; an admin everyone's (or one user's).
Percentiles are nearest-rank: PostgreSQL's percentile_disc, and on SQLite the
same rank found with ROW_NUMBER over the bucket.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from piccolo.columns.combination import WhereRaw
from piccolo.engine import engine_finder

from api.catalog.lookup import decode_cursor, encode_cursor, page_size
from api.catalog.service import utc_moment
from api.database import is_postgres
from api.errors import NotFound, ValidationFailed
from api.users.service import AuthenticatedUser
from tables.usage import COST_SCALE, UsageRecord

__all__ = [
    "MAX_RANGE",
    "Bucket",
    "Report",
    "UsageGroupBy",
    "list_records",
    "record_cursor",
    "usage_report",
    "visible_user",
]

MAX_RANGE = timedelta(days=400)


class UsageGroupBy(enum.StrEnum):
    MODEL = "MODEL"
    PROVIDER = "PROVIDER"
    USER = "USER"
    DAY = "DAY"
    ENDPOINT = "ENDPOINT"


@dataclass(frozen=True)
class Bucket:
    key: str
    requests: int
    errors: int
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int
    cache_write_tokens: int
    cost: Decimal
    unpriced_requests: int
    p50_latency_ms: int | None
    p95_latency_ms: int | None


@dataclass(frozen=True)
class Report:
    start: datetime
    end: datetime
    group_by: UsageGroupBy
    buckets: list[Bucket]
    total: Bucket


def _key_expression(group_by: UsageGroupBy) -> str:
    if group_by is UsageGroupBy.MODEL:
        return "r.universal_model_id"
    if group_by is UsageGroupBy.PROVIDER:
        return "r.provider"
    if group_by is UsageGroupBy.USER:
        return "u.username"
    if group_by is UsageGroupBy.ENDPOINT:
        return "CAST(r.endpoint AS TEXT)"
    if is_postgres():
        return "(r.occurred_at AT TIME ZONE 'UTC')::date"  # a date groups faster than its text; cast after
    return "substr(r.occurred_at, 1, 10)"  # SQLite keeps timestamps as UTC text that starts with the date


def visible_user(viewer: AuthenticatedUser, user_id: int | None) -> int | None:
    """Whose usage the viewer reads: a member their own (another's is NOT_FOUND); an admin anyone's (None: all)."""
    if viewer.is_admin:
        return user_id
    if user_id is not None and user_id != viewer.id:
        raise NotFound(f"no user with id {user_id}")
    return viewer.id


def _range(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start, end = utc_moment("from", start), utc_moment("to", end)
    if end <= start:
        raise ValidationFailed.one("to", "must be later than from")
    if end - start > MAX_RANGE:
        raise ValidationFailed.one("to", f"a report spans at most {MAX_RANGE.days} days")
    return start, end


SUMS = (
    "COUNT(*) AS requests,"
    " SUM(CASE WHEN r.success THEN 0 ELSE 1 END) AS errors,"
    " SUM(r.input_tokens) AS input_tokens, SUM(r.output_tokens) AS output_tokens,"
    " SUM(r.cached_input_tokens) AS cached_input_tokens, SUM(r.cache_write_tokens) AS cache_write_tokens,"
    " SUM(r.cost) AS cost, SUM(CASE WHEN r.cost IS NULL THEN 1 ELSE 0 END) AS unpriced"
)
SUM_NAMES = (
    "requests",
    "errors",
    "input_tokens",
    "output_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "cost",
    "unpriced",
)
TOTALS = ", ".join(f"SUM({name}) AS {name}" for name in SUM_NAMES)
# PostgreSQL's default work_mem (4 MB) sends a month's grouping to disk; a report may use more, in its transaction.
REPORT_WORK_MEM = "SET LOCAL work_mem = '64MB'"
# Compiling this one statement costs PostgreSQL's JIT longer than running it.
REPORT_NO_JIT = "SET LOCAL jit = off"


def _statement(key: str, where: str, *, users: bool) -> str:
    """One pass over the records: sums per (bucket, latency), then per bucket and in total, with percentiles.

    Grouping by latency as well gives each bucket's latency distribution in a few
    thousand rows, from which the nearest-rank p50 and p95 are the first latencies
    whose running count reaches 50% and 95%; the total (t = 1, no key) is the same
    over every bucket. Buckets stay in the key's own type (a date sorts faster than
    its text) until the end. The same SQL runs on SQLite and PostgreSQL.
    """
    join = ' JOIN users u ON u.id = r."user"' if users else ""
    return (
        f"WITH h AS (SELECT {key} AS k, r.latency_ms AS l, {SUMS} FROM usage_records r{join} WHERE {where}"
        " GROUP BY 1, 2),"
        f" sums AS (SELECT 0 AS t, k, {TOTALS} FROM h GROUP BY k UNION ALL SELECT 1, NULL, {TOTALS} FROM h),"
        " lat AS (SELECT 0 AS t, k, l, requests AS n FROM h WHERE l IS NOT NULL"
        " UNION ALL SELECT 1, NULL, l, SUM(requests) FROM h WHERE l IS NOT NULL GROUP BY l),"
        " ranked AS (SELECT t, k, l, SUM(n) OVER (PARTITION BY t, k ORDER BY l ROWS UNBOUNDED PRECEDING) AS running,"
        " SUM(n) OVER (PARTITION BY t, k) AS timed FROM lat),"
        " pct AS (SELECT t, k, MIN(CASE WHEN running * 100 >= timed * 50 THEN l END) AS p50,"
        " MIN(CASE WHEN running * 100 >= timed * 95 THEN l END) AS p95 FROM ranked GROUP BY t, k)"
        f" SELECT sums.t, CAST(sums.k AS TEXT) AS k, {', '.join(f'sums.{name}' for name in SUM_NAMES)},"
        " pct.p50, pct.p95 FROM sums LEFT JOIN pct ON pct.t = sums.t"
        " AND (pct.k = sums.k OR (pct.k IS NULL AND sums.k IS NULL))"
    )


def _bucket(key: str, row: dict[str, Any] | None) -> Bucket:
    row = row or {}

    def number(name: str) -> int:
        return int(row.get(name) or 0)

    def latency(name: str) -> int | None:
        value = row.get(name)
        return None if value is None else int(value)

    return Bucket(
        key=key,
        requests=number("requests"),
        errors=number("errors"),
        input_tokens=number("input_tokens"),
        output_tokens=number("output_tokens"),
        cached_input_tokens=number("cached_input_tokens"),
        cache_write_tokens=number("cache_write_tokens"),
        cost=Decimal(number("cost")).scaleb(-COST_SCALE),
        unpriced_requests=number("unpriced"),
        p50_latency_ms=latency("p50"),
        p95_latency_ms=latency("p95"),
    )


async def usage_report(
    viewer: AuthenticatedUser,
    start: datetime,
    end: datetime,
    group_by: UsageGroupBy = UsageGroupBy.MODEL,
    *,
    user_id: int | None = None,
    model_id: int | None = None,
) -> Report:
    """Requests, errors, tokens, cost, unpriced requests and latency percentiles per bucket, and in total."""
    start, end = _range(start, end)
    user = visible_user(viewer, user_id)
    conditions = ["r.occurred_at >= {}", "r.occurred_at < {}"]
    values: list[Any] = [start, end]
    if user is not None:
        conditions.append('r."user" = {}')
        values.append(user)
    if model_id is not None:
        conditions.append("r.ai_model = {}")
        values.append(model_id)
    if group_by is UsageGroupBy.ENDPOINT:
        conditions.append("r.endpoint IS NOT NULL")  # usage of public models is no endpoint's
    where = " AND ".join(conditions)
    statement = _statement(_key_expression(group_by), where, users=group_by is UsageGroupBy.USER)
    if is_postgres():
        engine: Any = engine_finder()
        async with engine.transaction():
            await UsageRecord.raw(REPORT_WORK_MEM)
            await UsageRecord.raw(REPORT_NO_JIT)
            rows = await UsageRecord.raw(statement, *values)
    else:
        rows = await UsageRecord.raw(statement, *values)
    buckets = [_bucket(str(row["k"]), row) for row in rows if not row["t"]]
    buckets.sort(key=lambda bucket: (-bucket.cost, bucket.key))
    total = next((row for row in rows if row["t"]), None)
    return Report(start, end, group_by, buckets, _bucket("total", total))


async def list_records(
    viewer: AuthenticatedUser,
    *,
    first: int | None = 50,
    after: str | None = None,
    user_id: int | None = None,
    model_id: int | None = None,
) -> list[dict[str, Any]]:
    """Records, newest occurredAt first (then newest id); `after` is the cursor of the last record seen."""
    user = visible_user(viewer, user_id)
    query = UsageRecord.select().output(load_json=True)
    if user is not None:
        query = query.where(UsageRecord.user == user)
    if model_id is not None:
        query = query.where(UsageRecord.ai_model == model_id)
    if after is not None:
        moment, record_id = _cursor(after)
        query = query.where(
            WhereRaw(
                "(usage_records.occurred_at < {} OR (usage_records.occurred_at = {} AND usage_records.id < {}))",
                moment,
                moment,
                record_id,
            )
        )
    size = page_size(first)
    return await query.order_by(UsageRecord.occurred_at, UsageRecord.id, ascending=False).limit(size)


def record_cursor(row: dict[str, Any]) -> str:
    """The opaque cursor of a record, for usageRecords(after:)."""
    return encode_cursor("usage", f"{row['occurred_at'].isoformat()}|{row['id']}")


def _cursor(after: str) -> tuple[datetime, int]:
    text = decode_cursor("usage", after)
    moment, _, record_id = text.rpartition("|")
    try:
        return datetime.fromisoformat(moment), int(record_id)
    except ValueError:
        raise ValidationFailed.one("after", "not a cursor this query gave out") from None
