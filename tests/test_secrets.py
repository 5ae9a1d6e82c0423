"""Secret keys: generated once in development, rotated with several keys."""

from __future__ import annotations

import stat

from cryptography.fernet import Fernet

from api.config import Settings
from api.secrets import SecretBox, load_secret_box, secret_hint


def test_development_generates_a_private_key_file_beside_the_database(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path}/catalog.sqlite3")
    box = load_secret_box(settings)
    key_file = tmp_path / "catalog.sqlite3.secret-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    token = box.encrypt("sk-abc")
    assert load_secret_box(settings).decrypt(token) == "sk-abc"  # the same key, read back
    assert list(tmp_path.iterdir()) == [key_file]  # no temporary file left behind


def test_a_configured_key_wins_over_the_file(tmp_path):
    key = Fernet.generate_key().decode()
    settings = Settings(database_url=f"sqlite:///{tmp_path}/catalog.sqlite3", secret_key=key)
    assert SecretBox([key]).decrypt(load_secret_box(settings).encrypt("x")) == "x"
    assert not (tmp_path / "catalog.sqlite3.secret-key").exists()


def test_keys_rotate_old_secrets_stay_readable():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    stored = SecretBox([old]).encrypt("sk-live")
    rotating = load_secret_box(Settings(secret_key=f"{new}, {old}"))
    assert rotating.decrypt(stored) == "sk-live"
    assert SecretBox([new]).decrypt(rotating.rotate(stored)) == "sk-live"


def test_a_secret_box_never_shows_its_keys():
    key = Fernet.generate_key().decode()
    assert key not in repr(SecretBox([key]))


def test_a_hint_shows_at_most_four_characters():
    assert secret_hint("sk-0123456789f3a9") == "...f3a9"
    assert secret_hint("short") == "..."
    assert secret_hint("") is None
