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
    # Local endpoints: whether loopback and private addresses may be called (the user's own Ollama),
    # how often the background job re-checks them (None: never), and how soon one may be probed again.
    endpoint_allow_private: bool = True
    health_interval: float | None = None
    endpoint_check_interval: float = 5.0
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
            availability_ttl=_seconds(environ, "MODELCATALOG_AVAILABILITY_TTL", default=None) or 60.0,
            sync_interval=_seconds(environ, "MODELCATALOG_SYNC_INTERVAL", default=None) or None,
            endpoint_allow_private=_flag(environ, "MODELCATALOG_ENDPOINT_ALLOW_PRIVATE", default=True),
            health_interval=_seconds(environ, "MODELCATALOG_HEALTH_INTERVAL", default=None),
            endpoint_check_interval=_seconds(environ, "MODELCATALOG_ENDPOINT_CHECK_INTERVAL", default=5.0) or 0.0,
            log_format=_log_format(environ.get("MODELCATALOG_LOG_FORMAT")),
        )


def _log_format(value: str | None) -> str:
    text = (value or "text").strip().lower()
    if text not in ("text", "json"):
        raise ConfigError(f"MODELCATALOG_LOG_FORMAT must be text or json, not {text[:20]!r}")
    return text


def _flag(environ: Mapping[str, str], name: str, *, default: bool) -> bool:
    """A true/false setting; unset or blank is the default."""
    value = (environ.get(name) or "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {value[:20]!r}")


def _seconds(environ: Mapping[str, str], name: str, *, default: float | None) -> float | None:
    """A number of seconds (0 or more); unset or blank is the default."""
    value = (environ.get(name) or "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {value[:20]!r}") from None
    if not 0 <= seconds <= 86_400 * 7:
        raise ConfigError(f"{name} must be between 0 and 604800 seconds")
    return seconds


def _list(value: str | None) -> tuple[str, ...]:
    """A comma-separated setting's items, trimmed, without empty ones."""
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())
