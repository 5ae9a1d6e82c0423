"""Queries over local endpoints: the caller's own, and those shared with them."""

from __future__ import annotations

import strawberry

from api.auth import IsSignedIn, require_user
from api.context import Info
from api.endpoints import service
from api.endpoints.types import LocalEndpointType

__all__ = ["EndpointQueries"]


@strawberry.type
class EndpointQueries:
    @strawberry.field(permission_classes=[IsSignedIn], description="The caller's own endpoints, by name.")
    async def local_endpoints(self, info: Info) -> list[LocalEndpointType]:
        viewer = require_user(info)
        return [LocalEndpointType.from_row(row, viewer) for row in await service.own_endpoints(viewer)]

    @strawberry.field(
        permission_classes=[IsSignedIn], description="An endpoint of the caller's or shared with them; else NOT_FOUND."
    )
    async def local_endpoint(self, info: Info, id: strawberry.ID) -> LocalEndpointType | None:
        viewer = require_user(info)
        return LocalEndpointType.from_row(await service.visible_endpoint(viewer, str(id)), viewer)

    @strawberry.field(permission_classes=[IsSignedIn], description="Endpoints others shared with the caller, by name.")
    async def shared_local_endpoints(self, info: Info) -> list[LocalEndpointType]:
        viewer = require_user(info)
        return [LocalEndpointType.from_row(row, viewer) for row in await service.shared_endpoints(viewer)]
