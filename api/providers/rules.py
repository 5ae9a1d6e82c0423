"""What a provider may be: its key, display name, base URL and API key, checked the same on every path.

The provider service, the importer and sync import these; none imports another's service for a rule.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from adapters.registry import API_KEY_VARIABLES
from api.errors import ValidationFailed
from api.text import name_problem
from domain.choices import ProviderKind

__all__ = [
    "MAX_API_KEY",
    "MAX_DISPLAY_NAME",
    "MAX_URL",
    "PROVIDER_KEY",
    "PROVIDER_KEY_RULE",
    "api_key_problem",
    "api_key_source",
    "display_name_problem",
    "is_provider_key",
    "validate_base_url",
]

PROVIDER_KEY = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
PROVIDER_KEY_RULE = "1 to 64 lower-case letters, digits or . _ -, starting with a letter or digit"
MAX_DISPLAY_NAME = 200
MAX_URL = 2048
MAX_API_KEY = 4096


def is_provider_key(value: object) -> bool:
    """Whether the value is a provider key: a slug, the prefix of universalModelIds."""
    # fullmatch: `$` would let a trailing newline through
    return isinstance(value, str) and PROVIDER_KEY.fullmatch(value) is not None


def display_name_problem(name: object) -> str | None:
    """What is wrong with a provider's display name, or None."""
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= MAX_DISPLAY_NAME:
        return f"1 to {MAX_DISPLAY_NAME} characters"
    return name_problem(name.strip())


def api_key_problem(key: str) -> str | None:
    """What is wrong with an API key to store, or None."""
    if len(key) > MAX_API_KEY:
        return f"at most {MAX_API_KEY} characters"
    if not key.isascii() or not key.isprintable() or " " in key:
        return "printable ASCII without spaces"
    return None


def validate_base_url(url: str, field: str = "baseUrl") -> str:
    """An http(s) URL without credentials, without its trailing slash."""
    url = url.strip()
    if len(url) > MAX_URL:
        raise ValidationFailed.one(field, f"at most {MAX_URL} characters")
    if any(char.isspace() for char in url) or name_problem(url):
        # urlsplit quietly drops tabs and newlines, so the URL stored would not be the one checked
        raise ValidationFailed.one(field, "not a valid URL: no spaces, control or invisible characters")
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ValidationFailed.one(field, "not a valid URL") from None
    if parts.scheme not in ("http", "https") or not hostname:
        raise ValidationFailed.one(field, "an http:// or https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise ValidationFailed.one(field, "credentials do not belong in the URL; use apiKey")
    if parts.query or parts.fragment:
        raise ValidationFailed.one(field, "a base URL has no query or fragment")
    return url.rstrip("/")


def api_key_source(provider: Mapping[str, Any], environ: Mapping[str, str] = os.environ) -> str | None:
    """Where the provider's key comes from: "STORED", "ENVIRONMENT" (OPENAI_API_KEY, ...) or None."""
    if provider["api_key"]:
        return "STORED"
    variable = API_KEY_VARIABLES.get(ProviderKind(provider["kind"]))
    return "ENVIRONMENT" if variable and (environ.get(variable) or "").strip() else None
