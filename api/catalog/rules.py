"""The catalog's rules, written once: what `selectable` means, who sees which model, what a change may do.

The writer checks every change with these; the lookups, the GraphQL types, the
seed, the importer and sync import them too; none of them spells a rule out again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from piccolo.columns.combination import WhereRaw

from api.catalog.fields import LOCKABLE_FIELDS
from api.errors import FieldError
from api.users.service import AuthenticatedUser
from domain.choices import ModelStatus
from tables.catalog import AiModel

__all__ = [
    "change_problems",
    "is_selectable",
    "not_selectable_where",
    "selectable_where",
    "universal_id_problems",
    "visible_where",
    "with_locks",
    "without_locked",
]


def is_selectable(row: Mapping[str, Any]) -> bool:
    """Whether a model row may be picked: ACTIVE, enabled by an admin and available now."""
    # A private model is only ever read for a viewer who may see it (visible_where): that is the
    # "the caller owns its endpoint or it is shared with them" part of the rule.
    return bool(row["status"] == ModelStatus.ACTIVE.value and row["enabled"] and row["is_available"])


def selectable_where() -> Any:
    """is_selectable as a piccolo WHERE clause."""
    return (AiModel.status == ModelStatus.ACTIVE.value) & AiModel.enabled.eq(True) & AiModel.is_available.eq(True)


def not_selectable_where() -> Any:
    """The negation of selectable_where (piccolo has no NOT over a combination)."""
    return WhereRaw("NOT (ai_models.status = 'ACTIVE' AND ai_models.enabled AND ai_models.is_available)")


# A private model's endpoint shared with the viewer, by name or with everyone. Read on every query, so
# sharing and unsharing change the picker (and what chats may use) at once.
_SHARED_WITH_VIEWER = (
    "ai_models.endpoint IN (SELECT local_endpoints.id FROM local_endpoints"
    " WHERE local_endpoints.shared_with_everyone"
    " OR local_endpoints.id IN"
    ' (SELECT endpoint_shares.endpoint FROM endpoint_shares WHERE endpoint_shares."user" = {}))'
)


def visible_where(viewer: AuthenticatedUser | None) -> Any:
    """Public models, the viewer's own private ones, and those of endpoints shared with the viewer."""
    if viewer is None:
        return AiModel.owner.is_null()
    return AiModel.owner.is_null() | (AiModel.owner == viewer.id) | WhereRaw(_SHARED_WITH_VIEWER, viewer.id)


def universal_id_problems(universal_model_id: str, provider: str) -> list[FieldError]:
    """A universalModelId is its provider's key, a colon and a model id."""
    if not universal_model_id.startswith(f"{provider}:") or universal_model_id == f"{provider}:":
        return [FieldError("universalModelId", f'must be "{provider}:" followed by a model id')]
    return []


def change_problems(row: Mapping[str, Any] | None, values: Mapping[str, Any]) -> list[FieldError]:
    """What setting `values` (by field name) on the row (None: a new model) would break.

    Archived means disabled; the one default stays selectable, and only a
    selectable model becomes it.
    """
    status = ModelStatus(values.get("status", row["status"] if row else ModelStatus.ACTIVE))
    enabled = bool(values.get("enabled", row["enabled"] if row else True))
    is_default = bool(values.get("isDefault", row["is_default"] if row else False))
    available = bool(row["is_available"] if row else True)
    if status is ModelStatus.ARCHIVED and enabled:
        return [FieldError("enabled", "an archived model cannot be enabled; restore it first")]
    if not is_default or is_selectable({"status": status.value, "enabled": enabled, "is_available": available}):
        return []
    if row is None or not row["is_default"]:
        return [FieldError("id", "the default model must be selectable: active, enabled and available")]
    if status is ModelStatus.ARCHIVED:
        return [FieldError("status", "the default model cannot be archived; make another model the default first")]
    if not enabled:
        return [FieldError("enabled", "the default model must stay enabled; make another model the default first")]
    return []  # the default became unavailable: the provider's doing, not this change's


def with_locks(row: Mapping[str, Any], fields: Iterable[str]) -> list[str]:
    """The row's lockedFields and the content fields a person just set."""
    locked = list(row["locked_fields"])
    return locked + [field for field in fields if field not in locked and field in LOCKABLE_FIELDS]


def without_locked(row: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """The values but those of fields a person locked, which only a person changes (sync and foreign files)."""
    locked = set(row["locked_fields"])
    return {name: value for name, value in values.items() if name not in locked}
