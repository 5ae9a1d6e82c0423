"""Scheduled sync: every enabled provider on MODELCATALOG_SYNC_INTERVAL, on one instance at a time."""

from __future__ import annotations

import asyncio
import logging

from api import leases
from api.endpoints.rules import LOCAL_PROVIDER_KEYS
from api.errors import CatalogError
from api.secrets import SecretBox
from api.sync.service import sync_provider
from domain.choices import SyncTrigger
from tables.catalog import Provider

__all__ = ["LEASE", "run_scheduled_syncs", "scheduled_round"]

log = logging.getLogger("modelcatalog.sync.scheduler")

LEASE = "scheduled-sync"


async def scheduled_round(secrets: SecretBox, interval: float) -> int | None:
    """Sync every enabled provider unattended, if no other instance holds this round; how many were synced."""
    # Held for most of an interval: another instance waking a moment later finds it taken.
    if not await leases.acquire(LEASE, interval * 0.9):
        return None
    synced = 0
    listed = Provider.enabled.eq(True) & Provider.key.not_in(list(LOCAL_PROVIDER_KEYS))
    for provider in await Provider.select(Provider.key).where(listed).order_by(Provider.key):
        try:
            await sync_provider(provider["key"], secrets=secrets, by=None, trigger=SyncTrigger.SCHEDULED)
            synced += 1
        except CatalogError as error:  # recorded as the run's error; the other providers still sync
            log.warning("scheduled sync of %s: %s", provider["key"], error.message)
    return synced


async def run_scheduled_syncs(secrets: SecretBox, interval: float) -> None:
    """Run a round every `interval` seconds until cancelled (the app's lifespan owns the task)."""
    while True:
        try:
            await scheduled_round(secrets, interval)
        except Exception:  # a bug in one round is logged with its traceback; the schedule goes on
            log.exception("a scheduled sync round failed")
        await asyncio.sleep(interval)
