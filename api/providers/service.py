"""Providers: the services models come from, with their encrypted API keys."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from piccolo.query.functions.aggregate import Count

from adapters.kinds import DEFAULT_DISPLAY_NAMES
from api.audit import service as audit
from api.database import for_update, retrying, transaction
from api.endpoints.rules import LOCAL_PROVIDER_KEYS
from api.errors import FieldError, ValidationFailed
from api.live.revision import EventKind, record_change
from api.providers.rules import (
    PROVIDER_KEY_RULE,
    api_key_problem,
    display_name_problem,
    is_provider_key,
    validate_base_url,
)
from api.secrets import SecretBox, SecretUnreadable
from api.sync import availability
from api.users.service import AuthenticatedUser
from domain.choices import AuditAction, AuditEntity, ProviderKind
from tables.catalog import AiModel, Provider

__all__ = [
    "CLEAR",
    "ProviderChanges",
    "list_providers",
    "model_counts",
    "provider_by_key",
    "upsert_provider",
]

log = logging.getLogger("modelcatalog.providers")

CLEAR = ""  # an empty string clears an optional setting


@dataclass(frozen=True)
class ProviderChanges:
    """What an admin asks to set; None leaves a field as it is."""

    key: str
    kind: ProviderKind
    display_name: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    enabled: bool | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def _check(changes: ProviderChanges) -> list[FieldError]:
    problems = []
    if not is_provider_key(changes.key):
        problems.append(FieldError("key", PROVIDER_KEY_RULE))
    if changes.display_name is not None:
        problem = display_name_problem(changes.display_name)
        if problem:
            problems.append(FieldError("displayName", problem))
    if changes.api_key:
        problem = api_key_problem(changes.api_key)
        if problem:
            problems.append(FieldError("apiKey", problem))
    return problems


def _default_display_name(changes: ProviderChanges) -> str:
    if changes.kind is ProviderKind.OPENAI_COMPATIBLE:
        return changes.key
    return DEFAULT_DISPLAY_NAMES[changes.kind]


def _values(changes: ProviderChanges, secrets: SecretBox) -> dict[Any, Any]:
    values: dict[Any, Any] = {Provider.kind: changes.kind.value}
    if changes.display_name is not None:
        values[Provider.display_name] = changes.display_name.strip()
    if changes.base_url is not None:
        values[Provider.base_url] = validate_base_url(changes.base_url) if changes.base_url.strip() else None
    if changes.api_key is not None:
        key = changes.api_key.strip()
        values[Provider.api_key] = secrets.encrypt(key) if key else None
    if changes.enabled is not None:
        values[Provider.enabled] = changes.enabled
    return values


def _audit_values(row: dict[str, Any]) -> dict[str, Any]:
    """A provider's audited fields by GraphQL name (its key is audited apart, as "changed")."""
    return {
        "kind": row["kind"],
        "displayName": row["display_name"],
        "baseUrl": row["base_url"],
        "enabled": row["enabled"],
    }


def _key_changed(before: str | None, key: str | None, secrets: SecretBox) -> bool:
    """Whether the key to store differs from the stored one (the same key sent again is no change)."""
    if before is None or key is None:
        return before is not None or key is not None
    try:
        return secrets.decrypt(before) != key
    except SecretUnreadable:
        return True


@retrying
async def upsert_provider(
    changes: ProviderChanges, *, secrets: SecretBox, by: AuthenticatedUser | None = None
) -> dict[str, Any]:
    """Create the provider `key`, or change the fields given of the existing one; one audit row per change."""
    problems = _check(changes)
    if problems:
        raise ValidationFailed(problems)
    if changes.key in LOCAL_PROVIDER_KEYS:
        raise ValidationFailed.one("key", "reserved for the models of users' local endpoints")
    values = _values(changes, secrets)
    new_key = (changes.api_key or "").strip() or None
    async with transaction():
        new_row: dict[str, Any] = {"key": changes.key, "display_name": _default_display_name(changes)}
        new_row.update({column._meta.name: value for column, value in values.items()})
        created = (
            await Provider.insert(Provider.from_dict(new_row))
            .on_conflict(target=Provider.key, action="DO NOTHING")
            .returning(Provider.id)
        )
        if created:
            row = await provider_by_key(changes.key)
            assert row is not None
            entry = audit.changes_between({}, _audit_values(row))
            if row["api_key"]:
                entry += audit.key_change(False, True)
            await audit.record(AuditEntity.PROVIDER, row["id"], AuditAction.CREATED, entry, by=by)
        else:
            before = await for_update(Provider.select().where(Provider.key == changes.key)).first()
            assert before is not None
            key_changed = changes.api_key is not None and _key_changed(before["api_key"], new_key, secrets)
            if not key_changed:
                values.pop(Provider.api_key, None)  # a fresh token for the same key would be noise
            # A new key, base URL or switch: the next picker asks again instead of trusting the old answer.
            stale: dict[Any, Any] = {Provider.availability_checked_at: None, Provider.availability_retry_at: None}
            await Provider.update({**values, **stale, Provider.updated_at: _now()}).where(Provider.key == changes.key)
            row = await provider_by_key(changes.key)
            assert row is not None
            entry = audit.changes_between(_audit_values(before), _audit_values(row))
            if key_changed:
                entry += audit.key_change(before["api_key"] is not None, row["api_key"] is not None)
            if entry:
                await audit.record(AuditEntity.PROVIDER, row["id"], audit.update_action(entry), entry, by=by)
        await record_change(EventKind.PROVIDER, provider_keys=[changes.key])
    log.info(
        "provider %s %s by %s",
        changes.key,
        "created" if created else "updated",
        by.username if by else "the command line",
    )
    row = await provider_by_key(changes.key)
    assert row is not None
    if ProviderKind(row["kind"]) not in availability.LISTED_KINDS:
        await availability.refresh_provider(row, secrets)  # a key decides it: no provider is called
        row = await provider_by_key(changes.key)
        assert row is not None
    return row


async def provider_by_key(key: str) -> dict[str, Any] | None:
    return await Provider.select().where(Provider.key == key).first()


async def list_providers() -> list[dict[str, Any]]:
    return await Provider.select().order_by(Provider.key)


async def model_counts(provider_ids: list[int]) -> list[int]:
    """How many public models each provider has, in the order asked."""
    if not provider_ids:
        return []
    rows = (
        await AiModel.select(AiModel.provider, Count())
        .where(AiModel.provider.is_in(provider_ids) & AiModel.owner.is_null())
        .group_by(AiModel.provider)
    )
    counts = {row["provider"]: row["count"] for row in rows}
    return [counts.get(provider_id, 0) for provider_id in provider_ids]
