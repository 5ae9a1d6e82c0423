"""What a client sends about chats and agents, checked: ids and bounded text."""

from __future__ import annotations

import unicodedata

from api.catalog.lookup import is_row_id
from api.errors import ValidationFailed

__all__ = ["clean_text", "row_key"]

# Line breaks and tabs belong in a description; a title or a name is one line.
MULTILINE = frozenset("\n\r\t")


def row_key(field: str, value: str) -> int | None:
    """The integer key an ID names; None when it is beyond any key a row can have.

    VALIDATION_FAILED for anything but ASCII digits.
    """
    text = str(value)
    if not text.isascii() or not text.isdigit():
        raise ValidationFailed.one(field, "an id: digits, as the API gave it")
    return int(text) if is_row_id(text) else None


def clean_text(field: str, value: str | None, limit: int, *, required: bool, multiline: bool = False) -> str | None:
    """The text trimmed; None when blank and optional; VALIDATION_FAILED when too long or not printable."""
    if value is None:
        if required:
            raise ValidationFailed.one(field, "must not be empty")
        return None
    text = value.strip()
    if not text:
        if required:
            raise ValidationFailed.one(field, "must not be empty")
        return None
    if len(text) > limit:
        raise ValidationFailed.one(field, f"at most {limit:,} characters")
    allowed = MULTILINE if multiline else frozenset()
    # Cc: NUL and the other control characters; Cs: lone surrogates, which no database encodes.
    if any(unicodedata.category(c) in ("Cc", "Cs") and c not in allowed for c in text):
        raise ValidationFailed.one(field, "no NUL or other control characters")
    return text
