"""Settings read from the environment, once, at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from tables.engine import DEFAULT_DATABASE_URL

__all__ = ["ConfigError", "Settings"]


class ConfigError(Exception):
    """The service cannot start with this configuration; the message says what to set."""


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str | None = None
    cors_origins: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()  # empty: any Host header
    availability_ttl: float = 60.0  # seconds a provider's availability is trusted before it is asked again
    sync_interval: float | None = None  # seconds between scheduled syncs of every enabled provider; None: off
    log_format: str = "text"  # or "json": one object per line, with the request id

    @property
    def production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Settings from DATABASE_URL and the MODELCATALOG_* variables."""
        env = (environ.get("MODELCATALOG_ENV") or "development").strip().lower()
        if env not in ("development", "production"):
            raise ConfigError(f"MODELCATALOG_ENV must be development or production, not {env!r}")
        return cls(
            env=env,
            database_url=environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            secret_key=(environ.get("MODELCATALOG_SECRET_KEY") or "").strip() or None,
            cors_origins=_list(environ.get("MODELCATALOG_CORS_ORIGINS")),
            allowed_hosts=_list(environ.get("MODELCATALOG_ALLOWED_HOSTS")),
            availability_ttl=_seconds(environ, "MODELCATALOG_AVAILABILITY_TTL") or 60.0,
            sync_interval=_seconds(environ, "MODELCATALOG_SYNC_INTERVAL"),
            log_format=_log_format(environ.get("MODELCATALOG_LOG_FORMAT")),
        )


def _log_format(value: str | None) -> str:
    text = (value or "text").strip().lower()
    if text not in ("text", "json"):
        raise ConfigError(f"MODELCATALOG_LOG_FORMAT must be text or json, not {text[:20]!r}")
    return text


def _seconds(environ: Mapping[str, str], name: str) -> float | None:
    """A positive number of seconds, or None when the variable is unset or empty."""
    text = (environ.get(name) or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {text[:20]!r}") from None
    if not 0 < value <= 7 * 24 * 3600:
        raise ConfigError(f"{name} must be between 0 and a week, in seconds")
    return value


def _list(value: str | None) -> tuple[str, ...]:
    """A comma-separated setting's items, trimmed, without empty ones."""
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())
