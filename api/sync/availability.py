"""Whether a provider's models can be called now, refreshed for the picker without ever making it wait.

Key-based providers are available with an enabled provider that has a key (its
own or the environment's); OLLAMA and OPENAI_COMPATIBLE by what the server
lists now. The picker waits at most WAIT_S in all: a provider that has not
answered by then keeps its last known state and finishes in the background,
one refresh per provider at a time across instances (a lease), and one that
keeps failing is asked again after a growing pause, at most MAX_BACKOFF_S.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from api import leases
from api.catalog import writer
from api.database import retrying, transaction
from api.endpoints.rules import LOCAL_PROVIDER_KEYS
from api.errors import ProviderFailed
from api.secrets import SecretBox
from api.sync.service import api_key_of, fetch_listing
from domain.choices import ProviderKind
from tables.catalog import Provider

__all__ = ["LISTED_KINDS", "MAX_BACKOFF_S", "WAIT_S", "refresh_provider", "refresh_stale", "refreshes_done"]

log = logging.getLogger("modelcatalog.availability")

WAIT_S = 0.25  # the most the picker waits for every refresh together
LEASE_S = 120.0  # longer than a listing may take (the adapters' budget), so a lease outlives its refresh
MAX_BACKOFF_S = 300.0
FIRST_BACKOFF_S = 5.0
# Kinds whose availability is what their server lists now; the others are available with a key.
LISTED_KINDS = frozenset({ProviderKind.OLLAMA, ProviderKind.OPENAI_COMPATIBLE})

# This process's refreshes by provider id: the lease keeps other instances out, this keeps a second
# request of the same instance from starting another (the lease is its own holder's to renew).
_running: dict[int, asyncio.Task[None]] = {}


def _now() -> datetime:
    return datetime.now(UTC)


async def refresh_stale(secrets: SecretBox, ttl: float, wait: float = WAIT_S) -> None:
    """Refresh every provider whose availability is older than `ttl` seconds, waiting at most `wait` for them."""
    now = _now()
    due = await Provider.select().where(
        Provider.key.not_in(list(LOCAL_PROVIDER_KEYS)),
        (Provider.availability_checked_at.is_null() | (Provider.availability_checked_at < now - timedelta(seconds=ttl)))
        & (Provider.availability_retry_at.is_null() | (Provider.availability_retry_at <= now)),
    )
    tasks = []
    for provider in due:
        if provider["id"] in _running:
            continue  # started by an earlier request, which waited its 250 ms; this one does not wait again
        tasks.append(_start(provider, secrets))
    if tasks:
        await asyncio.wait(tasks, timeout=wait)


def _start(provider: Mapping[str, Any], secrets: SecretBox) -> asyncio.Task[None]:
    key: int = provider["id"]
    task = asyncio.ensure_future(refresh_provider(provider, secrets))
    _running[key] = task
    task.add_done_callback(lambda _: _running.pop(key, None))
    return task


async def refreshes_done() -> None:
    """Wait for the refreshes still running in the background (at shutdown, and in tests)."""
    await asyncio.gather(*_running.values(), return_exceptions=True)


async def refresh_provider(provider: Mapping[str, Any], secrets: SecretBox) -> None:
    """Ask the provider (or its key) whether its models can be called, and store the answer; one instance at a time."""
    lease = f"availability:{provider['id']}"
    if not await leases.acquire(lease, LEASE_S):
        return  # another request or instance is asking it now
    try:
        available, failed = await _probe(provider, secrets)
        await _store(provider, available, failed)
    finally:
        await leases.release(lease)


async def _probe(provider: Mapping[str, Any], secrets: SecretBox) -> tuple[bool | frozenset[str], bool]:
    """What is available, and whether asking failed."""
    if not provider["enabled"]:
        return False, False
    try:
        if ProviderKind(provider["kind"]) not in LISTED_KINDS:
            return api_key_of(provider, secrets) is not None, False
        listing = await fetch_listing(provider, secrets)
    except ProviderFailed as error:
        log.info("availability of %s: %s", provider["key"], error.message)
        return False, True
    return frozenset(model.model_id for model in listing.models), False


@retrying
async def _store(provider: Mapping[str, Any], available: bool | frozenset[str], failed: bool) -> None:
    now = _now()
    async with transaction():
        current = await Provider.select(Provider.availability_failures).where(Provider.id == provider["id"]).first()
        failures = (current["availability_failures"] + 1 if current else 1) if failed else 0
        pause = min(FIRST_BACKOFF_S * 2 ** (failures - 1), MAX_BACKOFF_S) if failures else None
        await writer.set_availability(provider["id"], available)
        await Provider.update(
            {
                Provider.availability_checked_at: now,
                Provider.availability_failures: failures,
                Provider.availability_retry_at: now + timedelta(seconds=pause) if pause else None,
            }
        ).where(Provider.id == provider["id"])
