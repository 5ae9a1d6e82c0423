"""Model history: field-level changes, written in the transaction of the change."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from api.catalog.fields import json_value
from api.users.service import AuthenticatedUser
from domain.choices import HistoryAction
from tables.catalog import ModelHistory

__all__ = ["HistoryRow", "field_changes", "values_at_version", "write_history"]

BATCH = 500  # rows per INSERT: well under SQLite's and asyncpg's bound-parameter limits


@dataclass(frozen=True)
class HistoryRow:
    model_id: int
    universal_model_id: str
    version: int
    action: HistoryAction
    changes: list[dict[str, Any]]
    by: AuthenticatedUser | None
    reason: str | None


def field_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[dict[str, Any]]:
    """{field, oldValue, newValue} for each field of `new` whose value differs from `old`."""
    changes = []
    for field, value in new.items():
        before, after = json_value(old.get(field)), json_value(value)
        if before != after:
            changes.append({"field": field, "oldValue": before, "newValue": after})
    return changes


async def write_history(rows: Sequence[HistoryRow]) -> None:
    """Insert the rows in a few statements, inside the caller's transaction."""
    for start in range(0, len(rows), BATCH):
        await ModelHistory.insert(
            *(
                ModelHistory(
                    model=row.model_id,
                    universal_model_id=row.universal_model_id,
                    version=row.version,
                    action=row.action.value,
                    changes=row.changes,
                    changed_by=row.by.id if row.by else None,
                    reason=row.reason,
                )
                for row in rows[start : start + BATCH]
            )
        )


def values_at_version(
    current: Mapping[str, Any], newer_entries: Iterable[Mapping[str, Any]], fields: Iterable[str]
) -> dict[str, Any]:
    """The JSON values of `fields` as they were before `newer_entries` (newest first) were made."""
    values = {field: json_value(current.get(field)) for field in fields}
    for entry in newer_entries:
        for change in entry["changes"]:
            if change["field"] in values:
                values[change["field"]] = change["oldValue"]
    return values
