"""The catalog's rules: every change to a model bumps its version and writes its history, once."""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, localcontext
from typing import Any

from api.catalog.fields import CONTENT_FIELDS, FIELD_COLUMNS, LOCKABLE_FIELDS, check_values, values_of
from api.catalog.history import HistoryRow, field_changes, values_at_version, write_history
from api.catalog.lookup import model_by_id
from api.catalog.rules import is_selectable
from api.database import for_update, serialize, transaction
from api.errors import Conflict, FieldError, NotFound, ValidationFailed
from api.users.service import AuthenticatedUser
from domain.choices import HistoryAction, ModelStatus
from tables.catalog import AiModel, ModelHistory, Provider

__all__ = [
    "CostEstimate",
    "archive_model",
    "clean_reason",
    "columns_of",
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

MAX_REASON = 1000
MILLION = Decimal(1_000_000)


def _now() -> datetime:
    return datetime.now(UTC)


def clean_reason(reason: str | None) -> str | None:
    """The reason given for a change, trimmed; None when blank."""
    if reason is None or not reason.strip():
        return None
    if len(reason) > MAX_REASON:
        raise ValidationFailed.one("reason", f"at most {MAX_REASON} characters")
    return reason.strip()


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    clean, problems = check_values(values)
    if problems:
        raise ValidationFailed(problems)
    return clean


def columns_of(values: Mapping[str, Any]) -> dict[str, Any]:
    """Field values keyed by column name, as piccolo writes them."""
    return {
        FIELD_COLUMNS[name]: value.value if isinstance(value, enum.Enum) else value for name, value in values.items()
    }


async def _locked_row(model_id: int) -> dict[str, Any]:
    """The public model, read inside the caller's transaction so no other writer moves it meanwhile."""
    query = AiModel.select().where(AiModel.id == model_id, AiModel.owner.is_null()).output(load_json=True)
    row = await for_update(query).first()
    if row is None:
        raise NotFound(f"no model with id {model_id}")
    return row


async def _commit_change(
    row: dict[str, Any],
    new_values: Mapping[str, Any],
    action: HistoryAction,
    by: AuthenticatedUser | None,
    reason: str | None,
    extra_columns: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Write `new_values` as the model's next version with its history row; unchanged values write nothing."""
    changes = field_changes(values_of(row), new_values)
    if not changes:
        return row
    version = row["version"] + 1
    update: dict[Any, Any] = {
        **columns_of(new_values),
        **(extra_columns or {}),
        "version": version,
        "updated_at": _now(),
    }
    await AiModel.update(update).where(AiModel.id == row["id"], AiModel.version == row["version"])
    await write_history(
        [HistoryRow(row["id"], row["universal_model_id"], version, action, changes, by, clean_reason(reason))]
    )
    return {**row, **update}


def _with_locks(row: Mapping[str, Any], fields: list[str]) -> list[str]:
    locked = list(row["locked_fields"])
    return locked + [field for field in fields if field not in locked and field in LOCKABLE_FIELDS]


def _check_enabling(row: Mapping[str, Any], enabled: bool) -> None:
    if enabled and row["status"] == ModelStatus.ARCHIVED.value:
        raise ValidationFailed.one("enabled", "an archived model cannot be enabled; restore it first")
    if not enabled and row["is_default"]:
        raise ValidationFailed.one(
            "enabled", "the default model must stay enabled; make another model the default first"
        )


async def _provider_id(key: Any) -> int:
    if not isinstance(key, str) or not key:
        raise ValidationFailed.one("provider", "a provider key")
    provider = await Provider.select(Provider.id).where(Provider.key == key).first()
    if provider is None:
        raise ValidationFailed.one("provider", f'no provider "{key[:64]}"; create it with upsertProvider first')
    return int(provider["id"])


def universal_id_problems(universal_model_id: str, provider: str) -> list[FieldError]:
    if not universal_model_id.startswith(f"{provider}:") or universal_model_id == f"{provider}:":
        return [FieldError("universalModelId", f'must be "{provider}:" followed by a model id')]
    return []


async def _ensure_new_universal_id(universal_model_id: str) -> None:
    if await AiModel.exists().where(AiModel.universal_model_id == universal_model_id):
        raise ValidationFailed.one("universalModelId", f'a model "{universal_model_id}" already exists')


async def create_model(
    values: Mapping[str, Any], *, by: AuthenticatedUser | None, reason: str | None = None
) -> dict[str, Any]:
    """A new public model from field values, with `provider` (a key); version 1 and a CREATED entry."""
    values = dict(values)
    provider_key = values.pop("provider", None)
    clean, problems = check_values(values)
    if "modelId" in clean and "universalModelId" not in values:
        clean, problems = check_values({**values, "universalModelId": f"{provider_key}:{clean['modelId']}"})
    if "universalModelId" in clean:
        problems += universal_id_problems(clean["universalModelId"], str(provider_key))
    if problems:
        raise ValidationFailed(problems)
    async with transaction():
        provider_id = await _provider_id(provider_key)
        await _ensure_new_universal_id(clean["universalModelId"])
        row = await _insert_model(provider_id, clean, HistoryAction.CREATED, by, reason)
    log.info("model %s created by %s", row["universal_model_id"], by.username if by else "the command line")
    return row


async def _insert_model(
    provider_id: int,
    clean: Mapping[str, Any],
    action: HistoryAction,
    by: AuthenticatedUser | None,
    reason: str | None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    columns = {**columns_of(clean), **(extra or {}), "provider": provider_id, "version": 1}
    inserted = (
        await AiModel.insert(AiModel.from_dict(columns))
        .on_conflict(target=AiModel.universal_model_id, action="DO NOTHING")
        .returning(AiModel.id)
    )
    if not inserted:  # another request created it since we looked
        raise ValidationFailed.one("universalModelId", f'a model "{clean["universalModelId"]}" already exists')
    row = await AiModel.select().where(AiModel.id == inserted[0]["id"]).output(load_json=True).first()
    assert row is not None
    changes = field_changes({}, {name: value for name, value in values_of(row).items() if name != "lockedFields"})
    await write_history(
        [HistoryRow(row["id"], row["universal_model_id"], 1, action, changes, by, clean_reason(reason))]
    )
    return row


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
        if "enabled" in clean:
            _check_enabling(row, clean["enabled"])
        new_values = {**clean, "lockedFields": _with_locks(row, list(clean))}
        row = await _commit_change(row, new_values, HistoryAction.UPDATED, by, reason)
    return row


async def set_model_enabled(
    model_id: int, enabled: bool, *, by: AuthenticatedUser | None, reason: str | None = None
) -> dict[str, Any]:
    """The admin's on/off switch; an archived model cannot be switched on."""
    async with transaction():
        row = await _locked_row(model_id)
        _check_enabling(row, enabled)
        action = HistoryAction.ENABLED if enabled else HistoryAction.DISABLED
        row = await _commit_change(row, {"enabled": enabled}, action, by, reason)
    return row


async def archive_model(model_id: int, *, by: AuthenticatedUser | None, reason: str | None = None) -> dict[str, Any]:
    """ARCHIVED and disabled; the history and the chats keep their reference."""
    async with transaction():
        row = await _locked_row(model_id)
        if row["status"] == ModelStatus.ARCHIVED.value:
            return row
        if row["is_default"]:
            raise ValidationFailed.one(
                "id", "the default model cannot be archived; make another model the default first"
            )
        extra = {"archived_at": _now(), "archived_by_sync": False, "enabled_before_archive": row["enabled"]}
        new_values = {"status": ModelStatus.ARCHIVED, "enabled": False}
        row = await _commit_change(row, new_values, HistoryAction.ARCHIVED, by, reason, extra)
    return row


async def restore_model(model_id: int, *, by: AuthenticatedUser | None, reason: str | None = None) -> dict[str, Any]:
    """ACTIVE again, but disabled until an admin enables it."""
    async with transaction():
        row = await _locked_row(model_id)
        if row["status"] == ModelStatus.ACTIVE.value:
            return row
        extra = {"archived_at": None, "archived_by_sync": False, "enabled_before_archive": None}
        row = await _commit_change(row, {"status": ModelStatus.ACTIVE}, HistoryAction.RESTORED, by, reason, extra)
    return row


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
        extra = {"config": source["config"], "locked_fields": source["locked_fields"]}
        return await _insert_model(
            source["provider"],
            clean,
            HistoryAction.DUPLICATED,
            by,
            reason or f"copy of {source['universal_model_id']}",
            extra,
        )


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
        new_values = {**restored, "lockedFields": _with_locks(row, changed)}
        reason = reason or f"revert to version {to_version}"
        row = await _commit_change(row, new_values, HistoryAction.REVERTED, by, reason)
    return row


async def set_default_model(model_id: int, *, by: AuthenticatedUser | None) -> dict[str, Any]:
    """Make the model the one default; it must be selectable."""
    async with transaction():
        # Two admins choosing different defaults at once would each clear the old one and collide.
        await serialize("default model")
        row = await _locked_row(model_id)
        if row["is_default"]:
            return row
        if not is_selectable(row):
            raise ValidationFailed.one("id", "the default model must be selectable: active, enabled and available")
        current = await for_update(AiModel.select().where(AiModel.is_default.eq(True)).output(load_json=True)).first()
        if current is not None:
            await _commit_change(
                current,
                {"isDefault": False},
                HistoryAction.UPDATED,
                by,
                f"{row['universal_model_id']} is the default now",
            )
        row = await _commit_change(row, {"isDefault": True}, HistoryAction.UPDATED, by, "made the default")
    return row


async def unlock_fields(model_id: int, fields: list[str], *, by: AuthenticatedUser | None) -> dict[str, Any]:
    """Let sync update these fields again."""
    unknown = [field for field in fields if field not in LOCKABLE_FIELDS]
    if unknown:
        raise ValidationFailed.one(
            "fields",
            f"not lockable: {', '.join(unknown[:10])}; lockable fields are {', '.join(sorted(LOCKABLE_FIELDS))}",
        )
    async with transaction():
        row = await _locked_row(model_id)
        remaining = [field for field in row["locked_fields"] if field not in fields]
        row = await _commit_change(row, {"lockedFields": remaining}, HistoryAction.UPDATED, by, "fields unlocked")
    return row


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
