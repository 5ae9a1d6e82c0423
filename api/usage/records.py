"""Recording usage: one record per model call, priced once at the price, tier and window in force when it happened.

A batch is all or nothing: every entry is checked first (VALIDATION_FAILED names
the field and, in a batch, the index), then one transaction writes them. A
requestId the user already recorded returns the first record, never repriced.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from piccolo.engine import engine_finder

from api import clock
from api.catalog.lookup import is_row_id
from api.catalog.price_series import in_force, series_of
from api.catalog.prices import cost_of
from api.catalog.rules import visible_where
from api.catalog.service import token_problems, utc_moment
from api.database import is_postgres, retrying, transaction
from api.endpoints.usage import note_endpoints_used
from api.errors import FieldError, Forbidden, ValidationFailed
from api.text import storable_problem
from api.users.service import AuthenticatedUser, users_by_id
from tables.catalog import AiModel
from tables.chats import Chat
from tables.usage import COST_SCALE, MAX_REQUEST_ID, UsageRecord

__all__ = ["MAX_BATCH", "UsageEntry", "cost_units", "record_usage"]

INSERT_COLUMNS = (
    "user",
    "ai_model",
    "universal_model_id",
    "provider",
    "chat",
    "endpoint",
    "request_id",
    "input_tokens",
    "output_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "latency_ms",
    "success",
    "error_code",
    "cost",
    "price",
    "tier",
    "window",
    "occurred_at",
    "recorded_at",
)
# The PostgreSQL types of those columns, for the arrays a batch is sent as (the window's JSON goes as text).
POSTGRES_TYPES = (
    "integer",
    "integer",
    "text",
    "text",
    "integer",
    "integer",
    "text",
    "integer",
    "integer",
    "integer",
    "integer",
    "integer",
    "boolean",
    "text",
    "bigint",
    "integer",
    "integer",
    "text",
    "timestamptz",
    "timestamptz",
)

MAX_BATCH = 1000
MAX_ERROR_CODE = 100
MAX_LATENCY_MS = 2**31 - 1
CLOCK_SKEW = timedelta(minutes=5)  # a caller's clock a little ahead is not "the future"
MAX_AGE = timedelta(days=30)
UNIT = Decimal(10) ** -COST_SCALE


@dataclass(frozen=True)
class UsageEntry:
    """One model call, as the chat back end reports it."""

    request_id: str
    ai_model_id: str
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    chat_id: str | None = None
    latency_ms: int | None = None
    success: bool = True
    error_code: str | None = None
    occurred_at: datetime | None = None
    user_id: str | None = None  # ADMIN only: record for another user


def cost_units(cost: Decimal) -> int:
    """A cost in the stored unit (10**-12 USD), rounded half to even at that last place."""
    return int(cost.quantize(UNIT, rounding=ROUND_HALF_EVEN).scaleb(COST_SCALE))


def _key(field: str, value: str | None) -> int | None:
    """The integer key an id names; VALIDATION_FAILED (as a FieldError) for anything else."""
    if value is None:
        return None
    text = str(value)
    if not text.isascii() or not text.isdigit() or not is_row_id(text):
        raise _Bad(field, "an id: digits, as the API gave it")
    return int(text)


class _Bad(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def _shape_problems(entry: UsageEntry, now: datetime) -> list[FieldError]:
    """What is wrong with one entry on its own (before the database is asked)."""
    problems = token_problems(
        {
            "inputTokens": entry.input_tokens,
            "outputTokens": entry.output_tokens,
            "cachedInputTokens": entry.cached_input_tokens,
            "cacheWriteTokens": entry.cache_write_tokens,
        }
    )
    request = entry.request_id
    if not request or not request.strip():
        problems.append(FieldError("requestId", "must not be empty"))
    elif len(request) > MAX_REQUEST_ID:
        problems.append(FieldError("requestId", f"at most {MAX_REQUEST_ID} characters"))
    elif storable_problem(request):
        problems.append(FieldError("requestId", str(storable_problem(request))))
    if entry.latency_ms is not None and not 0 <= entry.latency_ms <= MAX_LATENCY_MS:
        problems.append(FieldError("latencyMs", "a whole number of milliseconds, not negative"))
    if entry.error_code is not None:
        if len(entry.error_code) > MAX_ERROR_CODE:
            problems.append(FieldError("errorCode", f"at most {MAX_ERROR_CODE} characters"))
        elif storable_problem(entry.error_code):
            problems.append(FieldError("errorCode", str(storable_problem(entry.error_code))))
    if entry.occurred_at is not None:
        try:
            moment = utc_moment("occurredAt", entry.occurred_at)
        except ValidationFailed as problem:
            problems += problem.fields
        else:
            if moment > now + CLOCK_SKEW:
                problems.append(FieldError("occurredAt", "is in the future"))
            elif moment < now - MAX_AGE:
                problems.append(FieldError("occurredAt", f"at most {MAX_AGE.days} days back"))
    for field, value in (("aiModelId", entry.ai_model_id), ("chatId", entry.chat_id), ("userId", entry.user_id)):
        try:
            _key(field, value)
        except _Bad as bad:
            problems.append(FieldError(bad.field, bad.message))
    return problems


def _named(problems: Sequence[FieldError], index: int | None) -> list[FieldError]:
    where = "" if index is None else f"inputs[{index}]."
    return [FieldError(f"{where}{p.field}", p.message) for p in problems]


@retrying
async def record_usage(
    entries: Sequence[UsageEntry], *, by: AuthenticatedUser, batch: bool = False
) -> list[dict[str, Any]]:
    """Record the calls (all or nothing) and return their records, in the order given."""
    if len(entries) > MAX_BATCH:
        raise ValidationFailed.one(
            "inputs", f"at most {MAX_BATCH:,} records in one batch; this one has {len(entries):,}"
        )
    if not by.is_admin and any(entry.user_id not in (None, str(by.id)) for entry in entries):
        raise Forbidden("userId is for an ADMIN recording for another user (a chat back end's service account)")
    now = clock.now()
    problems: list[FieldError] = []
    for index, entry in enumerate(entries):
        problems += _named(_shape_problems(entry, now), index if batch else None)
    if problems:
        raise ValidationFailed(problems)
    async with transaction():
        records = await _write(entries, by, now, batch)
    await note_endpoints_used({record["endpoint"] for record in records if record.get("endpoint") is not None}, now)
    return records


async def _write(
    entries: Sequence[UsageEntry], by: AuthenticatedUser, now: datetime, batch: bool
) -> list[dict[str, Any]]:
    users = await _users(entries, by)
    models = await _models(entries, users, by)
    chats = await _chats(entries)
    problems: list[FieldError] = []
    for index, entry in enumerate(entries):
        user = users.get(entry.user_id) if entry.user_id is not None else by
        found: list[FieldError] = []
        if user is None:
            found.append(FieldError("userId", f"no user with id {entry.user_id}"))
        else:
            if (int(entry.ai_model_id), user.id) not in models:
                found.append(FieldError("aiModelId", f"no model with id {entry.ai_model_id} that the user may see"))
            if entry.chat_id is not None and chats.get(int(entry.chat_id)) != user.id:
                found.append(FieldError("chatId", f"no chat with id {entry.chat_id} of the user's"))
        problems += _named(found, index if batch else None)
    if problems:
        raise ValidationFailed(problems)
    targets = [users.get(entry.user_id) if entry.user_id is not None else by for entry in entries]
    wanted = [(user.id, entry.request_id) for user, entry in zip(targets, entries, strict=True) if user]
    fresh: dict[tuple[int, str], dict[str, Any]] = {}
    series = await series_of({int(entry.ai_model_id) for entry in entries})
    for user, entry in zip(targets, entries, strict=True):
        assert user is not None
        key = (user.id, entry.request_id)
        if key in fresh:
            continue  # the same call twice in one batch: the first stands
        model = models[(int(entry.ai_model_id), user.id)]
        fresh[key] = _record(entry, user, model, series.get(model["id"], []), now)
    # The unique (user, requestId) decides: a requestId already recorded keeps its first record, as it was priced.
    inserted = await _insert(list(fresh.values()))
    kept = {key: {**values, "id": inserted[key]} for key, values in fresh.items() if key in inserted}
    retried = [key for key in fresh if key not in inserted]
    if retried:
        kept |= await _existing(retried)
    return [kept[key] for key in wanted]


async def _insert(rows: Sequence[Mapping[str, Any]]) -> dict[tuple[int, str], int]:
    """Insert the rows in one statement on the transaction's own connection; the ids, by (user, requestId).

    piccolo builds a thousand-row INSERT in Python slower than the database runs it, so
    this one statement goes to the driver as it is.
    """
    engine: Any = engine_finder()
    connection = engine.current_transaction.get().connection
    columns = ", ".join(f'"{column}"' for column in INSERT_COLUMNS)
    returning = ' ON CONFLICT ("user", request_id) DO NOTHING RETURNING id, "user", request_id'
    if is_postgres():
        # One array per column: the statement's text is the same for every batch, so it is prepared once.
        arrays = [[_sql_value(row[column], True) for row in rows] for column in INSERT_COLUMNS]
        unnest = ", ".join(f"${index + 1}::{kind}[]" for index, kind in enumerate(POSTGRES_TYPES))
        names = [f"c{index + 1}" for index in range(len(INSERT_COLUMNS))]
        picked = ", ".join(
            f"{name}::json" if column == "window" else name for name, column in zip(names, INSERT_COLUMNS, strict=True)
        )
        statement = (
            f"INSERT INTO usage_records ({columns}) SELECT {picked}"
            f" FROM unnest({unnest}) AS v({', '.join(names)}){returning}"
        )
        found = await connection.fetch(statement, *arrays)
    else:
        values = [_sql_value(row[column], False) for row in rows for column in INSERT_COLUMNS]
        groups = ", ".join("(" + ", ".join("?" * len(INSERT_COLUMNS)) + ")" for _ in rows)
        cursor = await connection.execute(f"INSERT INTO usage_records ({columns}) VALUES {groups}{returning}", values)
        found = await cursor.fetchall()
        await cursor.close()
    return {(row["user"], row["request_id"]): row["id"] for row in found}


def _sql_value(value: Any, postgres: bool) -> Any:
    if isinstance(value, dict):
        return json.dumps(value)  # the JSON column's text, as piccolo writes it
    if isinstance(value, datetime) and not postgres:
        return str(value.astimezone(UTC))  # piccolo's form on SQLite, so range comparisons of the text hold
    return value


def _record(
    entry: UsageEntry, user: AuthenticatedUser, model: Mapping[str, Any], series: Sequence[Any], now: datetime
) -> dict[str, Any]:
    """The row of one new record, priced at the price in force when the call happened."""
    moment = utc_moment("occurredAt", entry.occurred_at) if entry.occurred_at is not None else now
    price = in_force(series, moment)
    cost = None
    if price is not None:
        cost = cost_of(
            price,
            moment,
            input_tokens=entry.input_tokens,
            output_tokens=entry.output_tokens,
            cached_tokens=entry.cached_input_tokens,
            write_tokens=entry.cache_write_tokens,
        )
    return {
        "user": user.id,
        "ai_model": model["id"],
        "universal_model_id": model["universal_model_id"],
        "provider": model["provider_key"],
        "chat": int(entry.chat_id) if entry.chat_id is not None else None,
        "endpoint": model.get("endpoint"),  # the local endpoint a private model was found on, where it has one
        "request_id": entry.request_id,
        "input_tokens": entry.input_tokens,
        "output_tokens": entry.output_tokens,
        "cached_input_tokens": entry.cached_input_tokens,
        "cache_write_tokens": entry.cache_write_tokens,
        "latency_ms": entry.latency_ms,
        "success": entry.success,
        "error_code": entry.error_code,
        "cost": cost_units(cost.total) if cost is not None else None,
        "price": price.id if cost is not None and price is not None else None,
        "tier": cost.tier["minPromptTokens"] if cost is not None and cost.tier else None,
        "window": cost.window if cost is not None else None,
        "occurred_at": moment,
        "recorded_at": now,
    }


async def _users(entries: Sequence[UsageEntry], by: AuthenticatedUser) -> dict[str, AuthenticatedUser]:
    named = sorted({entry.user_id for entry in entries if entry.user_id is not None})
    found = await users_by_id([int(user_id) for user_id in named])
    return {user_id: user for user_id, user in zip(named, found, strict=True) if user is not None}


async def _models(
    entries: Sequence[UsageEntry], users: Mapping[str, AuthenticatedUser], by: AuthenticatedUser
) -> dict[tuple[int, int], dict[str, Any]]:
    """The models each recording user may see (public, own or shared), keyed by (model id, user id)."""
    wanted: dict[int, tuple[AuthenticatedUser, set[int]]] = {}
    found: dict[tuple[int, int], dict[str, Any]] = {}
    for entry in entries:
        user = users.get(entry.user_id) if entry.user_id is not None else by
        if user is not None:
            wanted.setdefault(user.id, (user, set()))[1].add(int(entry.ai_model_id))
    for user_id, (user, ids) in wanted.items():
        rows = await (
            AiModel.select(*AiModel.all_columns(), AiModel.provider.key.as_alias("provider_key"))
            .where(AiModel.id.is_in(sorted(ids)), visible_where(user))
            .output(load_json=True)
        )
        found.update({(row["id"], user_id): row for row in rows})
    return found


async def _chats(entries: Sequence[UsageEntry]) -> dict[int, int]:
    ids = sorted({int(entry.chat_id) for entry in entries if entry.chat_id is not None})
    if not ids:
        return {}
    return {row["id"]: row["owner"] for row in await Chat.select(Chat.id, Chat.owner).where(Chat.id.is_in(ids))}


async def _existing(keys: Sequence[tuple[int, str]]) -> dict[tuple[int, str], dict[str, Any]]:
    """The records already kept for these (user, requestId) pairs."""
    found: dict[tuple[int, str], dict[str, Any]] = {}
    by_user: dict[int, list[str]] = {}
    for user_id, request_id in keys:
        by_user.setdefault(user_id, []).append(request_id)
    for user_id, requests in by_user.items():
        for start in range(0, len(requests), 500):
            rows = (
                await UsageRecord.select()
                .where(UsageRecord.user == user_id, UsageRecord.request_id.is_in(requests[start : start + 500]))
                .output(load_json=True)
            )
            found.update({(row["user"], row["request_id"]): row for row in rows})
    return found
