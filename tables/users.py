"""People who call the service, and the bearer tokens they call it with."""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check
from piccolo.table import Table

from domain.choices import Role

__all__ = ["ApiToken", "User"]


class User(Table, tablename="users"):
    id: Serial  # piccolo's primary key, declared for type checkers
    username = Varchar(length=64, unique=True)
    role = Varchar(length=16, choices=Role, default=Role.MEMBER.value)
    created_at = Timestamptz(default=TimestamptzNow())

    role_is_known = Check("role IN ('ADMIN', 'MEMBER')")


class ApiToken(Table, tablename="api_tokens"):
    """A bearer token; only its sha256 is kept, so a database leak leaks no token."""

    id: Serial  # piccolo's primary key, declared for type checkers
    user = ForeignKey(User, null=False, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=100)
    token_sha256 = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked = Boolean(default=False)
    revoked_at = Timestamptz(null=True, default=None)
