"""The one error every adapter raises: a short reason, never a key and never an upstream body."""

from __future__ import annotations

__all__ = ["ProviderError"]


class ProviderError(Exception):
    """A provider could not be listed; the message is written here, never copied from the provider."""

    def __init__(self, reason: str, *, status: int | None = None, provider: str | None = None) -> None:
        self.reason = reason
        self.status = status
        self.provider = provider
        message = reason if status is None else f"{reason} (HTTP {status})"
        super().__init__(message if provider is None else f"{provider}: {message}")
