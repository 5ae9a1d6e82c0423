"""The per-request GraphQL context: the caller, settings, secrets and fresh DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeAlias

from starlette.requests import HTTPConnection
from starlette.responses import Response
from strawberry.dataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from api.audit.service import latest_entries
from api.catalog import lookup, price_series
from api.catalog.prices import Price
from api.chats import loaders as chat_loaders
from api.config import Settings
from api.endpoints import loaders as endpoint_loaders
from api.providers.service import model_counts
from api.secrets import SecretBox
from api.users.service import AuthenticatedUser, users_by_id
from domain.choices import AuditEntity

if TYPE_CHECKING:
    from api.live.subscription import EventFollower

__all__ = ["Context", "Info", "Loaders"]


async def _prices_now(model_ids: list[int]) -> list[Price | None]:
    found = await price_series.prices_in_force(model_ids)
    return [found.get(model_id) for model_id in model_ids]


@dataclass
class Loaders:
    """Batch loaders, built for each request so nothing is cached across callers."""

    model_count: DataLoader[int, int] = field(default_factory=lambda: DataLoader(load_fn=model_counts))
    provider: DataLoader[int, dict[str, Any] | None] = field(
        default_factory=lambda: DataLoader(load_fn=lookup.providers_by_id)
    )
    history: DataLoader[tuple[int, int], list[dict[str, Any]]] = field(
        default_factory=lambda: DataLoader(load_fn=lookup.latest_history)
    )
    chat_count: DataLoader[int, int] = field(default_factory=lambda: DataLoader(load_fn=lookup.chat_counts))
    # "now" is read when the batch runs, so a scheduled price shows from its moment on
    pricing_now: DataLoader[int, Price | None] = field(default_factory=lambda: DataLoader(load_fn=_prices_now))
    pricing_at: DataLoader[tuple[int, datetime], Price | None] = field(
        default_factory=lambda: DataLoader(load_fn=price_series.prices_at)
    )
    chat: DataLoader[int, dict[str, Any] | None] = field(
        default_factory=lambda: DataLoader(load_fn=chat_loaders.chats_by_id)
    )
    price_history: DataLoader[tuple[int, int], list[Price]] = field(
        default_factory=lambda: DataLoader(load_fn=price_series.latest_prices)
    )
    user: DataLoader[int, AuthenticatedUser | None] = field(default_factory=lambda: DataLoader(load_fn=users_by_id))
    visible_model: DataLoader[tuple[int, AuthenticatedUser], dict[str, Any] | None] = field(
        default_factory=lambda: DataLoader(load_fn=chat_loaders.visible_models)
    )
    agent: DataLoader[int, dict[str, Any] | None] = field(
        default_factory=lambda: DataLoader(load_fn=chat_loaders.agents_by_id)
    )
    agent_models: DataLoader[tuple[int, AuthenticatedUser], list[dict[str, Any]]] = field(
        default_factory=lambda: DataLoader(load_fn=chat_loaders.agent_models)
    )
    visible_endpoint: DataLoader[tuple[int, AuthenticatedUser], dict[str, Any] | None] = field(
        default_factory=lambda: DataLoader(load_fn=endpoint_loaders.visible_endpoints)
    )
    endpoint_shares: DataLoader[int, list[AuthenticatedUser]] = field(
        default_factory=lambda: DataLoader(load_fn=endpoint_loaders.share_lists)
    )
    audit: DataLoader[tuple[AuditEntity, int, int], list[dict[str, Any]]] = field(
        default_factory=lambda: DataLoader(load_fn=latest_entries)
    )


@dataclass
class Context:
    request: HTTPConnection  # a Request, or the WebSocket of a subscription
    response: Response | None  # None on a WebSocket
    settings: Settings
    secrets: SecretBox
    request_id: str
    user: AuthenticatedUser | None
    auth_problem: str | None
    follower: EventFollower
    loaders: Loaders = field(default_factory=Loaders)
    connection_params: dict[str, Any] | None = None  # a WebSocket's connection_init payload


Info: TypeAlias = StrawberryInfo[Context, None]
