"""Per-endpoint rate limits on probes, kept in the database so they hold across instances.

A probe claims its slot with one UPDATE ... WHERE the slot is free; of two
instances asking at once, one row is updated and the other sees none.
"""

from __future__ import annotations

import enum
import math
from datetime import UTC, datetime, timedelta

from api.database import transaction
from api.errors import RateLimited
from tables.endpoints import LocalEndpoint

__all__ = ["Probe", "claim"]


class Probe(enum.Enum):
    """What is rate-limited, each on its own clock: a health check and a model discovery."""

    HEALTH = "health check"
    DISCOVERY = "model discovery"


_COLUMNS = {Probe.HEALTH: LocalEndpoint.next_health_check_at, Probe.DISCOVERY: LocalEndpoint.next_discovery_at}


async def claim(endpoint_id: int, probe: Probe, interval_seconds: float) -> None:
    """Take the endpoint's next slot for this probe, or RATE_LIMITED with the seconds until it is free."""
    column = _COLUMNS[probe]
    now = datetime.now(UTC)
    async with transaction():
        claimed = (
            await LocalEndpoint.update({column: now + timedelta(seconds=interval_seconds)})
            .where((LocalEndpoint.id == endpoint_id) & (column.is_null() | (column <= now)))
            .returning(LocalEndpoint.id)
        )
        if claimed:
            return
        row = await LocalEndpoint.select(column.as_alias("free_at")).where(LocalEndpoint.id == endpoint_id).first()
    free_at = row["free_at"] if row else None
    wait = max(1, math.ceil((free_at - now).total_seconds())) if isinstance(free_at, datetime) else 1
    raise RateLimited(f"a {probe.value} of this endpoint ran a moment ago; try again in {wait} s", retry_after=wait)
