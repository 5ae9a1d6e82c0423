"""Model discovery: an endpoint's listing becomes its owner's private `ai_models` rows, through the one writer.

The listing is read by the sync issue's adapters and compared with the
endpoint's rows by sync's own diff; new models are inserted (owner and endpoint
set), listed ones updated, vanished ones archived and returning ones restored,
in one transaction with the endpoint's availableModels and one DISCOVERED row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from adapters.base import Listing
from api.audit import service as audit
from api.catalog import writer
from api.catalog.fields import MAX_ID
from api.catalog.writer import ModelChange, NewModel
from api.database import for_update, retrying, transaction
from api.endpoints.probe import call_endpoint
from api.endpoints.rate_limit import Probe, claim
from api.endpoints.rules import MAX_MODELS_PER_ENDPOINT, local_provider, model_namespace, provider_kind
from api.endpoints.service import endpoint_row, follow_active, owned_endpoint
from api.endpoints.url_policy import UrlPolicy
from api.errors import Conflict, NotFound, ProviderFailed
from api.secrets import SecretBox
from api.sync.diff import Candidate, candidate, compute_diff, listed_values
from api.users.service import AuthenticatedUser
from domain.choices import AuditAction, AuditEntity, HistoryAction, ModelStatus
from tables.catalog import AiModel, Provider
from tables.endpoints import LocalEndpoint

__all__ = ["candidates_of", "discover_endpoint_models", "local_provider_id"]


def candidates_of(namespace: str, listing: Listing) -> tuple[list[Candidate], list[str]]:
    """The listing in the catalog's terms, as sync reads it; a model the catalog cannot name is left out."""
    found, warnings = [], list(listing.warnings)
    for model in listing.models:
        each, problems = candidate(namespace, model.model_id, listed_values(model), model.status, model.config)
        warnings += problems
        if each is not None and len(each.universal_model_id) <= MAX_ID:
            found.append(each)
        elif each is not None:
            warnings.append(f"{namespace}: a model id too long for a universalModelId was skipped")
    return found, warnings


async def local_provider_id(endpoint_type: str) -> int:
    """The provider row an endpoint type's models belong to, created the first time it is needed."""
    key, display_name = local_provider(endpoint_type)
    query = Provider.select(Provider.id).where(Provider.key == key)
    row = await query.first()
    if row is None:
        provider = Provider(key=key, kind=provider_kind(endpoint_type).value, display_name=display_name)
        await Provider.insert(provider).on_conflict(target=Provider.key, action="DO NOTHING")
        row = await query.first()
    assert row is not None
    return int(row["id"])


def _ids(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    return sorted(row["model_id"] for row in rows)


@retrying
async def _apply(
    viewer: AuthenticatedUser, listed_from: Mapping[str, Any], candidates: list[Candidate], listed: list[str]
) -> dict[str, Any]:
    endpoint_id = listed_from["id"]
    async with transaction():
        query = LocalEndpoint.select().where(LocalEndpoint.id == endpoint_id).output(load_json=True)
        endpoint = await for_update(query).first()
        if endpoint is None:
            raise NotFound(f"no local endpoint with id {endpoint_id}")  # deleted while it was listed
        if (endpoint["base_url"], endpoint["endpoint_type"]) != (listed_from["base_url"], listed_from["endpoint_type"]):
            raise Conflict("the endpoint's URL or type changed while its models were listed; discover again")
        reason = f"discovery on local endpoint {endpoint['name']}"
        provider_id = await local_provider_id(endpoint["endpoint_type"])
        rows = await writer.lock_models_where(AiModel.endpoint == endpoint_id)
        diff = compute_diff(model_namespace(endpoint), rows, candidates)
        archived = await writer.archive_models(diff.archived, by=viewer, reason=reason, by_sync=True)
        restored = await writer.restore_models(
            [row for row, _ in diff.restored], by=viewer, reason=reason, by_sync=True
        )
        current = {row["id"]: row for row in restored}
        changes = [ModelChange(update.row, update.values, update.candidate.config) for update in diff.updated]
        changes += [ModelChange(current[row["id"]], found.values, found.config) for row, found in diff.restored]
        synced = await writer.sync_models(changes, by=viewer, reason=reason)
        new = [
            NewModel(
                provider_id,
                {
                    **found.values,
                    "universalModelId": found.universal_model_id,
                    "modelId": found.model_id,
                    "status": ModelStatus.ACTIVE,
                    "enabled": endpoint["is_active"],
                },
                found.config,
                owner_id=endpoint["owner"],
                endpoint_id=endpoint_id,
            )
            for found in diff.new
        ]
        created = await writer.insert_models(new, HistoryAction.CREATED, by=viewer, reason=reason)
        if restored and not endpoint["is_active"]:
            await follow_active(endpoint_id, False, by=viewer)  # a model back on a turned-off endpoint stays off
        await LocalEndpoint.update(
            {LocalEndpoint.available_models: listed, LocalEndpoint.last_model_discovery: datetime.now(UTC)}
        ).where(LocalEndpoint.id == endpoint_id)
        updated = [
            after
            for after, change in zip(synced, changes, strict=True)
            if after["version"] != change.row["version"] and after["id"] not in current
        ]
        moved = {"created": created, "updated": updated, "archived": archived, "restored": restored}
        entry = audit.changes_between({"availableModels": endpoint["available_models"]}, {"availableModels": listed})
        entry += [
            {"field": f"models.{what}", "oldValue": None, "newValue": _ids(rows_moved)}
            for what, rows_moved in moved.items()
            if rows_moved
        ]
        if entry:
            await audit.record(AuditEntity.ENDPOINT, endpoint_id, AuditAction.DISCOVERED, entry, by=viewer)
        after = await endpoint_row(endpoint_id)
    assert after is not None
    return after


async def discover_endpoint_models(
    viewer: AuthenticatedUser,
    endpoint_id: str,
    *,
    secrets: SecretBox,
    policy: UrlPolicy,
    interval_seconds: float,
) -> dict[str, Any]:
    """List the owner's endpoint and write what changed into its private models; the endpoint after."""
    row = await owned_endpoint(viewer, endpoint_id)
    await claim(row["id"], Probe.DISCOVERY, interval_seconds)

    async def listing_of(adapter: Any) -> Listing:
        listing: Listing = await adapter.list_models()
        return listing

    listing = await call_endpoint(row, listing_of, secrets=secrets, policy=policy)
    candidates, _ = candidates_of(model_namespace(row), listing)
    if len(candidates) > MAX_MODELS_PER_ENDPOINT:
        raise ProviderFailed(
            f"the endpoint lists {len(candidates)} models; at most {MAX_MODELS_PER_ENDPOINT} are taken"
        )
    listed = sorted({found.model_id for found in candidates})
    return await _apply(viewer, row, candidates, listed)
