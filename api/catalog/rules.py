"""The catalog's rules, written once: what `selectable` means and who sees which model.

The writer, the lookups, the GraphQL types, the seed, chats and sync all import
these; none of them spells a rule out again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from piccolo.columns.combination import WhereRaw

from api.users.service import AuthenticatedUser
from domain.choices import ModelStatus
from tables.catalog import AiModel

__all__ = ["is_selectable", "not_selectable_where", "selectable_where", "visible_where"]


def is_selectable(row: Mapping[str, Any]) -> bool:
    """Whether a model row may be picked: ACTIVE, enabled by an admin and available now."""
    return bool(row["status"] == ModelStatus.ACTIVE.value and row["enabled"] and row["is_available"])


def selectable_where() -> Any:
    """is_selectable as a piccolo WHERE clause."""
    return (AiModel.status == ModelStatus.ACTIVE.value) & AiModel.enabled.eq(True) & AiModel.is_available.eq(True)


def not_selectable_where() -> Any:
    """The negation of selectable_where (piccolo has no NOT over a combination)."""
    return WhereRaw("NOT (ai_models.status = 'ACTIVE' AND ai_models.enabled AND ai_models.is_available)")


def visible_where(viewer: AuthenticatedUser | None) -> Any:
    """Public models, and the viewer's own private ones."""
    if viewer is None:
        return AiModel.owner.is_null()
    return AiModel.owner.is_null() | (AiModel.owner == viewer.id)
