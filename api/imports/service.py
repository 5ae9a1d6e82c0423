"""Importing models in bulk: every row checked first, then one transaction of batched statements."""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from api.catalog import writer
from api.catalog.fields import MODEL_COLUMNS, clean_reason, values_of
from api.catalog.history import field_changes
from api.catalog.price_series import in_force, price_values, series_of, with_prices
from api.catalog.prices import Price
from api.catalog.rules import change_problems, without_locked
from api.catalog.writer import ModelChange, NewModel
from api.database import retrying, transaction
from api.imports.document import (
    DocumentFormat,
    ImportRow,
    ParsedDocument,
    ProviderRow,
    RowProblem,
    detect_format,
    load_document,
    parse_catalog,
    parse_litellm,
)
from api.live.revision import EventKind, record_change
from api.users.service import AuthenticatedUser
from domain.choices import HistoryAction, ModelStatus
from tables.catalog import AiModel, Provider

__all__ = ["ImportMode", "ImportOutcome", "import_models"]

log = logging.getLogger("modelcatalog.imports")

BATCH = writer.BATCH  # models per step of progress
_NO_MODEL = dict.fromkeys(MODEL_COLUMNS.values())
# Providers per INSERT: a document may name thousands, and PostgreSQL binds at most 32,767 parameters.
PROVIDER_BATCH = 500
Progress = Callable[[int, int], None]


class ImportMode(enum.StrEnum):
    CREATE_ONLY = "CREATE_ONLY"  # add what is missing; never change an existing model
    UPSERT = "UPSERT"


@dataclass
class ImportOutcome:
    format: DocumentFormat
    applied: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0  # CREATE_ONLY: models that exist with other values, left as they are
    providers_created: int = 0
    errors: list[RowProblem] = field(default_factory=list)
    skipped: list[RowProblem] = field(default_factory=list)
    not_chat: int = 0


@dataclass
class _Change:
    row: ImportRow
    existing: dict[str, Any]
    values: dict[str, Any]
    changes: list[dict[str, Any]]


@dataclass
class _Plan:
    new_providers: list[ProviderRow] = field(default_factory=list)
    creates: list[ImportRow] = field(default_factory=list)
    updates: list[_Change] = field(default_factory=list)
    unchanged: int = 0
    kept: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    default: ImportRow | None = None  # the row that names itself the default


async def import_models(
    document: Any,
    *,
    mode: ImportMode = ImportMode.UPSERT,
    dry_run: bool = False,
    reason: str | None = None,
    format: DocumentFormat = DocumentFormat.AUTO,
    strict: bool = False,
    new_models_enabled: bool | None = None,
    by: AuthenticatedUser | None = None,
    today: date | None = None,
    progress: Progress | None = None,
) -> ImportOutcome:
    """Import a modelcatalog/v1 document (all or nothing) or LiteLLM's price file (lenient unless strict).

    A LiteLLM file's new models arrive disabled unless `new_models_enabled` (the file lists thousands of
    deployments; an admin enables those the product offers); a modelcatalog/v1 row says its own `enabled`.
    """
    clean_reason(reason)  # a bad reason fails before any work
    document = load_document(document)
    kind = detect_format(document, format)
    if kind is DocumentFormat.MODELCATALOG:
        parsed = parse_catalog(document)
    else:
        parsed = parse_litellm(document, today=today or datetime.now(UTC).date())
    lenient = kind is DocumentFormat.LITELLM and not strict
    outcome = ImportOutcome(format=kind, not_chat=parsed.not_chat)
    if parsed.problems and not lenient:
        outcome.errors = parsed.problems
        return outcome
    outcome.skipped = list(parsed.problems)
    _defaults(parsed, lenient)
    if kind is DocumentFormat.LITELLM:
        for row in parsed.rows:
            row.enable_new = bool(new_models_enabled)
    if parsed.problems and not lenient:
        outcome.errors = parsed.problems
        return outcome
    if dry_run:
        plan = await _plan(parsed, mode, lenient, lock=False)
    else:
        plan = await _apply(parsed, mode, lenient, kind, by, reason, progress)
    if plan.problems and not lenient:
        outcome.errors = plan.problems
        return outcome
    outcome.skipped = sorted(outcome.skipped + plan.problems, key=lambda problem: problem.index)
    outcome.applied = not dry_run
    outcome.created, outcome.updated = len(plan.creates), len(plan.updates)
    outcome.unchanged, outcome.kept = plan.unchanged, plan.kept
    outcome.providers_created = len(plan.new_providers)
    if outcome.applied:
        log.info(
            "import by %s: %d created, %d updated, %d unchanged, %d skipped",
            by.username if by else "the command line",
            outcome.created,
            outcome.updated,
            outcome.unchanged,
            len(outcome.skipped),
        )
    return outcome


def _defaults(parsed: ParsedDocument, lenient: bool) -> None:
    """One row at most may name itself the default; a second is a problem of its own."""
    first = None
    for row in parsed.rows:
        if not row.is_default:
            continue
        if first is None:
            first = row
            continue
        parsed.problems.append(
            RowProblem(
                row.index, row.universal_model_id, row.source_key, "isDefault", f"row {first.index} is the default"
            )
        )
        row.is_default = False
    parsed.problems.sort(key=lambda problem: problem.index)


@retrying
async def _apply(
    parsed: ParsedDocument,
    mode: ImportMode,
    lenient: bool,
    kind: DocumentFormat,
    by: AuthenticatedUser | None,
    reason: str | None,
    progress: Progress | None,
) -> _Plan:
    """Plan and write in one transaction, which runs again when it deadlocks or loses a race."""
    async with transaction(bulk=True):
        plan = await _plan(parsed, mode, lenient, lock=True)
        if not plan.problems or lenient:
            await _write(plan, kind, by, reason, progress)
    return plan


async def _plan(parsed: ParsedDocument, mode: ImportMode, lenient: bool, *, lock: bool) -> _Plan:
    """What the rows would change, read inside the caller's transaction (rows locked when `lock`)."""
    plan = _Plan()
    known = {row["key"]: row["id"] for row in await Provider.select(Provider.key, Provider.id)}
    plan.new_providers = [provider for provider in parsed.providers if provider.key not in known]
    offered = known.keys() | {provider.key for provider in parsed.providers}
    existing = await _existing([row.universal_model_id for row in parsed.rows], lock=lock)
    announced = [
        existing[row.universal_model_id]["id"]
        for row in parsed.rows
        if row.scheduled and row.universal_model_id in existing
    ]
    series = await series_of(announced)
    plan.default = next((row for row in parsed.rows if row.is_default), None)
    for row in parsed.rows:
        if row.provider not in offered:
            plan.problems.append(_problem(row, "provider", f'no provider "{row.provider}" in the catalog or document'))
            continue
        current = existing.get(row.universal_model_id)
        if current is None:
            plan.creates.append(row)
            continue
        problem = _conflict(row, current, known)
        if problem:
            plan.problems.append(problem)
            continue
        values = _new_values(row, current)
        changes = field_changes(values_of(current), values)
        changes += _schedule_changes(row, series.get(current["id"], []))
        broken = change_problems(current, values) if changes else []
        if broken:
            plan.problems.append(_problem(row, broken[0].field, broken[0].message))
        elif not changes:
            plan.unchanged += 1
        elif mode is ImportMode.CREATE_ONLY:
            plan.kept += 1
        else:
            plan.updates.append(_Change(row, current, values, changes))
    return plan


def _schedule_changes(row: ImportRow, series: Sequence[Price]) -> list[dict[str, Any]]:
    """The field changes the row's announced prices make to the model's series."""
    changes = []
    for moment, later in row.scheduled:
        before = values_of(price_values(in_force(series, moment)) | _NO_MODEL)
        changes += field_changes(before, later)
    return changes


def _problem(row: ImportRow, field: str | None, message: str) -> RowProblem:
    return RowProblem(row.index, row.universal_model_id, row.source_key, field, message)


async def _existing(universal_ids: list[str], *, lock: bool) -> dict[str, dict[str, Any]]:
    """The catalog's rows of these universalModelIds; locked in id order when `lock`, as every bulk writer locks."""
    ids: list[int] = []
    rows: list[dict[str, Any]] = []
    for start in range(0, len(universal_ids), BATCH):
        chunk = universal_ids[start : start + BATCH]
        if lock:
            ids += [
                row["id"] for row in await AiModel.select(AiModel.id).where(AiModel.universal_model_id.is_in(chunk))
            ]
        else:
            rows += await AiModel.select().where(AiModel.universal_model_id.is_in(chunk)).output(load_json=True)
    rows = await writer.lock_models(ids) if lock else await with_prices(rows)
    return {row["universal_model_id"]: row for row in rows}


def _conflict(row: ImportRow, current: Mapping[str, Any], known: Mapping[str, int]) -> RowProblem | None:
    if current["owner"] is not None:
        return _problem(row, "universalModelId", "taken by a model of a user's local endpoint")
    if known.get(row.provider) != current["provider"]:
        return _problem(row, "provider", "the catalog has this universalModelId under another provider")
    return None


def _new_values(row: ImportRow, current: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the row sets: on a new model everything; on an existing one what the row states."""
    values = dict(row.values)
    if current is not None and row.stated is not None:
        stated = {name: value for name, value in values.items() if name in row.stated}
        if "capabilities" in stated:
            # the row's vocabulary tags replace those it states; every other tag (an admin's own) stays
            kept = [tag for tag in current["capabilities"] if tag not in row.stated_tags]
            stated["capabilities"] = [
                *stated["capabilities"],
                *(tag for tag in kept if tag not in stated["capabilities"]),
            ]
        values = without_locked(current, stated)
        values.setdefault("status", ModelStatus(current["status"]))
    if "enabled" not in values:
        # A foreign file says nothing of the admin's switch: it stays, except that archiving disables.
        archived = values["status"] == ModelStatus.ARCHIVED
        values["enabled"] = False if archived else (current["enabled"] if current is not None else row.enable_new)
    return values


async def _write(
    plan: _Plan, kind: DocumentFormat, by: AuthenticatedUser | None, reason: str | None, progress: Progress | None
) -> None:
    await _insert_providers(plan.new_providers)
    provider_ids = {row["key"]: row["id"] for row in await Provider.select(Provider.key, Provider.id)}
    total, done = len(plan.creates) + len(plan.updates), 0
    reason = clean_reason(reason) or ("LiteLLM price file" if kind is DocumentFormat.LITELLM else "catalog import")
    # New rows in one order (their universalModelId) too, so two imports creating the same models queue on the
    # first row instead of each holding one the other needs.
    creates = sorted(plan.creates, key=lambda row: row.universal_model_id)
    for start in range(0, len(creates), BATCH):
        batch = creates[start : start + BATCH]
        models = [
            NewModel(
                provider_ids[row.provider],
                {"universalModelId": row.universal_model_id, **_new_values(row, None)},
                config=row.config,
                scheduled=row.scheduled,
            )
            for row in batch
        ]
        await writer.insert_models(models, HistoryAction.IMPORTED, by=by, reason=reason)
        done += len(batch)
        if progress:
            progress(done, total)
    for start in range(0, len(plan.updates), BATCH):
        updates = plan.updates[start : start + BATCH]
        changes = [ModelChange(change.existing, change.values, config=change.row.config) for change in updates]
        written = await writer.update_models(changes, HistoryAction.IMPORTED, by=by, reason=reason)
        await _write_scheduled([change.row for change in updates], written, by, reason)
        done += len(updates)
        if progress:
            progress(done, total)
    if plan.default is not None:
        named = plan.default.universal_model_id
        made = await AiModel.select(AiModel.id).where(AiModel.universal_model_id == named).first()
        if made is not None:
            await writer.make_default(made["id"], by=by)


async def _write_scheduled(
    rows: Sequence[ImportRow], written: Sequence[dict[str, Any]], by: AuthenticatedUser | None, reason: str
) -> None:
    """The rows' announced prices, one change per moment (each a version of its model, with history)."""
    current = list(written)
    for step in range(max((len(row.scheduled) for row in rows), default=0)):
        changes = [
            ModelChange(model, row.scheduled[step][1], prices_from=row.scheduled[step][0])
            for row, model in zip(rows, current, strict=True)
            if step < len(row.scheduled)
        ]
        changed = iter(await writer.update_models(changes, HistoryAction.IMPORTED, by=by, reason=reason))
        current = [
            next(changed) if step < len(row.scheduled) else model for row, model in zip(rows, current, strict=True)
        ]


async def _insert_providers(providers: Sequence[ProviderRow]) -> None:
    """The document's new providers, in key order, a batch per statement."""
    ordered = sorted(providers, key=lambda provider: provider.key)
    for start in range(0, len(ordered), PROVIDER_BATCH):
        await Provider.insert(
            *(
                Provider(key=p.key, kind=p.kind.value, display_name=p.display_name, base_url=p.base_url)
                for p in ordered[start : start + PROVIDER_BATCH]
            )
        ).on_conflict(target=Provider.key, action="DO NOTHING")
    if ordered:
        await record_change(EventKind.PROVIDER, provider_keys=[p.key for p in ordered])
