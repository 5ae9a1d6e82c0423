"""Bearer-token authentication and the role checks on GraphQL fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.authentication import AuthCredentials, AuthenticationBackend, BaseUser
from starlette.requests import HTTPConnection
from strawberry.permission import BasePermission

from api.errors import Forbidden, Unauthenticated
from api.users.service import AuthenticatedUser, authenticate

if TYPE_CHECKING:
    from strawberry.types import Info

__all__ = ["IsAdmin", "IsSignedIn", "RequestUser", "TokenBackend", "require_admin", "require_user"]

NO_TOKEN = "authentication required: send the header Authorization: Bearer <token>"
BAD_TOKEN = "the bearer token is invalid or revoked"


class RequestUser(BaseUser):
    """Starlette's view of the caller: a user, or nobody with the reason why."""

    def __init__(self, user: AuthenticatedUser | None, problem: str | None = None) -> None:
        self.user = user
        self.problem = problem

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None

    @property
    def display_name(self) -> str:
        return self.user.username if self.user else ""


class TokenBackend(AuthenticationBackend):
    """Resolves `Authorization: Bearer <token>` to a user; never rejects the request itself.

    A missing or bad token reaches GraphQL as an anonymous caller, so the
    refusal comes back as a GraphQL error with the UNAUTHENTICATED code.
    """

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser]:
        caller = await self.user_of(conn.headers.get("authorization"))
        user = caller.user
        if user is None:
            return AuthCredentials(), caller
        scopes = ["authenticated", "admin"] if user.is_admin else ["authenticated"]
        return AuthCredentials(scopes), caller

    @staticmethod
    async def user_of(header: str | None) -> RequestUser:
        """The caller an `Authorization` value names (a header, or a WebSocket's connection_init)."""
        if not header:
            return RequestUser(None, NO_TOKEN)
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return RequestUser(None, NO_TOKEN)
        user = await authenticate(token)
        if user is None:
            return RequestUser(None, BAD_TOKEN)
        return RequestUser(user)


def require_user(info: Info[Any, Any]) -> AuthenticatedUser:
    """The signed-in caller, or UNAUTHENTICATED."""
    user: AuthenticatedUser | None = info.context.user
    if user is None:
        raise Unauthenticated(info.context.auth_problem or NO_TOKEN)
    return user


def require_admin(info: Info[Any, Any]) -> AuthenticatedUser:
    """The signed-in admin, or UNAUTHENTICATED / FORBIDDEN."""
    user = require_user(info)
    if not user.is_admin:
        raise Forbidden("this operation needs the ADMIN role")
    return user


class IsSignedIn(BasePermission):
    message = NO_TOKEN

    def has_permission(self, source: Any, info: Info[Any, Any], **kwargs: Any) -> bool:
        require_user(info)
        return True


class IsAdmin(BasePermission):
    message = "this operation needs the ADMIN role"

    def has_permission(self, source: Any, info: Info[Any, Any], **kwargs: Any) -> bool:
        require_admin(info)
        return True
