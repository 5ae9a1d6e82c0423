"""The catalog's admin operations: each one reads and locks its model, then hands the change to the writer."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from api import clock
from api.catalog import writer
from api.catalog.fields import (
    CONTENT_FIELDS,
    EFFECTIVE_FROM,
    LOCKABLE_FIELDS,
    PRICE_FIELDS,
    check_values,
    values_of,
)
from api.catalog.history import field_changes, values_at_version
from api.catalog.lookup import model_by_id
from api.catalog.price_series import prices_in_force
from api.catalog.prices import Cost, Price, cost_of
from api.catalog.rules import universal_id_problems, with_locks
from api.catalog.writer import ModelChange, NewModel
from api.database import retrying, transaction
from api.errors import Conflict, FieldError, NotFound, ValidationFailed
from api.providers.rules import PROVIDER_KEY_RULE, is_provider_key
from api.text import printable
from api.users.service import AuthenticatedUser
from domain.choices import HistoryAction
from tables.catalog import AiModel, ModelHistory, Provider

__all__ = [
    "CostEstimate",
    "archive_model",
    "create_model",
    "duplicate_model",
    "estimate_cost",
    "restore_model",
    "revert_model",
    "set_default_model",
    "set_model_enabled",
    "set_models_enabled",
    "unlock_fields",
    "update_model",
]

log = logging.getLogger("modelcatalog.catalog")

MAX_TOKENS = 2**31 - 1  # a token count a usage record or an estimate holds


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    clean, problems = check_values(values)
    if problems:
        raise ValidationFailed(problems)
    return clean


def utc_moment(field: str, moment: datetime) -> datetime:
    """A moment a client sent, in UTC (one without a zone is read as UTC); VALIDATION_FAILED off the calendar."""
    try:
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:
        raise ValidationFailed.one(field, "a date between the years 1 and 9999") from None


def scheduled_moment(values: dict[str, Any]) -> datetime | None:
    """Take `pricing.effectiveFrom` out of the values: None for now, else a later moment (the past is refused)."""
    moment = values.pop(EFFECTIVE_FROM, None)
    if moment is None:
        return None
    moment = utc_moment(EFFECTIVE_FROM, moment)
    if not any(name in PRICE_FIELDS for name in values):
        raise ValidationFailed.one(EFFECTIVE_FROM, "schedules a price change: give the prices that change then")
    if moment <= clock.now():
        raise ValidationFailed.one(
            EFFECTIVE_FROM, "must be later than now: what was billed before is not rewritten; leave it out for now"
        )
    return moment


async def _locked_row(model_id: int) -> dict[str, Any]:
    """The public model, locked for the caller's transaction so no other writer moves it meanwhile."""
    rows = await writer.lock_models([model_id])
    if not rows or rows[0]["owner"] is not None:
        raise NotFound(f"no model with id {model_id}")
    return rows[0]


async def _change(
    row: dict[str, Any],
    values: Mapping[str, Any],
    action: HistoryAction,
    by: AuthenticatedUser | None,
    reason: str | None,
) -> dict[str, Any]:
    [changed] = await writer.update_models([ModelChange(row, values)], action, by=by, reason=reason)
    return changed


async def _provider_id(key: str) -> int:
    provider = await Provider.select(Provider.id).where(Provider.key == key).first()
    if provider is None:
        raise ValidationFailed.one("provider", f'no provider "{key[:64]}"; create it with upsertProvider first')
    return int(provider["id"])


async def _ensure_new_universal_id(universal_model_id: str) -> None:
    if await AiModel.exists().where(AiModel.universal_model_id == universal_model_id):
        raise ValidationFailed.one("universalModelId", f'a model "{universal_model_id}" already exists')


@retrying
async def create_model(
    values: Mapping[str, Any], *, by: AuthenticatedUser | None, reason: str | None = None
) -> dict[str, Any]:
    """A new public model from field values, with `provider` (a key); version 1 and a CREATED entry."""
    values = dict(values)
    provider_key = values.pop("provider", None)
    if not is_provider_key(provider_key):
        raise ValidationFailed.one("provider", f"a provider key: {PROVIDER_KEY_RULE}")
    prices_from = scheduled_moment(values)
    clean, problems = check_values(values)
    if "modelId" in clean and "universalModelId" not in values:
        clean, problems = check_values({**values, "universalModelId": f"{provider_key}:{clean['modelId']}"})
    if "universalModelId" in clean:
        problems += universal_id_problems(clean["universalModelId"], str(provider_key))
    if problems:
        raise ValidationFailed(problems)
    async with transaction():
        provider_id = await _provider_id(str(provider_key))
        await _ensure_new_universal_id(clean["universalModelId"])
        new = NewModel(provider_id, clean, prices_from=prices_from)
        [row] = await writer.insert_models([new], HistoryAction.CREATED, by=by, reason=reason)
    log.info("model %s created by %s", row["universal_model_id"], by.username if by else "the command line")
    return row


@retrying
async def update_model(
    model_id: int,
    values: Mapping[str, Any],
    *,
    by: AuthenticatedUser | None,
    expected_version: int | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """Change the given fields; the content fields a person sets join lockedFields; effectiveFrom schedules prices."""
    values = dict(values)
    prices_from = scheduled_moment(values)
    clean = _clean(values)
    async with transaction():
        row = await _locked_row(model_id)
        if expected_version is not None and row["version"] != expected_version:
            raise Conflict(
                f"the model is at version {row['version']}, not {expected_version}: someone changed it meanwhile;"
                " reload it and apply your change again"
            )
        change = ModelChange(row, {**clean, "lockedFields": with_locks(row, clean)}, prices_from=prices_from)
        [changed] = await writer.update_models([change], HistoryAction.UPDATED, by=by, reason=reason)
        return changed


@retrying
async def set_model_enabled(
    model_id: int, enabled: bool, *, by: AuthenticatedUser | None, reason: str | None = None
) -> dict[str, Any]:
    """The admin's on/off switch; an archived model cannot be switched on."""
    async with transaction():
        row = await _locked_row(model_id)
        action = HistoryAction.ENABLED if enabled else HistoryAction.DISABLED
        return await _change(row, {"enabled": enabled}, action, by, reason)


MAX_BULK = 500


@retrying
async def set_models_enabled(
    model_ids: list[int], enabled: bool, *, by: AuthenticatedUser | None, reason: str | None = None
) -> list[dict[str, Any]]:
    """Switch many public models on or off at once: all or nothing, a version and a history row each."""
    if len(model_ids) > MAX_BULK:
        raise ValidationFailed.one("ids", f"at most {MAX_BULK} models at once; this asks for {len(model_ids):,}")
    wanted = list(dict.fromkeys(model_ids))
    async with transaction():
        rows = {row["id"]: row for row in await writer.lock_models(wanted) if row["owner"] is None}
        missing = [
            FieldError(f"ids[{index}]", f"no model with id {model_id}")
            for index, model_id in enumerate(model_ids)
            if model_id not in rows
        ]
        if missing:
            raise ValidationFailed(missing)
        action = HistoryAction.ENABLED if enabled else HistoryAction.DISABLED
        changes = [ModelChange(rows[model_id], {"enabled": enabled}) for model_id in wanted]
        changed = await writer.update_models(changes, action, by=by, reason=reason)
    by_id = {row["id"]: row for row in changed}
    return [by_id[model_id] for model_id in model_ids]


@retrying
async def archive_model(model_id: int, *, by: AuthenticatedUser | None, reason: str | None = None) -> dict[str, Any]:
    """ARCHIVED and disabled; the history and the chats keep their reference."""
    async with transaction():
        [row] = await writer.archive_models([await _locked_row(model_id)], by=by, reason=reason)
    return row


@retrying
async def restore_model(model_id: int, *, by: AuthenticatedUser | None, reason: str | None = None) -> dict[str, Any]:
    """ACTIVE again, but disabled until an admin enables it."""
    async with transaction():
        [row] = await writer.restore_models([await _locked_row(model_id)], by=by, reason=reason)
    return row


@retrying
async def duplicate_model(
    model_id: int,
    universal_model_id: str,
    *,
    display_name: str | None = None,
    by: AuthenticatedUser | None,
    reason: str | None = None,
) -> dict[str, Any]:
    """A copy of the model under a new universalModelId, at version 1, not the default."""
    async with transaction():
        source = await _locked_row(model_id)
        provider = await Provider.select(Provider.key).where(Provider.id == source["provider"]).first()
        assert provider is not None
        values = values_of(source)
        copied = {name: values[name] for name in (*CONTENT_FIELDS, "modelId", "enabled")}
        copied["universalModelId"] = universal_model_id
        if display_name is not None:
            copied["displayName"] = display_name
        clean = _clean(copied)
        problems = universal_id_problems(clean["universalModelId"], provider["key"])
        if problems:
            raise ValidationFailed(problems)
        await _ensure_new_universal_id(clean["universalModelId"])
        copy = NewModel(source["provider"], {**clean, "lockedFields": source["locked_fields"]}, config=source["config"])
        reason = reason or f"copy of {source['universal_model_id']}"
        [row] = await writer.insert_models([copy], HistoryAction.DUPLICATED, by=by, reason=reason)
    return row


@retrying
async def revert_model(
    model_id: int, to_version: int, *, by: AuthenticatedUser | None, reason: str | None = None
) -> dict[str, Any]:
    """The content fields as they were at `to_version`, written as a new version."""
    async with transaction():
        row = await _locked_row(model_id)
        if not 1 <= to_version <= row["version"]:
            raise ValidationFailed.one(
                "toVersion", f"version {to_version} does not exist; this model has versions 1 to {row['version']}"
            )
        newer = (
            await ModelHistory.select(ModelHistory.changes)
            .where(ModelHistory.model == model_id, ModelHistory.version > to_version)
            .order_by(ModelHistory.version, ascending=False)
            .output(load_json=True)
        )
        old = values_at_version(values_of(row), [_in_force_part(entry) for entry in newer], CONTENT_FIELDS)
        restored = _clean(old)
        changed = [change["field"] for change in field_changes(values_of(row), restored)]
        new_values = {**restored, "lockedFields": with_locks(row, changed)}
        return await _change(row, new_values, HistoryAction.REVERTED, by, reason or f"revert to version {to_version}")


@retrying
async def set_default_model(model_id: int, *, by: AuthenticatedUser | None) -> dict[str, Any]:
    """Make the model the one default; it must be selectable."""
    async with transaction():
        return await writer.make_default(model_id, by=by)


@retrying
async def unlock_fields(model_id: int, fields: list[str], *, by: AuthenticatedUser | None) -> dict[str, Any]:
    """Let sync update these fields again."""
    unknown = [field for field in fields if field not in LOCKABLE_FIELDS]
    if unknown:
        shown = ", ".join(printable(field[:64]) for field in unknown[:10])
        raise ValidationFailed.one(
            "fields", f"not lockable: {shown}; lockable fields are {', '.join(sorted(LOCKABLE_FIELDS))}"
        )
    async with transaction():
        row = await _locked_row(model_id)
        remaining = [field for field in row["locked_fields"] if field not in fields]
        return await _change(row, {"lockedFields": remaining}, HistoryAction.UPDATED, by, "fields unlocked")


def _in_force_part(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A history entry without the price changes it scheduled for a moment still to come (not in force yet)."""
    changes = entry["changes"]
    moments = [change["newValue"] for change in changes if change["field"] == EFFECTIVE_FROM]
    if moments and datetime.fromisoformat(moments[0]) > clock.now():
        changes = [change for change in changes if change["field"] not in PRICE_FIELDS]
    return {**entry, "changes": changes}


@dataclass(frozen=True)
class CostEstimate:
    model: dict[str, Any]
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int
    cache_write_tokens: int
    priced_at: datetime
    price: Price
    cost: Cost


def token_problems(counts: Mapping[str, int]) -> list[FieldError]:
    """What is wrong with token counts, by field: negative, or beyond what a record holds."""
    problems = []
    for name, count in counts.items():
        if count < 0:
            problems.append(FieldError(name, "must not be negative"))
        elif count > MAX_TOKENS:
            problems.append(FieldError(name, f"at most {MAX_TOKENS:,} tokens"))
    return problems


async def estimate_cost(
    model_id: int,
    input_tokens: int,
    output_tokens: int,
    *,
    viewer: AuthenticatedUser | None,
    cached_input_tokens: int = 0,
    cache_write_tokens: int = 0,
    at: datetime | None = None,
) -> CostEstimate:
    """What the tokens cost at the price in force at `at` (default now), its tier and window, exactly."""
    counts = {
        "inputTokens": input_tokens,
        "outputTokens": output_tokens,
        "cachedInputTokens": cached_input_tokens,
        "cacheWriteTokens": cache_write_tokens,
    }
    problems = token_problems(counts)
    if problems:
        raise ValidationFailed(problems)
    moment = clock.now() if at is None else utc_moment("at", at)
    row = await model_by_id(model_id, viewer)
    if row is None:
        raise NotFound(f"no model with id {model_id}")
    price = (await prices_in_force([model_id], moment)).get(model_id)
    if price is None or not price.is_priced:
        if at is not None:
            raise ValidationFailed.one("at", f"{row['universal_model_id']} had no price at {moment.isoformat()}")
        name = row["universal_model_id"]
        raise ValidationFailed(
            [
                FieldError("inputTokens", f"{name} has no input price"),
                FieldError("outputTokens", f"{name} has no output price"),
            ]
        )
    cost = cost_of(
        price,
        moment,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cached_tokens=cached_input_tokens,
        write_tokens=cache_write_tokens,
    )
    if cost is None:
        rates = price.rates
        missing = [
            FieldError(field, f"{row['universal_model_id']} has no {side} price")
            for field, side, rate, tokens in (
                ("inputTokens", "input", rates.input, input_tokens + cached_input_tokens + cache_write_tokens),
                ("outputTokens", "output", rates.output, output_tokens),
            )
            if rate is None and tokens > 0
        ]
        raise ValidationFailed(missing or [FieldError("inputTokens", "no price for these tokens")])
    return CostEstimate(row, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, moment, price, cost)
