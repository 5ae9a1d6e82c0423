"""What text the service stores or matches may hold, by the kind of text it is.

Every path (GraphQL, the CLI, import, sync) checks names, identifiers and prose
with these, so a string the database cannot hold (a NUL, an unpaired surrogate)
is refused naming its field instead of failing in the driver, and an identifier
cannot hide a zero-width or bidirectional character behind a look-alike.
"""

from __future__ import annotations

import unicodedata

__all__ = ["identifier_problem", "name_problem", "printable", "prose_problem", "storable_problem"]

PROSE_CONTROLS = "\n\t"  # the only control characters a description or a reason may hold


def _code_point(char: str) -> str:
    return f"U+{ord(char):04X}"


def storable_problem(text: str) -> str | None:
    """Why the database cannot hold the text (PostgreSQL text has no NUL; UTF-8 has no lone surrogate), or None."""
    if "\x00" in text:
        return "no NUL characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as problem:
        return f"not valid Unicode text: an unpaired surrogate ({_code_point(text[problem.start])})"
    return None


def prose_problem(text: str) -> str | None:
    """Storable, and no control characters but newlines and tabs (descriptions, reasons)."""
    problem = storable_problem(text)
    if problem or text.isprintable():  # printable text holds no control character: the common case, at C speed
        return problem
    if any(unicodedata.category(char) == "Cc" and char not in PROSE_CONTROLS for char in text):
        return "no control characters"
    return None


def name_problem(text: str) -> str | None:
    """Storable, one line, and nothing invisible: no control (Cc) or format (Cf) characters."""
    if text.isprintable():  # no Cc, Cf, Cs, line or paragraph separator, nor NUL: the common case
        return None
    problem = storable_problem(text)
    if problem:
        return problem
    for char in text:
        category = unicodedata.category(char)
        if category in ("Cc", "Zl", "Zp"):
            return "no control characters or line breaks"
        if category == "Cf":
            return f"no invisible formatting characters such as zero-width or bidirectional marks ({_code_point(char)})"
    return None


def identifier_problem(text: str) -> str | None:
    """A name's rules, and no whitespace at all."""
    # Printable text holds no whitespace but the plain space, so only the rest needs the slow look.
    if " " in text or (
        not text.isprintable() and any(char.isspace() or unicodedata.category(char) == "Cc" for char in text)
    ):
        return "no spaces or control characters"
    return name_problem(text)


def printable(text: str) -> str:
    """The text with unpaired surrogates written as escapes, safe to echo in a message or print to a terminal."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
