"""The one writer of `ai_models` rows: every change to a model, single or bulk, from every path.

It checks the rules (rules.py), bumps the version by exactly one, keeps the
lifecycle columns, writes a model_prices row for every price change (effective
now, or at the later moment that schedules it) and one history row per change,
in the caller's transaction and in a few statements per BATCH rows. A caller reads the rows it
changes in that transaction first, locked: lock_models locks them in the one
global order (by id), so two bulk writers never wait on each other in a circle.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from piccolo.columns.combination import WhereRaw

from api.catalog import price_series
from api.catalog.fields import (
    EFFECTIVE_FROM,
    LOCKABLE_FIELDS,
    MODEL_COLUMNS,
    PRICE_FIELDS,
    RATE_FIELDS,
    clean_reason,
    json_value,
    values_of,
)
from api.catalog.history import HistoryRow, field_changes, write_history
from api.catalog.price_series import NewPrice
from api.catalog.prices import Rates
from api.catalog.rules import change_problems, without_locked
from api.database import Contended, for_update, serialize
from api.errors import FieldError, NotFound, ValidationFailed
from api.live.revision import EventKind, record_change, record_model_rows
from api.users.service import AuthenticatedUser
from domain.choices import HistoryAction, ModelStatus
from tables.catalog import AiModel

__all__ = [
    "BATCH",
    "SYNC_FIELDS",
    "ModelChange",
    "NewModel",
    "archive_models",
    "insert_models",
    "lock_models",
    "lock_models_where",
    "make_default",
    "restore_models",
    "set_availability",
    "sync_models",
    "update_models",
]

# Rows per statement: the bound parameters (one per column) stay far below SQLite's
# 32,766 and PostgreSQL's 32,767 even if the table grows to 60 columns.
BATCH = 500
# What sync may change: what describes a model, and its ids (a provider may change a model id's case).
SYNC_FIELDS = frozenset({*LOCKABLE_FIELDS, "modelId", "universalModelId"})
# Every column an update rewrites: all of them but the key and the creation time.
UPDATED_COLUMNS = [column for column in AiModel._meta.columns if column._meta.name not in ("id", "created_at")]
TABLE_COLUMNS = frozenset(column._meta.name for column in AiModel._meta.columns)
# The version the caller read is the one in the table: anything else means the row moved under a caller that
# did not lock it, and nothing of the batch is written.
UNMOVED = WhereRaw("ai_models.version + 1 = excluded.version")

T = TypeVar("T")
# values_of reads a whole model row; for a bare price the model's own fields are left empty.
_NO_MODEL = dict.fromkeys(MODEL_COLUMNS.values())


@dataclass(frozen=True)
class NewModel:
    """A model to insert: its values by field name (universalModelId and modelId among them) and where it belongs."""

    provider_id: int
    values: Mapping[str, Any]
    config: Mapping[str, Any] | None = None  # the provider's raw record
    owner_id: int | None = None  # the user whose local endpoint serves it; None: a public model
    endpoint_id: int | None = None  # the local endpoint it was discovered on (owner_id is that endpoint's owner)
    prices_from: datetime | None = None  # a later moment schedules its first price; None: since it was added
    # Later prices already announced (an export's scheduledPrices): (moment, price values by field name).
    scheduled: Sequence[tuple[datetime, Mapping[str, Any]]] = ()


@dataclass(frozen=True)
class ModelChange:
    """New values, by field name, for a row read (and locked) in this transaction."""

    row: Mapping[str, Any]
    values: Mapping[str, Any]
    config: Mapping[str, Any] | None = None  # replaces the raw record when the change writes
    prices_from: datetime | None = None  # a later moment schedules the price change; None: now


def _now() -> datetime:
    return datetime.now(UTC)


def _batches(items: Sequence[T]) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def _columns(values: Mapping[str, Any]) -> dict[str, Any]:
    """The ai_models field values keyed by column name, as piccolo writes them (prices are a series of their own)."""
    return {
        MODEL_COLUMNS[name]: value.value if isinstance(value, enum.Enum) else value
        for name, value in values.items()
        if name in MODEL_COLUMNS
    }


def _price_of(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if name in PRICE_FIELDS}


def _new_price(model_id: int, moment: datetime | None, values: Mapping[str, Any], version: int) -> NewPrice:
    """The whole price that price field values (a full set, by field name) make."""
    rates = Rates(*(values.get(name) for name in RATE_FIELDS))
    return NewPrice(
        model_id, moment, rates, values.get("pricing.tiers") or [], values.get("pricing.windows") or [], version
    )


def _stored(row: Mapping[str, Any]) -> dict[str, Any]:
    """Only what ai_models holds of a row read with its price."""
    return {name: value for name, value in row.items() if name in TABLE_COLUMNS}


def _status(values: Mapping[str, Any], default: str) -> ModelStatus:
    return ModelStatus(values.get("status", default))


def _archived_means_disabled(row: Mapping[str, Any] | None, values: Mapping[str, Any]) -> dict[str, Any]:
    """The values, disabled when they archive the model and say nothing of `enabled`."""
    values = dict(values)
    before = row["status"] if row is not None else ModelStatus.ACTIVE.value
    if _status(values, before) is ModelStatus.ARCHIVED and before != ModelStatus.ARCHIVED.value:
        values.setdefault("enabled", False)
    return values


def _lifecycle(
    row: Mapping[str, Any], values: Mapping[str, Any], now: datetime, archived_by_sync: bool
) -> dict[str, Any]:
    """When it was archived, by whom, and the `enabled` a restore by sync gives back, for a status that changes."""
    before, after = ModelStatus(row["status"]), _status(values, row["status"])
    if before is after:
        return {}
    if after is ModelStatus.ARCHIVED:
        return {"archived_at": now, "archived_by_sync": archived_by_sync, "enabled_before_archive": row["enabled"]}
    return {"archived_at": None, "archived_by_sync": False, "enabled_before_archive": None}


def _raise_problems(problems: list[tuple[str, FieldError]], bulk: bool) -> None:
    if problems:
        raise ValidationFailed(
            [FieldError(p.field, f"{universal}: {p.message}" if bulk else p.message) for universal, p in problems]
        )


async def lock_models(ids: Iterable[int]) -> list[dict[str, Any]]:
    """The rows of these ids, read and locked for the caller's transaction in ascending id order."""
    ordered = sorted(set(ids))
    rows: list[dict[str, Any]] = []
    for batch in _batches(ordered):
        query = AiModel.select().where(AiModel.id.is_in(list(batch))).order_by(AiModel.id).output(load_json=True)
        rows += await for_update(query)
    return await price_series.with_prices(rows)


async def lock_models_where(*where: Any) -> list[dict[str, Any]]:
    """The rows matching `where` (e.g. one provider's public models), locked in ascending id order."""
    return await lock_models(row["id"] for row in await AiModel.select(AiModel.id).where(*where))


async def insert_models(
    models: Sequence[NewModel], action: HistoryAction, *, by: AuthenticatedUser | None, reason: str | None
) -> list[dict[str, Any]]:
    """Insert the models at version 1 with one history row each; the rows as stored, in the order given.

    A universalModelId another transaction took meanwhile raises Contended
    (nothing of the caller's transaction is kept; running it again sees the row).
    """
    reason = clean_reason(reason)
    prepared = [_archived_means_disabled(None, model.values) for model in models]
    _raise_problems(
        [(str(values.get("universalModelId")), p) for values in prepared for p in change_problems(None, values)],
        len(models) > 1,
    )
    now = _now()
    stored: list[dict[str, Any]] = []
    for batch in _batches(list(zip(models, prepared, strict=True))):
        inserted = (
            await AiModel.insert(*(AiModel.from_dict(_new_columns(model, values, now)) for model, values in batch))
            .on_conflict(target=AiModel.universal_model_id, action="DO NOTHING")
            .returning(AiModel.id)
        )
        if len(inserted) < len(batch):
            raise Contended("another change created some of these models meanwhile; nothing was written")
        ids = [row["id"] for row in inserted]
        rows = await AiModel.select().where(AiModel.id.is_in(ids)).output(load_json=True)
        by_universal = {row["universal_model_id"]: row for row in rows}
        ordered = [by_universal[values["universalModelId"]] for _, values in batch]
        prices = [
            price
            for (model, values), row in zip(batch, ordered, strict=True)
            for price in _first_prices(row, model, values)
        ]
        await price_series.insert_prices(prices)
        await price_series.with_prices(ordered)
        await write_history(
            [
                _created_entry(row, model, values, action, by, reason)
                for (model, values), row in zip(batch, ordered, strict=True)
            ]
        )
        stored += ordered
    await record_model_rows(stored)
    return stored


def _first_prices(row: Mapping[str, Any], model: NewModel, values: Mapping[str, Any]) -> list[NewPrice]:
    """The price rows a new model starts with: its price (if it has one) and the later ones announced."""
    prices = []
    price = _price_of(values)
    full = {name: price.get(name) for name in PRICE_FIELDS}
    if any(value not in (None, []) for value in full.values()):
        prices.append(_new_price(row["id"], model.prices_from, full, 1))
    for moment, later in model.scheduled:
        prices.append(_new_price(row["id"], moment, {name: later.get(name) for name in PRICE_FIELDS}, 1))
    return prices


def _new_columns(model: NewModel, values: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    columns = {
        **_columns(values),
        "provider": model.provider_id,
        "owner": model.owner_id,
        "endpoint": model.endpoint_id,
        "version": 1,
    }
    if model.config is not None:
        columns["config"] = dict(model.config)
    if _status(values, ModelStatus.ACTIVE.value) is ModelStatus.ARCHIVED:
        columns.update(archived_at=now, archived_by_sync=False, enabled_before_archive=None)
    return columns


def _created_entry(
    row: Mapping[str, Any],
    model: NewModel,
    given: Mapping[str, Any],
    action: HistoryAction,
    by: AuthenticatedUser | None,
    reason: str | None,
) -> HistoryRow:
    values = {name: value for name, value in values_of(row).items() if name not in ("lockedFields", *PRICE_FIELDS)}
    changes = field_changes({}, {**values, **_price_of(given)})
    if model.prices_from is not None and _price_of(given):
        changes.append({"field": EFFECTIVE_FROM, "oldValue": None, "newValue": _moment_json(model.prices_from)})
    for moment, later in model.scheduled:
        changes.append({"field": "pricing.scheduled", "oldValue": None, "newValue": _scheduled_json(moment, later)})
    return HistoryRow(row["id"], row["universal_model_id"], 1, action, changes, by, reason)


def _moment_json(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _scheduled_json(moment: datetime, values: Mapping[str, Any]) -> dict[str, Any]:
    return {"effectiveFrom": _moment_json(moment)} | {
        name.removeprefix("pricing."): json_value(values.get(name)) for name in PRICE_FIELDS
    }


async def update_models(
    changes: Sequence[ModelChange],
    action: HistoryAction,
    *,
    by: AuthenticatedUser | None,
    reason: str | None,
    archived_by_sync: bool = False,
) -> list[dict[str, Any]]:
    """Write each change as its row's next version with one history row; the rows after, in the order given.

    A change that changes nothing writes nothing (its row comes back as it
    was). A change that archives the model disables it unless it says
    otherwise, and remembers who archived it (`archived_by_sync`) and the
    `enabled` it had; one that makes it ACTIVE again clears both.
    """
    reason = clean_reason(reason)
    now = _now()
    after: list[dict[str, Any]] = []
    pending: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    problems: list[tuple[str, FieldError]] = []
    prices: list[NewPrice] = []
    scheduled = await _scheduled_series([change for change in changes if change.prices_from is not None])
    for change in changes:
        values = _archived_means_disabled(change.row, change.values)
        current = values_of(change.row)
        price = _price_of(values)
        moment = change.prices_from
        # The price a change starts from: the one in force at its moment (a scheduled one, perhaps).
        before = current if moment is None else scheduled.get((change.row["id"], moment), current)
        price_diffs = field_changes(before, price)
        other = {name: value for name, value in values.items() if name not in PRICE_FIELDS}
        diffs = field_changes(current, other) + price_diffs
        if price_diffs and moment is not None:
            diffs.append({"field": EFFECTIVE_FROM, "oldValue": None, "newValue": _moment_json(moment)})
        if not diffs:
            after.append(dict(change.row))
            continue
        problems += [(change.row["universal_model_id"], p) for p in change_problems(change.row, values)]
        row = {
            **change.row,
            **_columns(values),
            **_lifecycle(change.row, values, now, archived_by_sync),
            "version": change.row["version"] + 1,
            "updated_at": now,
        }
        if change.config is not None:
            row["config"] = dict(change.config)
        if price_diffs:
            full = {name: before.get(name) for name in PRICE_FIELDS} | price
            prices.append(_new_price(row["id"], moment or now, full, row["version"]))
            if moment is None:
                row.update(price_series.price_values(None) | _row_price(prices[-1]))
        pending.append((row, diffs))
        after.append(row)
    _raise_problems(problems, len(changes) > 1)
    await price_series.delete_scheduled(
        [(p.model_id, p.effective_from) for p in prices if p.effective_from is not None and p.effective_from != now]
    )
    for batch in _batches(pending):
        await _rewrite([_stored(row) for row, _ in batch])
        await write_history(
            [
                HistoryRow(row["id"], row["universal_model_id"], row["version"], action, d, by, reason)
                for row, d in batch
            ]
        )
    if pending:
        await record_model_rows([row for row, _ in pending])
    await price_series.insert_prices(prices)
    return after


def _row_price(price: NewPrice) -> dict[str, Any]:
    """The keys with_prices gives a row, for a price just written effective now."""
    return {
        "input_price": price.rates.input,
        "output_price": price.rates.output,
        "cached_input_price": price.rates.cached_input,
        "cache_write_price": price.rates.cache_write,
        "price_tiers": list(price.tiers),
        "price_windows": list(price.windows),
        "price_effective_from": price.effective_from,
    }


async def _scheduled_series(changes: Sequence[ModelChange]) -> dict[tuple[int, datetime], dict[str, Any]]:
    """For each scheduled change: the price field values in force at its moment, before the change."""
    series = await price_series.series_of(change.row["id"] for change in changes)
    found = {}
    for change in changes:
        assert change.prices_from is not None
        price = price_series.in_force(series.get(change.row["id"], []), change.prices_from)
        found[(change.row["id"], change.prices_from)] = values_of(price_series.price_values(price) | _NO_MODEL)
    return found


async def _rewrite(rows: Sequence[Mapping[str, Any]]) -> None:
    """Every column of these rows in one statement: INSERT ... ON CONFLICT (id) DO UPDATE."""
    # Naming the id means the INSERT never draws from the id sequence, and ON CONFLICT always finds the row.
    written = (
        await AiModel.insert(*(AiModel.from_dict(dict(row)) for row in rows))
        .on_conflict(target=AiModel.id, action="DO UPDATE", values=UPDATED_COLUMNS, where=UNMOVED)
        .returning(AiModel.id)
    )
    if len(written) < len(rows):
        raise Contended("another change wrote some of these models meanwhile; nothing was written")


async def archive_models(
    rows: Sequence[Mapping[str, Any]],
    *,
    by: AuthenticatedUser | None,
    reason: str | None,
    by_sync: bool = False,
) -> list[dict[str, Any]]:
    """ARCHIVED and disabled (ARCHIVED in history); rows already archived stay as they are."""
    archived = {"status": ModelStatus.ARCHIVED, "enabled": False}
    changes = [ModelChange(row, archived if row["status"] != ModelStatus.ARCHIVED.value else {}) for row in rows]
    return await update_models(changes, HistoryAction.ARCHIVED, by=by, reason=reason, archived_by_sync=by_sync)


async def restore_models(
    rows: Sequence[Mapping[str, Any]],
    *,
    by: AuthenticatedUser | None,
    reason: str | None,
    by_sync: bool = False,
) -> list[dict[str, Any]]:
    """ACTIVE again (RESTORED): by a person still disabled; by sync only what sync archived, with its old `enabled`."""
    changes = []
    for row in rows:
        values: dict[str, Any] = {}
        if row["status"] == ModelStatus.ARCHIVED.value and not by_sync:
            values = {"status": ModelStatus.ACTIVE}
        elif row["status"] == ModelStatus.ARCHIVED.value and row["archived_by_sync"]:
            # what an admin archived stays archived, whatever the provider lists
            values = {"status": ModelStatus.ACTIVE, "enabled": bool(row["enabled_before_archive"])}
        changes.append(ModelChange(row, values))
    return await update_models(changes, HistoryAction.RESTORED, by=by, reason=reason)


async def sync_models(
    changes: Sequence[ModelChange], *, by: AuthenticatedUser | None, reason: str | None
) -> list[dict[str, Any]]:
    """What a provider now says of its models (SYNCED), leaving alone every field a person locked."""
    foreign = [name for change in changes for name in change.values if name not in SYNC_FIELDS]
    if foreign:
        raise ValueError(f"sync does not own {', '.join(sorted(set(foreign)))}")
    kept = [ModelChange(change.row, without_locked(change.row, change.values), change.config) for change in changes]
    return await update_models(kept, HistoryAction.SYNCED, by=by, reason=reason)


async def make_default(model_id: int, *, by: AuthenticatedUser | None) -> dict[str, Any]:
    """Make the public model the one default, clearing the old one; it must be selectable."""
    # Two admins choosing different defaults at once would each clear the old one and collide.
    await serialize("default model")
    current = await AiModel.select(AiModel.id).where(AiModel.is_default.eq(True)).first()
    locked = {row["id"]: row for row in await lock_models({model_id} | ({current["id"]} if current else set()))}
    row = locked.get(model_id)
    if row is None or row["owner"] is not None:
        raise NotFound(f"no model with id {model_id}")
    if row["is_default"]:
        return row
    _raise_problems([(row["universal_model_id"], p) for p in change_problems(row, {"isDefault": True})], False)
    if current is not None:
        await update_models(
            [ModelChange(locked[current["id"]], {"isDefault": False})],
            HistoryAction.UPDATED,
            by=by,
            reason=f"{row['universal_model_id']} is the default now",
        )
    [made] = await update_models(
        [ModelChange(row, {"isDefault": True})], HistoryAction.UPDATED, by=by, reason="made the default"
    )
    return made


async def set_availability(provider_id: int, available: bool | frozenset[str]) -> list[int]:
    """Whether the provider's public models can be called now: all or none, or those whose modelId is listed.

    Availability is runtime state, not a change a person made: it bumps no
    version and writes no history, only the catalog revision (an AVAILABILITY
    event) when something flipped. The ids whose availability changed come back.
    """
    rows = await AiModel.select(AiModel.id, AiModel.model_id, AiModel.universal_model_id, AiModel.is_available).where(
        (AiModel.provider == provider_id) & AiModel.owner.is_null()
    )
    flips: dict[bool, list[int]] = {True: [], False: []}
    universal: list[str] = []
    for row in rows:
        now = available if isinstance(available, bool) else row["model_id"] in available
        if now != row["is_available"]:
            flips[now].append(row["id"])
            universal.append(row["universal_model_id"])
    for value, ids in flips.items():
        for batch in _batches(ids):
            await AiModel.update({AiModel.is_available: value}).where(AiModel.id.is_in(list(batch)))
    changed = sorted(flips[True] + flips[False])
    if changed:
        await record_change(EventKind.AVAILABILITY, model_ids=changed, universal_model_ids=universal)
    return changed
