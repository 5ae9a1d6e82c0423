"""Users and their API tokens: creation, revocation, and token authentication."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from api.database import transaction
from api.errors import Conflict, NotFound, ValidationFailed
from domain.choices import Role
from tables.users import ApiToken, User

__all__ = [
    "AuthenticatedUser",
    "TokenInfo",
    "authenticate",
    "create_first_admin",
    "create_token",
    "create_user",
    "get_user",
    "hash_token",
    "list_tokens",
    "revoke_token",
    "token_use_recorded",
]

log = logging.getLogger("modelcatalog.users")

TOKEN_PREFIX = "mc_"
FIRST_ADMIN = "admin"
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
# last_used_at is a hint for people, not an audit log: writing it on every
# request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


# Token ids whose last use is being written, so a busy token writes once at a time.
_recording: dict[int, asyncio.Task[None]] = {}


def _record_use(token_id: int, at: datetime) -> None:
    """Write the token's last use in the background: a read never waits for a writer's lock."""
    if token_id in _recording:
        return
    task = asyncio.get_running_loop().create_task(_write_last_use(token_id, at))
    _recording[token_id] = task
    task.add_done_callback(lambda _: _recording.pop(token_id, None))


async def _write_last_use(token_id: int, at: datetime) -> None:
    try:
        await ApiToken.update({ApiToken.last_used_at: at}).where(ApiToken.id == token_id)
    except Exception as error:  # noqa: BLE001 - a hint for people; the next request writes it again
        log.info("the last use of token %d was not recorded (%s)", token_id, type(error).__name__)


async def token_use_recorded() -> None:
    """Wait until every pending last-use write is done (at shutdown, and in tests)."""
    await asyncio.gather(*_recording.values(), return_exceptions=True)


@dataclass(frozen=True)
class AuthenticatedUser:
    id: int
    username: str
    role: Role
    created_at: datetime

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


@dataclass(frozen=True)
class TokenInfo:
    id: int
    username: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _user(row: dict[str, Any]) -> AuthenticatedUser:
    return AuthenticatedUser(
        id=row["id"], username=row["username"], role=Role(row["role"]), created_at=row["created_at"]
    )


async def get_user(user_id: int) -> AuthenticatedUser | None:
    row = await User.select().where(User.id == user_id).first()
    return _user(row) if row else None


async def users_by_id(user_ids: list[int]) -> list[AuthenticatedUser | None]:
    """The users, in the order asked; None for an id that has none."""
    rows = await User.select().where(User.id.is_in(user_ids)) if user_ids else []
    found = {row["id"]: _user(row) for row in rows}
    return [found.get(user_id) for user_id in user_ids]


async def _user_by_name(username: str) -> dict[str, Any]:
    row = await User.select().where(User.username == username).first()
    if row is None:
        raise NotFound(f"no user named {username!r}")
    return row


async def _issue_token(user_id: int, name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise ValidationFailed.one("name", "a token name is 1 to 100 characters")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    await ApiToken.insert(ApiToken(user=user_id, name=name, token_sha256=hash_token(token)))
    return token


async def create_user(username: str, role: Role, token_name: str = "default") -> tuple[AuthenticatedUser, str]:
    """A new user and its first token (the token is shown once, here, and never stored)."""
    if not USERNAME.match(username):
        raise ValidationFailed.one("username", "1 to 64 letters, digits or . _ @ -, starting with a letter or digit")
    async with transaction():
        if await User.exists().where(User.username == username):
            raise Conflict(f"a user named {username!r} already exists")
        created = await User.insert(User(username=username, role=role.value)).returning(*User.all_columns())
        user = _user(created[0])
        token = await _issue_token(user.id, token_name)
    return user, token


async def create_first_admin() -> str | None:
    """On an empty database, the admin `admin` and its token; otherwise None."""
    if await User.count() > 0:
        return None
    try:
        _, token = await create_user(FIRST_ADMIN, Role.ADMIN, token_name="first start")
    except Conflict:  # another process got there first
        return None
    return token


async def create_token(username: str, name: str = "cli") -> str:
    """A new token for an existing user."""
    user = await _user_by_name(username)
    return await _issue_token(user["id"], name)


async def list_tokens(username: str | None = None) -> list[TokenInfo]:
    query = ApiToken.select(
        ApiToken.id,
        ApiToken.name,
        ApiToken.created_at,
        ApiToken.last_used_at,
        ApiToken.revoked,
        ApiToken.user.username.as_alias("username"),
    ).order_by(ApiToken.id)
    if username is not None:
        query = query.where(ApiToken.user.username == username)
    return [TokenInfo(**row) for row in await query]


async def revoke_token(
    *, token_id: int | None = None, token: str | None = None, username: str | None = None, name: str | None = None
) -> int:
    """Revoke tokens by id, by value, or a user's by name (all of them without a name)."""
    if token_id is not None:
        where = ApiToken.id == token_id
    elif token is not None:
        where = ApiToken.token_sha256 == hash_token(token)
    elif username is not None:
        user = await _user_by_name(username)
        where = ApiToken.user == user["id"]
        if name is not None:
            where &= ApiToken.name == name
    else:
        raise ValidationFailed.one("token", "say which token: an id, the token, or a username")
    revoked = (
        await ApiToken.update({ApiToken.revoked: True, ApiToken.revoked_at: _now()})
        .where(where & (ApiToken.revoked.eq(False)))
        .returning(ApiToken.id)
    )
    if not revoked and not await ApiToken.exists().where(where):
        raise NotFound("no such token")
    return len(revoked)


async def authenticate(token: str) -> AuthenticatedUser | None:
    """The user a live token belongs to, or None for an unknown or revoked token."""
    row = (
        await ApiToken.select(
            ApiToken.id,
            ApiToken.last_used_at,
            ApiToken.user.id.as_alias("user_id"),
            ApiToken.user.username.as_alias("username"),
            ApiToken.user.role.as_alias("role"),
            ApiToken.user.created_at.as_alias("created_at"),
        )
        .where((ApiToken.token_sha256 == hash_token(token)) & (ApiToken.revoked.eq(False)))
        .first()
    )
    if row is None:
        return None
    now = _now()
    if row["last_used_at"] is None or now - row["last_used_at"] >= LAST_USED_RESOLUTION:
        _record_use(row["id"], now)
    return AuthenticatedUser(
        id=row["user_id"], username=row["username"], role=Role(row["role"]), created_at=row["created_at"]
    )
