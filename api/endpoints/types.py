"""The LocalEndpoint and HealthCheckResult GraphQL types, and the endpoint inputs.

Built for one viewer: the owner sees the key's hint, the share list and the
history; a user the endpoint is shared with sees none of them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from api.audit.types import AuditEntry
from api.catalog.lookup import page_size
from api.context import Info
from api.endpoints.health import HealthResult
from api.enums import EndpointType, HealthStatus
from api.secrets import SecretUnreadable, secret_hint
from api.users.service import AuthenticatedUser
from api.users.types import UserType
from domain.choices import AuditEntity

__all__ = ["HealthCheckResult", "LocalEndpointInput", "LocalEndpointType", "LocalEndpointUpdate"]


@strawberry.type(name="LocalEndpoint")
class LocalEndpointType:
    id: strawberry.ID
    is_own: bool = strawberry.field(description="false for an endpoint someone shared with the caller.")
    shared_with_everyone: bool
    name: str
    base_url: str
    endpoint_type: EndpointType
    is_active: bool
    has_api_key: bool = strawberry.field(description="Whether a key is stored; the key itself is never returned.")
    health_status: HealthStatus
    last_health_check: datetime | None
    last_response_time_ms: int | None
    last_error: str | None
    available_models: list[str]
    last_model_discovery: datetime | None
    last_used_at: datetime | None
    created_at: datetime
    updated_at: datetime
    owner_id: strawberry.Private[int]
    stored_key: strawberry.Private[str | None]

    @strawberry.field
    async def owner(self, info: Info) -> UserType:
        user = await info.context.loaders.user.load(self.owner_id)
        assert user is not None  # the owner's deletion deletes the endpoint
        return UserType.from_user(user)

    @strawberry.field(description="The owner sees the list; anyone else sees [].")
    async def shared_with(self, info: Info) -> list[UserType]:
        if not self.is_own:
            return []
        return [UserType.from_user(user) for user in await info.context.loaders.endpoint_shares.load(int(self.id))]

    @strawberry.field(description='The owner only: the last 4 characters at most, e.g. "...f3a9".')
    def api_key_hint(self, info: Info) -> str | None:
        if not self.is_own or not self.stored_key:
            return None
        try:
            return secret_hint(info.context.secrets.decrypt(self.stored_key))
        except SecretUnreadable:
            return None  # stored under a key no longer configured: hasApiKey says there is one

    @strawberry.field(description="The owner only ([] for others); newest first.")
    async def history(self, info: Info, first: int | None = 20) -> list[AuditEntry]:
        if not self.is_own:
            return []
        key = (AuditEntity.ENDPOINT, int(self.id), page_size(first, default=20))
        return [AuditEntry.from_row(row) for row in await info.context.loaders.audit.load(key)]

    @classmethod
    def from_row(cls, row: dict[str, Any], viewer: AuthenticatedUser) -> LocalEndpointType:
        return cls(
            id=strawberry.ID(str(row["id"])),
            is_own=row["owner"] == viewer.id,
            shared_with_everyone=row["shared_with_everyone"],
            name=row["name"],
            base_url=row["base_url"],
            endpoint_type=EndpointType(row["endpoint_type"]),
            is_active=row["is_active"],
            has_api_key=bool(row["api_key"]),
            health_status=HealthStatus(row["health_status"]),
            last_health_check=row["last_health_check"],
            last_response_time_ms=row["last_response_time_ms"],
            last_error=row["last_error"],
            available_models=list(row["available_models"]),
            last_model_discovery=row["last_model_discovery"],
            last_used_at=row["last_used_at"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            owner_id=row["owner"],
            stored_key=row["api_key"],
        )


@strawberry.type
class HealthCheckResult:
    status: HealthStatus
    response_time_ms: int | None
    error_message: str | None
    last_checked: datetime
    available_models: int = strawberry.field(description="How many models the listing named.")

    @classmethod
    def from_result(cls, result: HealthResult) -> HealthCheckResult:
        return cls(
            status=result.status,
            response_time_ms=result.response_time_ms,
            error_message=result.error,
            last_checked=result.checked_at,
            available_models=result.model_count,
        )


@strawberry.input
class LocalEndpointInput:
    name: str
    base_url: str
    endpoint_type: EndpointType | None = strawberry.field(
        default=None, description="Default: OPENAI_COMPATIBLE for a base URL ending in /v1, else OLLAMA."
    )
    api_key: str | None = strawberry.field(default=None, description="Stored encrypted; never returned.")
    is_active: bool | None = strawberry.field(default=None, description="Default true.")


@strawberry.input(description="Every field optional; an omitted or null field is left as it is.")
class LocalEndpointUpdate:
    name: str | None = None
    base_url: str | None = None
    endpoint_type: EndpointType | None = None
    api_key: str | None = strawberry.field(default=None, description='Stored encrypted; "" clears it.')
    is_active: bool | None = None
