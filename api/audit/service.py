"""The one writer of `audit_log`, and the batch read behind `Provider.history` and `LocalEndpoint.history`.

Every change to a provider or an endpoint writes one row, in the caller's
transaction, with field changes named as the GraphQL fields are. A secret shows
as "changed", never as a value.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from api.catalog.history import field_changes
from api.users.service import AuthenticatedUser
from domain.choices import AuditAction, AuditEntity
from tables.endpoints import AuditLog

__all__ = ["SECRET_CHANGED", "changes_between", "key_change", "latest_entries", "record", "update_action"]

SECRET_CHANGED = "changed"  # what a secret's newValue shows, whether it was set, replaced or cleared


def key_change(had_key: bool, has_key: bool) -> list[dict[str, Any]]:
    """The audit changes of a key set, replaced or cleared: "changed", and whether there is one now."""
    changes: list[dict[str, Any]] = [{"field": "apiKey", "oldValue": None, "newValue": SECRET_CHANGED}]
    if had_key != has_key:
        changes.append({"field": "hasApiKey", "oldValue": had_key, "newValue": has_key})
    return changes


def update_action(changes: list[dict[str, Any]]) -> AuditAction:
    """KEY_CHANGED when the key is all that changed, else UPDATED."""
    fields = {change["field"] for change in changes}
    return AuditAction.KEY_CHANGED if fields and fields <= {"apiKey", "hasApiKey"} else AuditAction.UPDATED


async def record(
    kind: AuditEntity,
    entity_id: int,
    action: AuditAction,
    changes: list[dict[str, Any]],
    *,
    by: AuthenticatedUser | None,
) -> None:
    """One audit row, in the caller's transaction."""
    await AuditLog.insert(
        AuditLog(
            entity_kind=kind.value,
            entity_id=entity_id,
            action=action.value,
            changes=changes,
            changed_by=by.id if by else None,
        )
    )


def changes_between(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """{field, oldValue, newValue} for each field of `after` that differs from `before`."""
    return field_changes(before, after)


def _loaded(row: dict[str, Any]) -> dict[str, Any]:
    # Raw SQL hands JSON and timestamps back as text on SQLite.
    if isinstance(row["changes"], str):
        row["changes"] = json.loads(row["changes"])
    if isinstance(row["created_at"], str):
        row["created_at"] = datetime.fromisoformat(row["created_at"])
    return row


async def latest_entries(keys: list[tuple[AuditEntity, int, int]]) -> list[list[dict[str, Any]]]:
    """For each (kind, entity id, n): the entity's n newest audit rows, in one statement per kind."""
    found: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    by_kind: dict[str, set[int]] = defaultdict(set)
    for kind, entity_id, _ in keys:
        by_kind[kind.value].add(entity_id)
    limit = max((n for *_, n in keys), default=0)
    for kind_value, ids in by_kind.items():
        if limit <= 0:
            break
        placeholders = ", ".join("{}" for _ in ids)
        rows = await AuditLog.raw(
            "SELECT * FROM (SELECT audit_log.*, ROW_NUMBER() OVER"
            " (PARTITION BY entity_id ORDER BY id DESC) AS position"
            f" FROM audit_log WHERE entity_kind = {{}} AND entity_id IN ({placeholders})) AS ranked"
            " WHERE position <= {} ORDER BY entity_id, id DESC",
            kind_value,
            *ids,
            limit,
        )
        for row in rows:
            found[(kind_value, row["entity_id"])].append(_loaded(row))
    return [found[(kind.value, entity_id)][:n] for kind, entity_id, n in keys]
