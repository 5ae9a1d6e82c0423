"""Re-encrypting every stored secret (provider and endpoint keys) under the newest key, so older keys can go."""

from __future__ import annotations

from dataclasses import dataclass

from api.config import ConfigError
from api.database import for_update, transaction
from api.secrets import SecretBox, SecretUnreadable
from tables.catalog import Provider
from tables.endpoints import LocalEndpoint

__all__ = ["Rotation", "rotate_stored_secrets"]

SHOWN = 10  # unreadable secrets named in the error; the rest are counted


@dataclass(frozen=True)
class Rotation:
    providers: int
    endpoints: int


async def rotate_stored_secrets(secrets: SecretBox) -> Rotation:
    """Every stored key re-encrypted under the first configured key, in one transaction; none if one is unreadable."""
    # A key the configured keys cannot read is a ConfigError naming its row: the key it was
    # stored under must be added to MODELCATALOG_SECRET_KEY first.
    async with transaction():
        providers = await for_update(
            Provider.select(Provider.id, Provider.key, Provider.api_key).where(Provider.api_key.is_not_null())
        ).order_by(Provider.id)
        endpoints = await for_update(
            LocalEndpoint.select(LocalEndpoint.id, LocalEndpoint.api_key).where(LocalEndpoint.api_key.is_not_null())
        ).order_by(LocalEndpoint.id)
        rotated: dict[tuple[str, int], str] = {}
        unreadable: list[str] = []
        for kind, label, row in [
            *(("provider", f"provider {row['key']}", row) for row in providers),
            *(("endpoint", f"endpoint {row['id']}", row) for row in endpoints),
        ]:
            try:
                rotated[(kind, row["id"])] = secrets.rotate(row["api_key"])
            except SecretUnreadable:
                unreadable.append(label)
        if unreadable:
            more = f" and {len(unreadable) - SHOWN} more" if len(unreadable) > SHOWN else ""
            raise ConfigError(
                f"the stored keys of {', '.join(unreadable[:SHOWN])}{more} cannot be decrypted with any key in"
                " MODELCATALOG_SECRET_KEY; add the key they were stored under and run this again (nothing was changed)"
            )
        for (kind, row_id), token in rotated.items():
            if kind == "provider":
                await Provider.update({Provider.api_key: token}).where(Provider.id == row_id)
            else:
                await LocalEndpoint.update({LocalEndpoint.api_key: token}).where(LocalEndpoint.id == row_id)
    return Rotation(providers=len(providers), endpoints=len(endpoints))
