"""Provider sync: a diff an admin can read, then an apply that changes exactly what was reviewed.

`sync_diff` fetches and compares, writing no model; `apply_sync` re-checks the
fingerprint and writes the reviewed entries through the catalog's one writer
in one transaction; `sync_provider` is the unattended diff-and-apply, which
leaves out every change a guard flagged. Every run writes one sync_runs row.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from adapters.base import Listing
from adapters.errors import ProviderError
from adapters.http import DEFAULT_POLICY, HttpPolicy
from adapters.registry import API_KEY_VARIABLES, BASE_URL_VARIABLES, adapter_for
from api.catalog import writer
from api.catalog.fields import clean_reason
from api.catalog.price_series import with_prices
from api.catalog.writer import ModelChange, NewModel
from api.database import retrying, transaction
from api.endpoints.rules import LOCAL_PROVIDER_KEYS
from api.errors import FieldError, NotFound, ProviderFailed, StaleDiff, ValidationFailed
from api.live.metrics import provider_call
from api.live.revision import EventKind, record_change
from api.secrets import SecretBox, SecretUnreadable
from api.sync.diff import Candidate, ProviderDiff, candidate, compute_diff, fingerprint, listed_values
from api.users.service import AuthenticatedUser
from domain.choices import HistoryAction, ProviderKind, SyncTrigger
from tables.catalog import AiModel, Provider
from tables.sync import SyncRun

__all__ = [
    "AppliedSync",
    "ReviewedSync",
    "api_key_of",
    "apply_sync",
    "fetch_candidates",
    "sync_diff",
    "sync_provider",
    "sync_runs",
]

log = logging.getLogger("modelcatalog.sync")

# How patient a listing is (attempts, total time, timeouts): the adapters' default, one place to tune it.
HTTP_POLICY: HttpPolicy = DEFAULT_POLICY


@dataclass(frozen=True)
class ReviewedSync:
    """What an admin applies: the entries of a diff (or some of them), and the fingerprint it was made at."""

    provider: str
    fingerprint: str
    new: Sequence[Candidate] = ()
    updated: Sequence[Candidate] = ()
    archived: Sequence[str] = ()  # universalModelIds
    restored: Sequence[str] = ()
    reason: str | None = None
    # What the provider lists now of the restored models (the unattended path has it; a review has only ids).
    restored_values: Mapping[str, Candidate] = field(default_factory=dict)


@dataclass
class AppliedSync:
    provider: str
    created: list[dict[str, Any]] = field(default_factory=list)
    updated: list[dict[str, Any]] = field(default_factory=list)
    archived: list[dict[str, Any]] = field(default_factory=list)
    restored: list[dict[str, Any]] = field(default_factory=list)
    run: dict[str, Any] = field(default_factory=dict)

    @property
    def models(self) -> list[dict[str, Any]]:
        return [*self.created, *self.updated, *self.archived, *self.restored]


def _now() -> datetime:
    return datetime.now(UTC)


async def _provider(key: str) -> dict[str, Any]:
    row = await Provider.select().where(Provider.key == key).first() if isinstance(key, str) else None
    if row is None:
        raise NotFound(f'no provider "{key[:64]}"')
    if row["key"] in LOCAL_PROVIDER_KEYS:
        raise ValidationFailed.one(
            "provider", f"{key} holds the models of users' own endpoints; discoverEndpointModels syncs each one"
        )
    return row


def api_key_of(provider: Mapping[str, Any], secrets: SecretBox, environ: Mapping[str, str] = os.environ) -> str | None:
    """The provider's own key, else the environment's (OPENAI_API_KEY, ...); None when it has neither."""
    if provider["api_key"]:
        try:
            return secrets.decrypt(provider["api_key"])
        except SecretUnreadable:
            raise ProviderFailed(
                f"the stored key of {provider['key']} cannot be decrypted with MODELCATALOG_SECRET_KEY; set it again"
            ) from None
    variable = API_KEY_VARIABLES.get(ProviderKind(provider["kind"]))
    return (environ.get(variable) or "").strip() or None if variable else None


def _base_url(provider: Mapping[str, Any], environ: Mapping[str, str] = os.environ) -> str | None:
    variable = BASE_URL_VARIABLES.get(ProviderKind(provider["kind"]))
    return provider["base_url"] or ((environ.get(variable) or "").strip() or None if variable else None)


async def fetch_listing(provider: Mapping[str, Any], secrets: SecretBox) -> Listing:
    """Everything the provider lists now; ProviderFailed (never holding the key) when it cannot be listed."""
    try:
        # trust_env=False: no proxy from the environment routes around what the operator configured.
        async with httpx.AsyncClient(trust_env=False, follow_redirects=False) as client:
            adapter = adapter_for(
                ProviderKind(provider["kind"]),
                base_url=_base_url(provider),
                api_key=api_key_of(provider, secrets),
                client=client,
                policy=HTTP_POLICY,
            )
            async with provider_call(provider["kind"]):
                return await adapter.list_models()
    except ProviderError as error:
        raise ProviderFailed(str(error)) from None


async def fetch_candidates(provider: Mapping[str, Any], secrets: SecretBox) -> tuple[list[Candidate], list[str]]:
    """The listing in the catalog's terms, and its warnings (entries skipped, values out of bounds)."""
    listing = await fetch_listing(provider, secrets)
    candidates, warnings = [], list(listing.warnings)
    for model in listing.models:
        found, problems = candidate(provider["key"], model.model_id, listed_values(model), model.status, model.config)
        warnings += problems
        if found is not None:
            candidates.append(found)
    return candidates, warnings


async def _public_rows(provider_id: int, *, lock: bool) -> list[dict[str, Any]]:
    where = (AiModel.provider == provider_id) & AiModel.owner.is_null()
    if lock:
        return await writer.lock_models_where(where)
    return await with_prices(await AiModel.select().where(where).order_by(AiModel.id).output(load_json=True))


async def _record_run(
    provider: Mapping[str, Any],
    trigger: SyncTrigger,
    by: AuthenticatedUser | None,
    started_at: datetime,
    *,
    applied: AppliedSync | None = None,
    diff: ProviderDiff | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    counts = {"created": 0, "updated": 0, "archived": 0, "restored": 0, "unchanged": 0}
    if applied is not None:
        counts.update(
            created=len(applied.created),
            updated=len(applied.updated),
            archived=len(applied.archived),
            restored=len(applied.restored),
        )
    elif diff is not None:
        counts.update(
            created=len(diff.new), updated=len(diff.updated), archived=len(diff.archived), restored=len(diff.restored)
        )
    if diff is not None:
        counts["unchanged"] = diff.unchanged
    values: dict[str, Any] = {
        "provider": provider["id"],
        "trigger": trigger.value,
        "started_by": by.id if by else None,
        "started_at": started_at,
        "finished_at": _now(),
        "applied": applied is not None,
        "warnings": list(diff.warnings) if diff else [],
        "error": error,
        **counts,
    }
    [inserted] = await SyncRun.insert(SyncRun.from_dict(values)).returning(SyncRun.id)
    return {**values, "id": inserted["id"], "provider_key": provider["key"]}


async def _fetch_or_record(
    provider: dict[str, Any], secrets: SecretBox, trigger: SyncTrigger, by: AuthenticatedUser | None, started: datetime
) -> tuple[list[Candidate], list[str]]:
    """The listing; a failed fetch sets lastSyncError, is recorded as a run and changes nothing else."""
    try:
        return await fetch_candidates(provider, secrets)
    except ProviderFailed as error:
        async with transaction():
            await Provider.update({Provider.last_sync_error: error.message}).where(Provider.id == provider["id"])
            await record_change(EventKind.PROVIDER, provider_keys=[provider["key"]])
            await _record_run(provider, trigger, by, started, error=error.message)
        log.warning("sync of %s failed: %s", provider["key"], error.message)
        raise


async def sync_diff(
    key: str, *, secrets: SecretBox, by: AuthenticatedUser | None, trigger: SyncTrigger = SyncTrigger.MANUAL
) -> tuple[ProviderDiff, dict[str, Any]]:
    """Fetch the provider's listing and compare it with its catalog rows; writes no model, records a run."""
    provider = await _provider(key)
    started = _now()
    candidates, warnings = await _fetch_or_record(provider, secrets, trigger, by, started)
    diff = compute_diff(provider["key"], await _public_rows(provider["id"], lock=False), candidates, warnings)
    run = await _record_run(provider, trigger, by, started, diff=diff)
    return diff, run


def _namespace_problems(key: str, reviewed: ReviewedSync) -> list[FieldError]:
    problems = []
    entries = [
        *(("newModels", c.universal_model_id) for c in reviewed.new),
        *(("updatedModels", c.universal_model_id) for c in reviewed.updated),
        *(("archivedModels", u) for u in reviewed.archived),
        *(("restoredModels", u) for u in reviewed.restored),
    ]
    for index, (name, universal) in enumerate(entries):
        if not universal.startswith(f"{key}:"):
            problems.append(FieldError(f"{name}", f'"{universal[:80]}" is not a model of {key} (entry {index})'))
    return problems


@retrying
async def apply_sync(
    reviewed: ReviewedSync,
    *,
    by: AuthenticatedUser | None,
    trigger: SyncTrigger = SyncTrigger.MANUAL,
    warnings: Sequence[str] = (),
) -> AppliedSync:
    """Write the reviewed entries in one transaction, if the provider's rows are still as they were (STALE_DIFF)."""
    provider = await _provider(reviewed.provider)
    reason = clean_reason(reviewed.reason) or f"sync of {provider['key']}"
    problems = _namespace_problems(provider["key"], reviewed)
    if problems:
        raise ValidationFailed(problems)
    started = _now()
    async with transaction():
        rows = await _public_rows(provider["id"], lock=True)
        if fingerprint(rows) != reviewed.fingerprint:
            raise StaleDiff(
                f"the catalog's {provider['key']} models changed since the diff was made; nothing was written,"
                " make a new diff and review it"
            )
        applied = await _write(provider, rows, reviewed, by, reason)
        await Provider.update({Provider.last_synced_at: _now(), Provider.last_sync_error: None}).where(
            Provider.id == provider["id"]
        )
        await record_change(
            EventKind.PROVIDER,
            provider_keys=[provider["key"]],
            model_ids=(row["id"] for row in applied.models),
            universal_model_ids=(row["universal_model_id"] for row in applied.models),
        )
        diff = ProviderDiff(provider["key"], reviewed.fingerprint, warnings=list(warnings))
        applied.run = await _record_run(provider, trigger, by, started, applied=applied, diff=diff)
    log.info(
        "sync of %s applied by %s: %d new, %d updated, %d archived, %d restored",
        provider["key"],
        by.username if by else "the scheduler",
        len(applied.created),
        len(applied.updated),
        len(applied.archived),
        len(applied.restored),
    )
    return applied


@dataclass(frozen=True)
class _ProviderRows:
    """The provider's rows by universalModelId, found exactly or, failing that, by letter case alone."""

    key: str
    exact: dict[str, dict[str, Any]]
    folded: dict[str, dict[str, Any]]

    @classmethod
    def of(cls, key: str, rows: Sequence[dict[str, Any]]) -> _ProviderRows:
        return cls(
            key,
            {row["universal_model_id"]: row for row in rows},
            {row["universal_model_id"].lower(): row for row in rows},
        )

    def find(self, universal: str) -> dict[str, Any] | None:
        return self.exact.get(universal) or self.folded.get(universal.lower())

    def get(self, universal: str, field_name: str) -> dict[str, Any]:
        row = self.find(universal)
        if row is None:
            raise ValidationFailed.one(field_name, f'{self.key} has no model "{universal[:80]}" to change')
        return row


async def _write(
    provider: Mapping[str, Any],
    rows: Sequence[dict[str, Any]],
    reviewed: ReviewedSync,
    by: AuthenticatedUser | None,
    reason: str,
) -> AppliedSync:
    """Archive, restore, update, then insert, through the writer; every entry checked before anything is written."""
    catalog = _ProviderRows.of(provider["key"], rows)
    taken = [found.universal_model_id for found in reviewed.new if catalog.find(found.universal_model_id)]
    if taken:
        raise ValidationFailed.one("newModels", f'"{taken[0][:80]}" is already in the catalog')
    archived = [catalog.get(universal, "archivedModels") for universal in reviewed.archived]
    restored = [catalog.get(universal, "restoredModels") for universal in reviewed.restored]
    if any(not row["archived_by_sync"] for row in restored):
        raise ValidationFailed.one("restoredModels", "a model an admin archived is restored by an admin, not by sync")
    applied = AppliedSync(provider["key"])
    applied.archived = await writer.archive_models(archived, by=by, reason=reason, by_sync=True)
    applied.restored = await writer.restore_models(restored, by=by, reason=reason, by_sync=True)
    await _write_updates(applied, catalog, reviewed, by, reason)
    new = [
        NewModel(
            provider["id"],
            {**found.values, "universalModelId": found.universal_model_id, "modelId": found.model_id},
            found.config,
        )
        for found in reviewed.new
    ]
    applied.created = await writer.insert_models(new, HistoryAction.CREATED, by=by, reason=reason)
    return applied


async def _write_updates(
    applied: AppliedSync, catalog: _ProviderRows, reviewed: ReviewedSync, by: AuthenticatedUser | None, reason: str
) -> None:
    """The reviewed updates, and what the provider now says of the models just restored (a second version)."""
    current = {row["id"]: row for row in [*applied.archived, *applied.restored]}
    returning = [reviewed.restored_values[u] for u in reviewed.restored if u in reviewed.restored_values]
    changes = []
    for found in [*reviewed.updated, *returning]:
        row = catalog.get(found.universal_model_id, "updatedModels")
        row = current.get(row["id"], row)
        values = dict(found.values)
        if found.universal_model_id != row["universal_model_id"]:
            values.update(universalModelId=found.universal_model_id, modelId=found.model_id)
        changes.append(ModelChange(row, values, found.config))
    synced = await writer.sync_models(changes, by=by, reason=reason)
    restored_ids = {row["id"] for row in applied.restored}
    latest = {row["id"]: row for row in synced}
    applied.restored = [latest.get(row["id"], row) for row in applied.restored]
    applied.updated = [
        after
        for after, change in zip(synced, changes, strict=True)
        if after["version"] != change.row["version"] and after["id"] not in restored_ids
    ]


async def sync_provider(
    key: str,
    *,
    secrets: SecretBox,
    by: AuthenticatedUser | None,
    reason: str | None = None,
    trigger: SyncTrigger = SyncTrigger.MANUAL,
) -> AppliedSync:
    """Diff and apply in one step, for automation: what a guard flagged is left for an admin to review."""
    provider = await _provider(key)
    started = _now()
    candidates, warnings = await _fetch_or_record(provider, secrets, trigger, by, started)
    diff = compute_diff(provider["key"], await _public_rows(provider["id"], lock=False), candidates, warnings)
    held = []
    archived = diff.archived
    if diff.empty_listing or diff.mass_archive:
        archived = []
        held.append(f"{len(diff.archived)} archives held for review")
    updated = [u.candidate for u in diff.updated if u.row["universal_model_id"] not in diff.price_jumps]
    if len(updated) < len(diff.updated):
        held.append(f"{len(diff.updated) - len(updated)} price changes over the guard held for review")
    reviewed = ReviewedSync(
        provider=provider["key"],
        fingerprint=diff.fingerprint,
        new=diff.new,
        updated=updated,
        archived=[row["universal_model_id"] for row in archived],
        restored=[row["universal_model_id"] for row, _ in diff.restored],
        reason=reason or f"{trigger.value.lower()} sync of {provider['key']}",
        restored_values={row["universal_model_id"]: found for row, found in diff.restored},
    )
    return await apply_sync(reviewed, by=by, trigger=trigger, warnings=[*diff.warnings, *held])


async def sync_runs(provider: str | None = None, first: int = 20) -> list[dict[str, Any]]:
    """Sync runs, newest first, with their provider's key."""
    query = SyncRun.select(*SyncRun.all_columns(), SyncRun.provider.key.as_alias("provider_key"))
    if provider is not None:
        query = query.where(SyncRun.provider.key == provider)
    return await query.order_by(SyncRun.id, ascending=False).limit(first).output(load_json=True)
