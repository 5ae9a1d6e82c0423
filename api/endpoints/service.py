"""Local endpoints: the owner's to create, change and delete; readable by those it is shared with.

Another user's endpoint is NOT_FOUND for every operation, admins included; a
user it is shared with may read it, and gets FORBIDDEN for what only the owner
does. Every write runs in one transaction with its audit row; model rows change
only through the catalog's writer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from api.audit import service as audit
from api.catalog import writer
from api.chats.inputs import row_key
from api.database import Contended, for_update, retrying, serialize, transaction
from api.endpoints.rules import (
    MAX_ENDPOINTS_PER_USER,
    api_key_field_problems,
    default_endpoint_type,
    name_field_problems,
)
from api.endpoints.url_policy import UrlPolicy
from api.errors import FieldError, Forbidden, NotFound, ValidationFailed
from api.secrets import SecretBox, SecretUnreadable
from api.users.service import AuthenticatedUser
from domain.choices import AuditAction, AuditEntity, EndpointType, HealthStatus, HistoryAction, ModelStatus
from tables.catalog import AiModel
from tables.endpoints import EndpointShare, LocalEndpoint

__all__ = [
    "EndpointChanges",
    "audit_values",
    "check_changes",
    "create_endpoint",
    "delete_endpoint",
    "endpoint_row",
    "follow_active",
    "insert_endpoint",
    "is_shared_with",
    "new_endpoint_values",
    "own_endpoints",
    "owned_endpoint",
    "room_for",
    "shared_endpoints",
    "update_endpoint",
    "visible_endpoint",
]

MAX_LISTED = 500  # endpoints shared with a caller, listed at most


@dataclass(frozen=True)
class EndpointChanges:
    """What a caller asks to set; None leaves a field as it is (on create: the default); apiKey "" clears it."""

    name: str | None = None
    base_url: str | None = None
    endpoint_type: EndpointType | None = None
    api_key: str | None = None
    is_active: bool | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def audit_values(row: Mapping[str, Any]) -> dict[str, Any]:
    """An endpoint's audited fields by GraphQL name (its key is audited apart, as "changed")."""
    return {
        "name": row["name"],
        "baseUrl": row["base_url"],
        "endpointType": row["endpoint_type"],
        "isActive": row["is_active"],
    }


async def endpoint_row(endpoint_id: int) -> dict[str, Any] | None:
    return await LocalEndpoint.select().where(LocalEndpoint.id == endpoint_id).output(load_json=True).first()


async def is_shared_with(viewer: AuthenticatedUser, row: Mapping[str, Any]) -> bool:
    """Whether someone else's endpoint is shared with the viewer, by name or with everyone."""
    if row["shared_with_everyone"]:
        return True
    return bool(
        await EndpointShare.exists().where((EndpointShare.endpoint == row["id"]) & (EndpointShare.user == viewer.id))
    )


async def _find(endpoint_id: str, *, lock: bool) -> dict[str, Any] | None:
    key = row_key("id", endpoint_id)
    if key is None:
        return None
    query = LocalEndpoint.select().where(LocalEndpoint.id == key).output(load_json=True)
    return await (for_update(query) if lock else query).first()


def _not_found(endpoint_id: str) -> NotFound:
    return NotFound(f"no local endpoint with id {str(endpoint_id)[:20]}")


async def owned_endpoint(viewer: AuthenticatedUser, endpoint_id: str, *, lock: bool = False) -> dict[str, Any]:
    """The viewer's own endpoint; FORBIDDEN when it is only shared with them, NOT_FOUND for anyone else."""
    row = await _find(endpoint_id, lock=lock)
    if row is not None and row["owner"] == viewer.id:
        return row
    if row is not None and await is_shared_with(viewer, row):
        raise Forbidden("only the endpoint's owner may do this")
    raise _not_found(endpoint_id)


async def visible_endpoint(viewer: AuthenticatedUser, endpoint_id: str) -> dict[str, Any]:
    """The viewer's own endpoint or one shared with them; NOT_FOUND otherwise."""
    row = await _find(endpoint_id, lock=False)
    if row is not None and (row["owner"] == viewer.id or await is_shared_with(viewer, row)):
        return row
    raise _not_found(endpoint_id)


async def own_endpoints(viewer: AuthenticatedUser) -> list[dict[str, Any]]:
    """The viewer's endpoints, by name."""
    query = LocalEndpoint.select().where(LocalEndpoint.owner == viewer.id).order_by(LocalEndpoint.name)
    return await query.output(load_json=True)


async def shared_endpoints(viewer: AuthenticatedUser) -> list[dict[str, Any]]:
    """Endpoints others shared with the viewer (by name or with everyone), by name."""
    shared = EndpointShare.select(EndpointShare.endpoint).where(EndpointShare.user == viewer.id)
    query = (
        LocalEndpoint.select()
        .where(
            (LocalEndpoint.owner != viewer.id)
            & (LocalEndpoint.shared_with_everyone.eq(True) | LocalEndpoint.id.is_in(shared))
        )
        .order_by(LocalEndpoint.name)
        .order_by(LocalEndpoint.id)
        .limit(MAX_LISTED)
    )
    return await query.output(load_json=True)


def _clean_api_key(api_key: str | None) -> str | None:
    """The key to store: trimmed, None for none."""
    return (api_key or "").strip() or None


async def check_changes(changes: EndpointChanges, policy: UrlPolicy, *, creating: bool) -> str | None:
    """Every field's problems at once (VALIDATION_FAILED), then the URL policy (BLOCKED_URL); the URL to store."""
    problems: list[FieldError] = []
    if creating or changes.name is not None:
        problems += name_field_problems(changes.name)
    problems += api_key_field_problems(changes.api_key)
    if creating and not (changes.base_url or "").strip():
        problems.append(FieldError("baseUrl", "must not be empty"))
    if problems:
        raise ValidationFailed(problems)
    if changes.base_url is None:
        return None
    return (await policy.vet(changes.base_url)).url


def new_endpoint_values(owner_id: int, changes: EndpointChanges, base_url: str, secrets: SecretBox) -> dict[str, Any]:
    """The columns of a new endpoint from checked changes: its key encrypted, its type inferred when not given."""
    assert changes.name is not None
    api_key = _clean_api_key(changes.api_key)
    return {
        "owner": owner_id,
        "name": changes.name.strip(),
        "base_url": base_url,
        "endpoint_type": (changes.endpoint_type or default_endpoint_type(base_url)).value,
        "api_key": secrets.encrypt(api_key) if api_key else None,
        "is_active": True if changes.is_active is None else changes.is_active,
    }


async def room_for(owner_id: int, count: int, field: str = "name") -> None:
    """Inside a transaction: refuse more than MAX_ENDPOINTS_PER_USER, held until commit."""
    await serialize(f"local endpoints of user {owner_id}")
    if await LocalEndpoint.count().where(LocalEndpoint.owner == owner_id) + count > MAX_ENDPOINTS_PER_USER:
        raise ValidationFailed.one(field, f"a user has at most {MAX_ENDPOINTS_PER_USER} local endpoints")


async def insert_endpoint(values: Mapping[str, Any], *, by: AuthenticatedUser | None) -> dict[str, Any]:
    """Insert an endpoint with its CREATED audit row, in the caller's transaction; its name must be free."""
    inserted = (
        await LocalEndpoint.insert(LocalEndpoint.from_dict(dict(values)))
        .on_conflict(target=(LocalEndpoint.owner, LocalEndpoint.name), action="DO NOTHING")
        .returning(LocalEndpoint.id)
    )
    if not inserted:
        raise ValidationFailed.one("name", "you already have a local endpoint with this name")
    row = await endpoint_row(inserted[0]["id"])
    assert row is not None
    created = audit.changes_between({}, audit_values(row))
    if row["api_key"]:
        created += audit.key_change(False, True)
    await audit.record(AuditEntity.ENDPOINT, row["id"], AuditAction.CREATED, created, by=by)
    return row


@retrying
async def create_endpoint(
    viewer: AuthenticatedUser, changes: EndpointChanges, *, secrets: SecretBox, policy: UrlPolicy
) -> dict[str, Any]:
    """A new endpoint of the viewer's, its key encrypted; one CREATED audit row."""
    base_url = await check_changes(changes, policy, creating=True)
    assert base_url is not None
    values = new_endpoint_values(viewer.id, changes, base_url, secrets)
    async with transaction():
        await room_for(viewer.id, 1)
        return await insert_endpoint(values, by=viewer)


def _same_key(stored: str | None, new: str | None, secrets: SecretBox) -> bool:
    """Whether the new key is the one stored (a re-sent form is not a key change)."""
    if stored is None or new is None:
        return stored is None and new is None
    try:
        return secrets.decrypt(stored) == new
    except SecretUnreadable:
        return False


async def follow_active(endpoint_id: int, active: bool, *, by: AuthenticatedUser | None) -> None:
    """Enable or disable the endpoint's active models with it, so a turned-off endpoint leaves every picker."""
    rows = await writer.lock_models_where(AiModel.endpoint == endpoint_id, AiModel.status == ModelStatus.ACTIVE.value)
    changes = [writer.ModelChange(row, {"enabled": active}) for row in rows if row["enabled"] != active]
    action = HistoryAction.ENABLED if active else HistoryAction.DISABLED
    reason = "the endpoint was turned on" if active else "the endpoint was turned off"
    await writer.update_models(changes, action, by=by, reason=reason)


@retrying
async def update_endpoint(
    viewer: AuthenticatedUser,
    endpoint_id: str,
    changes: EndpointChanges,
    *,
    secrets: SecretBox,
    policy: UrlPolicy,
) -> dict[str, Any]:
    """Change the given fields of the viewer's endpoint; a new URL, type or key starts its health afresh."""
    base_url = await check_changes(changes, policy, creating=False)
    async with transaction():
        row = await owned_endpoint(viewer, endpoint_id, lock=True)
        after = dict(row)
        if changes.name is not None:
            after["name"] = changes.name.strip()
        if base_url is not None:
            after["base_url"] = base_url
        if changes.endpoint_type is not None:
            after["endpoint_type"] = changes.endpoint_type.value
        if changes.is_active is not None:
            after["is_active"] = changes.is_active
        key_changed = changes.api_key is not None and not _same_key(
            row["api_key"], _clean_api_key(changes.api_key), secrets
        )
        if key_changed:
            new_key = _clean_api_key(changes.api_key)
            after["api_key"] = secrets.encrypt(new_key) if new_key else None
        diff = audit.changes_between(audit_values(row), audit_values(after))
        if key_changed:
            diff += audit.key_change(row["api_key"] is not None, after["api_key"] is not None)
        if not diff:
            return row
        if after["name"] != row["name"] and await LocalEndpoint.exists().where(
            (LocalEndpoint.owner == viewer.id) & (LocalEndpoint.name == after["name"]) & (LocalEndpoint.id != row["id"])
        ):
            raise ValidationFailed.one("name", "you already have a local endpoint with this name")
        if key_changed or (after["base_url"], after["endpoint_type"]) != (row["base_url"], row["endpoint_type"]):
            # what was known of the old server says nothing of the new one
            after.update(health_status=HealthStatus.UNKNOWN.value, last_error=None, last_response_time_ms=None)
        columns = ("name", "base_url", "endpoint_type", "api_key", "is_active", "health_status", "last_error")
        values: dict[Any, Any] = {LocalEndpoint._meta.get_column_by_name(name): after[name] for name in columns}
        values[LocalEndpoint.last_response_time_ms] = after["last_response_time_ms"]
        values[LocalEndpoint.updated_at] = _now()
        try:
            await LocalEndpoint.update(values).where(LocalEndpoint.id == row["id"])
        except (asyncpg.UniqueViolationError, sqlite3.IntegrityError):
            # another request took the name meanwhile: running again finds it and says so
            raise Contended("another change took this name meanwhile") from None
        if after["is_active"] != row["is_active"]:
            await follow_active(row["id"], after["is_active"], by=viewer)
        await audit.record(AuditEntity.ENDPOINT, row["id"], audit.update_action(diff), diff, by=viewer)
        updated = await endpoint_row(row["id"])
    assert updated is not None
    return updated


@retrying
async def delete_endpoint(viewer: AuthenticatedUser, endpoint_id: str) -> None:
    """Delete the viewer's endpoint: its models are archived first (chats and history keep them), then it goes."""
    async with transaction():
        row = await owned_endpoint(viewer, endpoint_id, lock=True)
        models = await writer.lock_models_where(AiModel.endpoint == row["id"])
        await writer.archive_models(models, by=viewer, reason=f"local endpoint {row['name']} deleted")
        await LocalEndpoint.delete().where(LocalEndpoint.id == row["id"])
        before = audit_values(row)
        gone = audit.changes_between(before, dict.fromkeys(before))
        await audit.record(AuditEntity.ENDPOINT, row["id"], AuditAction.DELETED, gone, by=viewer)
