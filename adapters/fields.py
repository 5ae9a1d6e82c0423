"""Typed reads of one listed entry (a JSON object); a value of the wrong type makes the entry malformed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

__all__ = ["FAR_FUTURE_YEARS", "Fields", "MalformedEntry", "read_day"]

# Some providers write a sentinel such as 2098-12-31 for "no end date"; no real schedule runs this far.
FAR_FUTURE_YEARS = 50


class MalformedEntry(ValueError):
    """One listed entry that cannot be read; the listing skips it and reports why."""


def _today() -> date:
    return datetime.now(UTC).date()


def read_day(value: object, *, today: date | None = None) -> date | None:
    """A YYYY-MM-DD or RFC 3339 value as a UTC date; None when absent or a far-future sentinel."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedEntry("a date is not a string")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise MalformedEntry("a date is not a date") from None
    day = moment.astimezone(UTC).date() if moment.tzinfo is not None else moment.date()
    if day.year > (today or _today()).year + FAR_FUTURE_YEARS:
        return None
    return day


class Fields:
    """One entry of a listing, read field by field; absent and null read as None."""

    __slots__ = ("label", "raw")

    def __init__(self, record: object, *, label: str = "") -> None:
        if not isinstance(record, dict):
            raise MalformedEntry(f"{label or 'the entry'} is not an object")
        self.raw: dict[str, Any] = record
        self.label = label

    def malformed(self, problem: str) -> MalformedEntry:
        """A MalformedEntry about this entry, labelled with its id once it is known."""
        return MalformedEntry(f"{self.label}: {problem}" if self.label else problem)

    def identifier(self, key: str) -> str:
        """The entry's id, a non-empty string; it also labels every later complaint about the entry."""
        value = self.raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.malformed(f"has no {key}")
        self.label = repr(value if len(value) <= 80 else value[:77] + "...")
        return value.strip()

    def text(self, key: str) -> str | None:
        """A string field."""
        value = self.raw.get(key)
        if value is not None and not isinstance(value, str):
            raise self.malformed(f"{key} is not a string")
        return value

    def integer(self, key: str) -> int | None:
        """A positive whole number; providers write 0 or -1 for "unknown", which reads as None."""
        value = self.raw.get(key)
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.malformed(f"{key} is not a whole number")
        return value if value > 0 else None

    def flag(self, key: str) -> bool | None:
        """A boolean field."""
        value = self.raw.get(key)
        if value is not None and not isinstance(value, bool):
            raise self.malformed(f"{key} is not true or false")
        return value

    def strings(self, key: str) -> tuple[str, ...] | None:
        """A list of strings."""
        value = self.raw.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.malformed(f"{key} is not a list of strings")
        return tuple(value)

    def child(self, key: str) -> Fields | None:
        """A nested object, read with the same rules and label."""
        value = self.raw.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.malformed(f"{key} is not an object")
        return Fields(value, label=self.label)

    def day(self, key: str) -> date | None:
        """A date field (see read_day)."""
        try:
            return read_day(self.raw.get(key))
        except MalformedEntry as problem:
            raise self.malformed(f"{key}: {problem}") from None
