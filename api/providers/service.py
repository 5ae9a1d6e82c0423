"""Providers: the services models come from, with their encrypted API keys."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from piccolo.query.functions.aggregate import Count

from adapters.kinds import DEFAULT_DISPLAY_NAMES
from api.database import transaction
from api.errors import FieldError, ValidationFailed
from api.secrets import SecretBox
from api.users.service import AuthenticatedUser
from domain.choices import ProviderKind
from tables.catalog import AiModel, Provider

__all__ = [
    "CLEAR",
    "ProviderChanges",
    "list_providers",
    "model_counts",
    "provider_by_key",
    "upsert_provider",
    "validate_base_url",
]

log = logging.getLogger("modelcatalog.providers")

PROVIDER_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MAX_URL = 2048
MAX_API_KEY = 4096
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


def validate_base_url(url: str, field: str = "baseUrl") -> str:
    """An http(s) URL without credentials, without its trailing slash."""
    url = url.strip()
    if len(url) > MAX_URL:
        raise ValidationFailed.one(field, f"at most {MAX_URL} characters")
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ValidationFailed.one(field, "not a valid URL") from None
    if parts.scheme not in ("http", "https") or not hostname:
        raise ValidationFailed.one(field, "an http:// or https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise ValidationFailed.one(field, "credentials do not belong in the URL; use apiKey")
    if parts.query or parts.fragment:
        raise ValidationFailed.one(field, "a base URL has no query or fragment")
    return url.rstrip("/")


def _check(changes: ProviderChanges) -> list[FieldError]:
    problems = []
    if not PROVIDER_KEY.match(changes.key):
        problems.append(
            FieldError("key", "1 to 64 lower-case letters, digits or . _ -, starting with a letter or digit")
        )
    if changes.display_name is not None and not 1 <= len(changes.display_name.strip()) <= 200:
        problems.append(FieldError("displayName", "1 to 200 characters"))
    if changes.api_key:
        if len(changes.api_key) > MAX_API_KEY:
            problems.append(FieldError("apiKey", f"at most {MAX_API_KEY} characters"))
        elif not changes.api_key.isascii() or not changes.api_key.isprintable() or " " in changes.api_key:
            problems.append(FieldError("apiKey", "printable ASCII without spaces"))
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


async def upsert_provider(
    changes: ProviderChanges, *, secrets: SecretBox, by: AuthenticatedUser | None = None
) -> dict[str, Any]:
    """Create the provider `key`, or change the fields given of the existing one."""
    problems = _check(changes)
    if problems:
        raise ValidationFailed(problems)
    values = _values(changes, secrets)
    async with transaction():
        new_row: dict[str, Any] = {"key": changes.key, "display_name": _default_display_name(changes)}
        new_row.update({column._meta.name: value for column, value in values.items()})
        created = (
            await Provider.insert(Provider.from_dict(new_row))
            .on_conflict(target=Provider.key, action="DO NOTHING")
            .returning(Provider.id)
        )
        if not created:
            await Provider.update({**values, Provider.updated_at: _now()}).where(Provider.key == changes.key)
    log.info(
        "provider %s %s by %s",
        changes.key,
        "created" if created else "updated",
        by.username if by else "the command line",
    )
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
