"""Importing models in bulk: every row checked first, then one transaction of batched statements."""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from api.catalog.fields import values_of
from api.catalog.history import HistoryRow, field_changes, write_history
from api.catalog.service import clean_reason, columns_of
from api.database import for_update, transaction
from api.errors import Conflict
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
from api.users.service import AuthenticatedUser
from domain.choices import HistoryAction, ModelStatus
from tables.catalog import AiModel, Provider

__all__ = ["ImportMode", "ImportOutcome", "import_models"]

log = logging.getLogger("modelcatalog.imports")

BATCH = 500  # rows per statement: about 30 columns each stays under every engine's parameter limit
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


async def import_models(
    document: Any,
    *,
    mode: ImportMode = ImportMode.UPSERT,
    dry_run: bool = False,
    reason: str | None = None,
    format: DocumentFormat = DocumentFormat.AUTO,
    strict: bool = False,
    by: AuthenticatedUser | None = None,
    today: date | None = None,
    progress: Progress | None = None,
) -> ImportOutcome:
    """Import a modelcatalog/v1 document (all or nothing) or LiteLLM's price file (lenient unless strict)."""
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
    if dry_run:
        plan = await _plan(parsed, mode, lenient)
    else:
        async with transaction():
            plan = await _plan(parsed, mode, lenient)
            if not plan.problems or lenient:
                await _write(plan, kind, by, reason, progress)
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


async def _plan(parsed: ParsedDocument, mode: ImportMode, lenient: bool) -> _Plan:
    """What the rows would change, read inside the caller's transaction (rows locked on PostgreSQL)."""
    plan = _Plan()
    known = {row["key"]: row["id"] for row in await Provider.select(Provider.key, Provider.id)}
    plan.new_providers = [provider for provider in parsed.providers if provider.key not in known]
    offered = known.keys() | {provider.key for provider in parsed.providers}
    existing = await _existing([row.universal_model_id for row in parsed.rows])
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
        if not changes:
            plan.unchanged += 1
        elif mode is ImportMode.CREATE_ONLY:
            plan.kept += 1
        else:
            plan.updates.append(_Change(row, current, values, changes))
    return plan


def _problem(row: ImportRow, field: str | None, message: str) -> RowProblem:
    return RowProblem(row.index, row.universal_model_id, row.source_key, field, message)


async def _existing(universal_ids: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(universal_ids), BATCH):
        chunk = universal_ids[start : start + BATCH]
        query = AiModel.select().where(AiModel.universal_model_id.is_in(chunk)).output(load_json=True)
        for row in await for_update(query):
            found[row["universal_model_id"]] = row
    return found


def _conflict(row: ImportRow, current: Mapping[str, Any], known: Mapping[str, int]) -> RowProblem | None:
    if current["owner"] is not None:
        return _problem(row, "universalModelId", "taken by a model of a user's local endpoint")
    if known.get(row.provider) != current["provider"]:
        return _problem(row, "provider", "the catalog has this universalModelId under another provider")
    if current["is_default"]:
        status = row.values.get("status", current["status"])
        if status == ModelStatus.ARCHIVED or row.values.get("enabled") is False:
            return _problem(row, "enabled", "this is the default model, which must stay selectable")
    return None


def _new_values(row: ImportRow, current: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the row sets: on a new model everything; on an existing one what the row states."""
    values = dict(row.values)
    if current is not None and row.stated is not None:
        locked = set(current["locked_fields"])
        values = {name: value for name, value in values.items() if name in row.stated and name not in locked}
        values.setdefault("status", ModelStatus(current["status"]))
    if "enabled" not in values:
        # A foreign file says nothing of the admin's switch: it stays, except that archiving disables.
        archived = values["status"] == ModelStatus.ARCHIVED
        values["enabled"] = False if archived else (current["enabled"] if current is not None else True)
    return values


async def _write(
    plan: _Plan, kind: DocumentFormat, by: AuthenticatedUser | None, reason: str | None, progress: Progress | None
) -> None:
    if plan.new_providers:
        await Provider.insert(
            *(
                Provider(key=p.key, kind=p.kind.value, display_name=p.display_name, base_url=p.base_url)
                for p in plan.new_providers
            )
        ).on_conflict(target=Provider.key, action="DO NOTHING")
    provider_ids = {row["key"]: row["id"] for row in await Provider.select(Provider.key, Provider.id)}
    total, done = len(plan.creates) + len(plan.updates), 0
    reason = clean_reason(reason) or ("LiteLLM price file" if kind is DocumentFormat.LITELLM else "catalog import")
    now = datetime.now(UTC)
    for start in range(0, len(plan.creates), BATCH):
        batch = plan.creates[start : start + BATCH]
        await _insert(batch, provider_ids, now, by, reason)
        done += len(batch)
        if progress:
            progress(done, total)
    for start in range(0, len(plan.updates), BATCH):
        changes = plan.updates[start : start + BATCH]
        await _update(changes, now, by, reason)
        done += len(changes)
        if progress:
            progress(done, total)


def _lifecycle(values: Mapping[str, Any], current: Mapping[str, Any] | None, now: datetime) -> dict[str, Any]:
    """archived_at and what restoring needs, for the status the row arrives with."""
    if values["status"] != ModelStatus.ARCHIVED:
        return {"archived_at": None, "archived_by_sync": False, "enabled_before_archive": None}
    if current is not None and current["status"] == ModelStatus.ARCHIVED.value:
        return {name: current[name] for name in ("archived_at", "archived_by_sync", "enabled_before_archive")}
    before = current["enabled"] if current is not None else None
    return {"archived_at": now, "archived_by_sync": False, "enabled_before_archive": before}


async def _insert(
    rows: Sequence[ImportRow], provider_ids: Mapping[str, int], now: datetime, by: AuthenticatedUser | None, reason: str
) -> None:
    models, created = [], []
    for row in rows:
        values = _new_values(row, None)
        created.append(values)
        columns = {**columns_of(values), **_lifecycle(values, None, now)}
        columns.update(provider=provider_ids[row.provider], universal_model_id=row.universal_model_id, version=1)
        if row.config is not None:
            columns["config"] = row.config
        models.append(AiModel.from_dict(columns))
    inserted = (
        await AiModel.insert(*models)
        .on_conflict(target=AiModel.universal_model_id, action="DO NOTHING")
        .returning(AiModel.id, AiModel.universal_model_id)
    )
    if len(inserted) < len(models):  # another request created some of them since we looked: roll back
        raise Conflict("another change created some of these models meanwhile; nothing was written, import again")
    ids = {found["universal_model_id"]: found["id"] for found in inserted}
    await write_history(
        [
            HistoryRow(
                ids[row.universal_model_id],
                row.universal_model_id,
                1,
                HistoryAction.IMPORTED,
                field_changes({}, values),
                by,
                reason,
            )
            for row, values in zip(rows, created, strict=True)
        ]
    )


UPSERT_COLUMNS = [
    AiModel.model_id,
    AiModel.display_name,
    AiModel.description,
    AiModel.context_window,
    AiModel.max_output_tokens,
    AiModel.supports_tools,
    AiModel.supports_vision,
    AiModel.capabilities,
    AiModel.speed_tier,
    AiModel.cost_tier,
    AiModel.input_price,
    AiModel.output_price,
    AiModel.cached_input_price,
    AiModel.status,
    AiModel.enabled,
    AiModel.config,
    AiModel.version,
    AiModel.updated_at,
    AiModel.archived_at,
    AiModel.archived_by_sync,
    AiModel.enabled_before_archive,
]


async def _update(changes: Sequence[_Change], now: datetime, by: AuthenticatedUser | None, reason: str) -> None:
    """Rewrite the changed rows with one INSERT ... ON CONFLICT DO UPDATE per batch."""
    models = []
    for change in changes:
        current = change.existing
        columns = {
            **{column._meta.name: current[column._meta.name] for column in UPSERT_COLUMNS},
            **columns_of(change.values),
            **_lifecycle(change.values, current, now),
            "provider": current["provider"],
            "universal_model_id": current["universal_model_id"],
            "version": current["version"] + 1,
            "updated_at": now,
        }
        if change.row.config is not None:
            columns["config"] = change.row.config
        models.append(AiModel.from_dict(columns))
    await AiModel.insert(*models).on_conflict(
        target=AiModel.universal_model_id, action="DO UPDATE", values=UPSERT_COLUMNS
    )
    await write_history(
        [
            HistoryRow(
                c.existing["id"],
                c.existing["universal_model_id"],
                c.existing["version"] + 1,
                HistoryAction.IMPORTED,
                c.changes,
                by,
                reason,
            )
            for c in changes
        ]
    )
