"""The next price boundary: the earliest coming moment at which a price in force changes.

A cached answer may hold a price (`pricing`, `estimateCost`); a scheduled
price or a discount window opening or closing changes it without a write, so
no cached answer is served past the next boundary. The dated prices register
a hook here; with none registered there is no boundary.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

__all__ = ["PriceBoundary", "add_price_boundary", "next_price_boundary", "remove_price_boundary"]

PriceBoundary = Callable[[datetime], Awaitable[datetime | None]]
"""Given now, the earliest moment after it that changes a price in force; None when nothing is scheduled."""

_hooks: list[PriceBoundary] = []


def add_price_boundary(hook: PriceBoundary) -> None:
    """Register a source of price boundaries (scheduled prices, discount windows)."""
    if hook not in _hooks:
        _hooks.append(hook)


def remove_price_boundary(hook: PriceBoundary) -> None:
    if hook in _hooks:
        _hooks.remove(hook)


async def next_price_boundary(now: datetime) -> datetime | None:
    """The earliest boundary after `now` any hook knows of, or None."""
    moments = [moment for hook in list(_hooks) if (moment := await hook(now)) is not None and moment > now]
    return min(moments) if moments else None
