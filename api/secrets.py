"""Encryption of stored secrets (provider and endpoint API keys) with MultiFernet.

MODELCATALOG_SECRET_KEY holds one or more comma-separated Fernet keys: the first
encrypts, every one decrypts, so keys can be rotated without losing data.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from api.config import ConfigError, Settings
from tables.engine import sqlite_path

__all__ = [
    "EXAMPLE_SECRET_KEYS",
    "SecretBox",
    "SecretUnreadable",
    "generate_secret_key",
    "load_secret_box",
    "secret_hint",
]

# Keys printed in documentation: anyone can read them, so production refuses them.
EXAMPLE_SECRET_KEYS = frozenset({"PTrIp-74hRS7imroMIbr_KpbHd_2m8ul_vRu27ZjJZY="})

DEV_KEY_FILE_SUFFIX = ".secret-key"


def _key_bytes(key: str) -> bytes | None:
    """The 32 bytes a key stands for, however it is spelled (either base64 alphabet, padding): None if none."""
    text = key.strip().replace("+", "-").replace("/", "_").rstrip("=")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 else None


# Compared as key bytes: the same key in the standard base64 alphabet is the same key to Fernet.
_EXAMPLE_KEY_BYTES = frozenset(_key_bytes(key) for key in EXAMPLE_SECRET_KEYS)


class SecretUnreadable(Exception):
    """A stored secret was encrypted under a key that is no longer configured."""


class SecretBox:
    """Encrypts and decrypts stored secrets; never shows its keys."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ConfigError("at least one secret key is needed")
        self.key_count = len(keys)
        self._fernet = MultiFernet([_fernet(key) for key in keys])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SecretUnreadable(
                "a stored secret cannot be decrypted with the configured MODELCATALOG_SECRET_KEY"
            ) from None

    def rotate(self, token: str) -> str:
        """The same secret, re-encrypted under the first (newest) key."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise SecretUnreadable("a stored secret cannot be decrypted for rotation") from None

    def __repr__(self) -> str:
        return f"SecretBox(keys={self.key_count})"


def _fernet(key: str) -> Fernet:
    try:
        return Fernet(key.encode())
    except (ValueError, TypeError):
        raise ConfigError(
            "MODELCATALOG_SECRET_KEY must be Fernet keys (32 url-safe base64-encoded bytes), "
            "comma-separated; make one with `modelcatalog generate-secret-key`"
        ) from None


def generate_secret_key() -> str:
    return Fernet.generate_key().decode()


def secret_hint(secret: str | None) -> str | None:
    """At most the last four characters, for a person to recognise their key."""
    if not secret:
        return None
    return "..." + secret[-4:] if len(secret) > 8 else "..."


def load_secret_box(settings: Settings) -> SecretBox:
    """The configured keys; in development a key generated once into a 0600 file."""
    if settings.secret_key:
        keys = [key.strip() for key in settings.secret_key.split(",") if key.strip()]
        if settings.production and any(_key_bytes(key) in _EXAMPLE_KEY_BYTES for key in keys):
            raise ConfigError(
                "MODELCATALOG_SECRET_KEY is an example value from the documentation; "
                "generate your own with `modelcatalog generate-secret-key`"
            )
        return SecretBox(keys)
    if settings.production:
        raise ConfigError(
            "MODELCATALOG_SECRET_KEY is required in production; generate one with `modelcatalog generate-secret-key`"
        )
    return SecretBox([_development_key(dev_key_file(settings))])


def dev_key_file(settings: Settings) -> Path:
    """Where development keeps its generated key: beside the SQLite database."""
    database = sqlite_path(settings.database_url)
    if database is None:
        return Path("modelcatalog" + DEV_KEY_FILE_SUFFIX)
    return database.with_name(database.name + DEV_KEY_FILE_SUFFIX)


def _development_key(path: Path) -> str:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole to a private temporary file, then linked into place: a
    # second process starting at the same moment never reads a half-written key.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(generate_secret_key() + "\n")
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return path.read_text().strip()
