"""Mutations on local endpoints: any signed-in user, on their own endpoints only."""

from __future__ import annotations

import strawberry

from api.auth import IsSignedIn, require_user
from api.context import Info
from api.endpoints import discovery, health, service, sharing
from api.endpoints.types import HealthCheckResult, LocalEndpointInput, LocalEndpointType, LocalEndpointUpdate
from api.endpoints.url_policy import UrlPolicy

__all__ = ["EndpointMutations"]


def _policy(info: Info) -> UrlPolicy:
    return UrlPolicy(allow_private=info.context.settings.endpoint_allow_private)


@strawberry.type
class EndpointMutations:
    @strawberry.mutation(permission_classes=[IsSignedIn], description="Register a model server of the caller's.")
    async def create_local_endpoint(self, info: Info, input: LocalEndpointInput) -> LocalEndpointType:
        viewer = require_user(info)
        changes = service.EndpointChanges(
            name=input.name,
            base_url=input.base_url,
            endpoint_type=input.endpoint_type,
            api_key=input.api_key,
            is_active=input.is_active,
        )
        row = await service.create_endpoint(viewer, changes, secrets=info.context.secrets, policy=_policy(info))
        return LocalEndpointType.from_row(row, viewer)

    @strawberry.mutation(permission_classes=[IsSignedIn], description="Change the given fields of an own endpoint.")
    async def update_local_endpoint(
        self, info: Info, id: strawberry.ID, input: LocalEndpointUpdate
    ) -> LocalEndpointType:
        viewer = require_user(info)
        changes = service.EndpointChanges(
            name=input.name,
            base_url=input.base_url,
            endpoint_type=input.endpoint_type,
            api_key=input.api_key,
            is_active=input.is_active,
        )
        row = await service.update_endpoint(
            viewer, str(id), changes, secrets=info.context.secrets, policy=_policy(info)
        )
        return LocalEndpointType.from_row(row, viewer)

    @strawberry.mutation(
        permission_classes=[IsSignedIn], description="Delete an own endpoint; its models are archived, chats keep them."
    )
    async def delete_local_endpoint(self, info: Info, id: strawberry.ID) -> bool:
        await service.delete_endpoint(require_user(info), str(id))
        return True

    @strawberry.mutation(
        permission_classes=[IsSignedIn], description="Ask an own endpoint for its listing; rate-limited per endpoint."
    )
    async def check_endpoint_health(self, info: Info, id: strawberry.ID) -> HealthCheckResult:
        result = await health.check_endpoint_health(
            require_user(info),
            str(id),
            secrets=info.context.secrets,
            policy=_policy(info),
            interval_seconds=info.context.settings.endpoint_check_interval,
        )
        return HealthCheckResult.from_result(result)

    @strawberry.mutation(
        permission_classes=[IsSignedIn],
        description="List an own endpoint's models into the caller's private models; rate-limited per endpoint.",
    )
    async def discover_endpoint_models(self, info: Info, id: strawberry.ID) -> LocalEndpointType:
        viewer = require_user(info)
        row = await discovery.discover_endpoint_models(
            viewer,
            str(id),
            secrets=info.context.secrets,
            policy=_policy(info),
            interval_seconds=info.context.settings.endpoint_check_interval,
        )
        return LocalEndpointType.from_row(row, viewer)

    @strawberry.mutation(
        permission_classes=[IsSignedIn],
        description="Replace the users an own endpoint is shared with (and whether everyone is).",
    )
    async def share_local_endpoint(
        self, info: Info, id: strawberry.ID, usernames: list[str], everyone: bool | None = False
    ) -> LocalEndpointType:
        viewer = require_user(info)
        row = await sharing.share_endpoint(viewer, str(id), usernames, everyone=bool(everyone))
        return LocalEndpointType.from_row(row, viewer)
