"""The background re-check of active endpoints: one instance at a time (a lease), a bounded number at once.

Each probe is bounded by its own timeout, so a round takes about one timeout
however many endpoints hang, as long as fewer hang than run at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from api import leases
from api.endpoints import probe
from api.endpoints.health import probe_health, record_health
from api.endpoints.probe import ProbeLimits
from api.endpoints.url_policy import UrlPolicy
from api.secrets import SecretBox
from domain.choices import HealthStatus
from tables.endpoints import LocalEndpoint

__all__ = ["CONCURRENCY", "LEASE", "RecheckRound", "recheck_active", "run_rechecks"]

log = logging.getLogger("modelcatalog.endpoints")

CONCURRENCY = 20  # probes at once: enough that the hanging ones do not hold up the rest
LEASE = "local endpoint health re-check"


@dataclass(frozen=True)
class RecheckRound:
    checked: int
    healthy: int
    seconds: float


async def recheck_active(
    *,
    secrets: SecretBox,
    policy: UrlPolicy,
    limits: ProbeLimits | None = None,
    concurrency: int = CONCURRENCY,
) -> RecheckRound:
    """Check every active endpoint once, `concurrency` at a time, storing each result as it comes."""
    started = time.perf_counter()
    rows = await LocalEndpoint.select().where(LocalEndpoint.is_active.eq(True)).order_by(LocalEndpoint.id)
    slots = asyncio.Semaphore(concurrency)
    healthy = 0

    async def check(row: dict[str, Any]) -> None:
        nonlocal healthy
        async with slots:
            result = await probe_health(row, secrets=secrets, policy=policy, limits=limits)
        await record_health(row["id"], result, by=None)
        healthy += result.status is HealthStatus.HEALTHY

    # One endpoint's failure to be recorded (its row locked too long) does not cost the others theirs.
    outcomes = await asyncio.gather(*(check(row) for row in rows), return_exceptions=True)
    for row, outcome in zip(rows, outcomes, strict=True):
        if isinstance(outcome, Exception):
            log.error("re-checking local endpoint %s failed", row["id"], exc_info=outcome)
    return RecheckRound(len(rows), healthy, time.perf_counter() - started)


async def run_rechecks(interval_seconds: float, *, secrets: SecretBox, policy: UrlPolicy) -> None:
    """Re-check active endpoints every `interval_seconds` while this instance holds the lease; runs until cancelled."""
    # Held a little longer than the interval, so the holder renews it before another instance may take it.
    lease_seconds = interval_seconds + probe.LIMITS.total_seconds
    while True:
        try:
            if await leases.acquire(LEASE, lease_seconds):
                done = await recheck_active(secrets=secrets, policy=policy)
                log.info(
                    "re-checked %d local endpoints (%d healthy) in %.1f s", done.checked, done.healthy, done.seconds
                )
        except Exception:
            log.exception("the local endpoint re-check failed; trying again in %.0f s", interval_seconds)
        await asyncio.sleep(interval_seconds)
