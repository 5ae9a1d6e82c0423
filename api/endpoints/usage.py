"""An endpoint's lastUsedAt, which follows its models' use: in chats and in recorded usage."""

from __future__ import annotations

from datetime import UTC, datetime

from api.database import transaction
from tables.catalog import AiModel
from tables.endpoints import LocalEndpoint

__all__ = ["note_endpoints_used", "note_model_use"]


async def note_model_use(model_id: int, at: datetime | None = None) -> None:
    """Mark the endpoint the model was discovered on as used now; nothing for a public model."""
    # Its own transaction, after the use's: taking the endpoint's row lock while holding the model's
    # would wait in a circle with a deletion, which locks the endpoint first.
    row = await AiModel.select(AiModel.endpoint).where(AiModel.id == model_id).first()
    if row is None or row["endpoint"] is None:
        return
    async with transaction():
        await LocalEndpoint.update({LocalEndpoint.last_used_at: at or datetime.now(UTC)}).where(
            LocalEndpoint.id == row["endpoint"]
        )


async def note_endpoints_used(endpoint_ids: set[int], at: datetime | None = None) -> None:
    """Mark these endpoints as used (their models' usage was recorded); in a transaction of its own, as above."""
    if not endpoint_ids:
        return
    async with transaction():
        await LocalEndpoint.update({LocalEndpoint.last_used_at: at or datetime.now(UTC)}).where(
            LocalEndpoint.id.is_in(sorted(endpoint_ids))
        )
