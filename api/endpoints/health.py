"""Health checks: the endpoint's listing URL, timed, within the probe's bounds; a state change is audited."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from adapters.openai_compatible import OpenAICompatibleAdapter
from api.audit import service as audit
from api.database import for_update, transaction
from api.endpoints.probe import ProbeLimits, call_endpoint
from api.endpoints.rate_limit import Probe, claim
from api.endpoints.service import owned_endpoint
from api.endpoints.url_policy import UrlPolicy
from api.errors import BlockedUrl, ProviderFailed
from api.secrets import SecretBox
from api.users.service import AuthenticatedUser
from domain.choices import AuditAction, AuditEntity, HealthStatus
from tables.endpoints import LocalEndpoint

__all__ = ["HealthResult", "check_endpoint_health", "probe_health", "record_health"]


@dataclass(frozen=True)
class HealthResult:
    status: HealthStatus
    checked_at: datetime
    response_time_ms: int | None = None
    error: str | None = None  # our own words, never the server's
    model_count: int = 0
    blocked: bool = False  # the URL policy refused the call


async def _listing_size(adapter: OpenAICompatibleAdapter) -> int:
    """How many entries the listing URL answers with: the one request a health check makes."""
    page = await adapter.http.get_json(adapter.base_url + adapter.models_path, headers=adapter.headers())
    items = page.get(adapter.items_key) if isinstance(page, dict) else None
    if not isinstance(items, list):
        raise adapter.http.error("the model list has an unexpected shape")
    return len(items)


async def probe_health(
    endpoint: Mapping[str, Any], *, secrets: SecretBox, policy: UrlPolicy, limits: ProbeLimits | None = None
) -> HealthResult:
    """Ask the endpoint for its listing; HEALTHY with the time it took, or UNHEALTHY and why."""
    started = time.perf_counter()
    try:
        count = await call_endpoint(endpoint, _listing_size, secrets=secrets, policy=policy, limits=limits)
    except BlockedUrl as refused:
        return HealthResult(HealthStatus.UNHEALTHY, datetime.now(UTC), error=refused.message, blocked=True)
    except ProviderFailed as failure:
        return HealthResult(HealthStatus.UNHEALTHY, datetime.now(UTC), error=failure.message)
    elapsed = round((time.perf_counter() - started) * 1000)
    return HealthResult(HealthStatus.HEALTHY, datetime.now(UTC), response_time_ms=elapsed, model_count=count)


async def record_health(endpoint_id: int, result: HealthResult, *, by: AuthenticatedUser | None) -> None:
    """Store the result; a change of state (not every check) writes one HEALTH_CHANGED row, in one transaction."""
    async with transaction():
        query = LocalEndpoint.select(LocalEndpoint.health_status).where(LocalEndpoint.id == endpoint_id)
        before = await for_update(query).first()
        if before is None:
            return  # deleted while it was being checked
        await LocalEndpoint.update(
            {
                LocalEndpoint.health_status: result.status.value,
                LocalEndpoint.last_health_check: result.checked_at,
                LocalEndpoint.last_response_time_ms: result.response_time_ms,
                LocalEndpoint.last_error: result.error,
            }
        ).where(LocalEndpoint.id == endpoint_id)
        if before["health_status"] != result.status.value:
            changes = audit.changes_between(
                {"healthStatus": before["health_status"]}, {"healthStatus": result.status.value}
            )
            if result.error:
                changes.append({"field": "lastError", "oldValue": None, "newValue": result.error})
            await audit.record(AuditEntity.ENDPOINT, endpoint_id, AuditAction.HEALTH_CHANGED, changes, by=by)


async def check_endpoint_health(
    viewer: AuthenticatedUser,
    endpoint_id: str,
    *,
    secrets: SecretBox,
    policy: UrlPolicy,
    interval_seconds: float,
) -> HealthResult:
    """The owner's health check, rate-limited per endpoint; BLOCKED_URL when the URL policy refuses the call."""
    row = await owned_endpoint(viewer, endpoint_id)
    await claim(row["id"], Probe.HEALTH, interval_seconds)
    result = await probe_health(row, secrets=secrets, policy=policy)
    await record_health(row["id"], result, by=viewer)
    if result.blocked:
        raise BlockedUrl(result.error or "the URL policy refuses this endpoint")
    return result
