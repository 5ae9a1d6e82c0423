"""Batch loads behind the endpoints' DataLoaders: one statement per kind of key a request asks for.

Endpoint loads carry the viewer in the key, so an endpoint is only ever handed
to its owner or to a user it is shared with.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from api.users.service import AuthenticatedUser, users_by_id
from tables.endpoints import EndpointShare, LocalEndpoint

__all__ = ["share_lists", "visible_endpoints"]


async def visible_endpoints(keys: list[tuple[int, AuthenticatedUser]]) -> list[dict[str, Any] | None]:
    """For each (endpoint id, viewer): the endpoint when it is the viewer's or shared with them, else None."""
    ids = list({endpoint_id for endpoint_id, _ in keys})
    if not ids:
        return []
    rows = await LocalEndpoint.select().where(LocalEndpoint.id.is_in(ids)).output(load_json=True)
    by_id = {row["id"]: row for row in rows}
    shares = await EndpointShare.select(EndpointShare.endpoint, EndpointShare.user).where(
        EndpointShare.endpoint.is_in(ids)
    )
    pairs = {(share["endpoint"], share["user"]) for share in shares}
    found: list[dict[str, Any] | None] = []
    for endpoint_id, viewer in keys:
        row = by_id.get(endpoint_id)
        allowed = row is not None and (
            row["owner"] == viewer.id or row["shared_with_everyone"] or (endpoint_id, viewer.id) in pairs
        )
        found.append(row if allowed else None)
    return found


async def share_lists(endpoint_ids: list[int]) -> list[list[AuthenticatedUser]]:
    """For each endpoint: the users it is shared with by name, by username."""
    if not endpoint_ids:
        return []
    shares = await EndpointShare.select(EndpointShare.endpoint, EndpointShare.user).where(
        EndpointShare.endpoint.is_in(endpoint_ids)
    )
    users = {user.id: user for user in await users_by_id(list({share["user"] for share in shares})) if user}
    found: dict[int, list[AuthenticatedUser]] = defaultdict(list)
    for share in shares:
        if share["user"] in users:
            found[share["endpoint"]].append(users[share["user"]])
    return [sorted(found[endpoint_id], key=lambda user: user.username) for endpoint_id in endpoint_ids]
