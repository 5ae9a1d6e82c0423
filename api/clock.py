"""The service's clock: one place to read "now", so a scheduled price's moment can be crossed in a test."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["now"]


def now() -> datetime:
    """The current moment, in UTC."""
    return datetime.now(UTC)
