"""Sharing an endpoint: the owner names the users (or everyone) whose picker its models join.

Visibility is read from these rows by every catalog query (api/catalog/rules.py),
so sharing and unsharing take effect at once, for the picker and for chats.
"""

from __future__ import annotations

from typing import Any

from api.audit import service as audit
from api.database import retrying, transaction
from api.endpoints.rules import MAX_SHARES
from api.endpoints.service import endpoint_row, owned_endpoint
from api.errors import ValidationFailed
from api.live.revision import PUBLIC, EventKind, endpoint_audience, record_change
from api.text import printable, storable_problem
from api.users.service import AuthenticatedUser
from domain.choices import AuditAction, AuditEntity
from tables.catalog import AiModel
from tables.endpoints import EndpointShare, LocalEndpoint
from tables.users import User

__all__ = ["share_endpoint"]

SHOWN_UNKNOWN = 10  # unknown usernames named in the error; the rest are counted


async def _user_ids(usernames: list[str], owner: AuthenticatedUser) -> dict[str, int]:
    """The ids of the named users (the owner left out: an endpoint is always its owner's); unknown names refused."""
    wanted = list(dict.fromkeys(name.strip() for name in usernames if name.strip() and name.strip() != owner.username))
    if len(wanted) > MAX_SHARES:
        raise ValidationFailed.one("usernames", f"at most {MAX_SHARES} users")
    if any(len(name) > 64 or storable_problem(name) for name in wanted):
        raise ValidationFailed.one("usernames", "a username has at most 64 characters, and no NUL")
    rows = await User.select(User.id, User.username).where(User.username.is_in(wanted)) if wanted else []
    found = {row["username"]: row["id"] for row in rows}
    unknown = [name for name in wanted if name not in found]
    if unknown:
        shown = ", ".join(printable(name) for name in unknown[:SHOWN_UNKNOWN])
        more = f" and {len(unknown) - SHOWN_UNKNOWN} more" if len(unknown) > SHOWN_UNKNOWN else ""
        raise ValidationFailed.one("usernames", f"no such users: {shown}{more}")
    return found


@retrying
async def share_endpoint(
    viewer: AuthenticatedUser, endpoint_id: str, usernames: list[str], *, everyone: bool
) -> dict[str, Any]:
    """Replace the list of users the viewer's endpoint is shared with, and its `everyone` flag; one SHARED row."""
    async with transaction():
        row = await owned_endpoint(viewer, endpoint_id, lock=True)
        wanted = await _user_ids(usernames, viewer)
        current = await (
            EndpointShare.select(EndpointShare.user, EndpointShare.user.username.as_alias("username"))
            .where(EndpointShare.endpoint == row["id"])
            .output(load_json=True)
        )
        had = {share["username"]: share["user"] for share in current}
        removed = [user_id for name, user_id in had.items() if name not in wanted]
        added = [user_id for name, user_id in wanted.items() if name not in had]
        if removed:
            await EndpointShare.delete().where(
                (EndpointShare.endpoint == row["id"]) & EndpointShare.user.is_in(removed)
            )
        if added:
            await EndpointShare.insert(*(EndpointShare(endpoint=row["id"], user=user_id) for user_id in added))
        if everyone != row["shared_with_everyone"]:
            await LocalEndpoint.update({LocalEndpoint.shared_with_everyone: everyone}).where(
                LocalEndpoint.id == row["id"]
            )
        changes = audit.changes_between(
            {"sharedWith": sorted(had), "sharedWithEveryone": row["shared_with_everyone"]},
            {"sharedWith": sorted(wanted), "sharedWithEveryone": everyone},
        )
        if changes:
            await audit.record(AuditEntity.ENDPOINT, row["id"], AuditAction.SHARED, changes, by=viewer)
            # Who gained or lost the endpoint's models hears of it, the ones it was taken from included.
            models = await AiModel.select(AiModel.id, AiModel.universal_model_id).where(AiModel.endpoint == row["id"])
            was_everyone = row["shared_with_everyone"]
            audience = await endpoint_audience(viewer.id, row["id"], also=removed)
            await record_change(
                EventKind.ENDPOINT,
                model_ids=[m["id"] for m in models],
                universal_model_ids=[m["universal_model_id"] for m in models],
                endpoint_ids=[row["id"]],
                audience=PUBLIC if was_everyone else audience,
            )
        shared = await endpoint_row(row["id"])
    assert shared is not None
    return shared
