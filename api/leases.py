"""Leases in the database, so a job (an availability refresh, the scheduled sync) runs on one instance at a time."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import UTC, datetime, timedelta

from tables.sync import Lease

__all__ = ["HOLDER", "acquire", "release"]

# Who holds a lease: this process, told apart from the others on the same database.
HOLDER = f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def acquire(name: str, seconds: float) -> bool:
    """Take the lease `name` for `seconds` unless another holder has it and it has not expired."""
    now = datetime.now(UTC)
    taken = (
        await Lease.insert(Lease(name=name, holder=HOLDER, expires_at=now + timedelta(seconds=seconds)))
        .on_conflict(
            target=Lease.name,
            action="DO UPDATE",
            values=[Lease.holder, Lease.expires_at],
            where=(Lease.expires_at < now) | (Lease.holder == HOLDER),
        )
        .returning(Lease.id)
    )
    return bool(taken)


async def release(name: str) -> None:
    """Give the lease back early, if this process holds it."""
    await Lease.delete().where((Lease.name == name) & (Lease.holder == HOLDER))
