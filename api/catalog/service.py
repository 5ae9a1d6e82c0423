"""The catalog's admin operations: each one reads and locks its model, then hands the change to the writer."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from api.catalog import writer
from api.catalog.fields import CONTENT_FIELDS, LOCKABLE_FIELDS, check_values, values_of
from api.catalog.history import field_changes, values_at_version
from api.catalog.lookup import model_by_id
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
    "unlock_fields",
    "update_model",
]

log = logging.getLogger("modelcatalog.catalog")

MILLION = Decimal(1_000_000)


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    clean, problems = check_values(values)
    if problems:
        raise ValidationFailed(problems)
    return clean


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
        [row] = await writer.insert_models([NewModel(provider_id, clean)], HistoryAction.CREATED, by=by, reason=reason)
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
    """Change the given fields; the content fields a person sets join lockedFields."""
    clean = _clean(values)
    async with transaction():
        row = await _locked_row(model_id)
        if expected_version is not None and row["version"] != expected_version:
            raise Conflict(
                f"the model is at version {row['version']}, not {expected_version}: someone changed it meanwhile;"
                " reload it and apply your change again"
            )
        return await _change(row, {**clean, "lockedFields": with_locks(row, clean)}, HistoryAction.UPDATED, by, reason)


@retrying
async def set_model_enabled(
    model_id: int, enabled: bool, *, by: AuthenticatedUser | None, reason: str | None = None
) -> dict[str, Any]:
    """The admin's on/off switch; an archived model cannot be switched on."""
    async with transaction():
        row = await _locked_row(model_id)
        action = HistoryAction.ENABLED if enabled else HistoryAction.DISABLED
        return await _change(row, {"enabled": enabled}, action, by, reason)


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
        old = values_at_version(values_of(row), newer, CONTENT_FIELDS)
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


@dataclass(frozen=True)
class CostEstimate:
    model: dict[str, Any]
    input_tokens: int
    output_tokens: int
    input_cost: Decimal
    output_cost: Decimal

    @property
    def total_cost(self) -> Decimal:
        return self.input_cost + self.output_cost


async def estimate_cost(
    model_id: int, input_tokens: int, output_tokens: int, *, viewer: AuthenticatedUser | None
) -> CostEstimate:
    """What the tokens cost at the model's stored prices, in exact decimal arithmetic."""
    problems = [
        FieldError(name, "must not be negative")
        for name, count in (("inputTokens", input_tokens), ("outputTokens", output_tokens))
        if count < 0
    ]
    if problems:
        raise ValidationFailed(problems)
    row = await model_by_id(model_id, viewer)
    if row is None:
        raise NotFound(f"no model with id {model_id}")
    values = values_of(row)
    input_price, output_price = values["pricing.inputPerMillion"], values["pricing.outputPerMillion"]
    missing = [
        FieldError(field, f"{row['universal_model_id']} has no {side} price")
        for field, side, price, tokens in (
            ("inputTokens", "input", input_price, input_tokens),
            ("outputTokens", "output", output_price, output_tokens),
        )
        if price is None and (tokens > 0 or (input_price is None and output_price is None))
    ]
    if missing:
        raise ValidationFailed(missing)
    with localcontext() as exact:
        exact.prec = 60  # 2**31 tokens times a 20-digit price fits with room to spare: nothing rounds
        input_cost = input_tokens * (input_price or Decimal(0)) / MILLION
        output_cost = output_tokens * (output_price or Decimal(0)) / MILLION
    return CostEstimate(row, input_tokens, output_tokens, input_cost, output_cost)
