"""The per-request GraphQL context: the caller, settings, secrets and fresh DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias

from starlette.requests import Request
from starlette.responses import Response
from strawberry.dataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from api.config import Settings
from api.providers.service import model_counts
from api.secrets import SecretBox
from api.users.service import AuthenticatedUser

__all__ = ["Context", "Info", "Loaders"]


@dataclass
class Loaders:
    """Batch loaders, built for each request so nothing is cached across callers."""

    model_count: DataLoader[int, int] = field(default_factory=lambda: DataLoader(load_fn=model_counts))


@dataclass
class Context:
    request: Request
    response: Response
    settings: Settings
    secrets: SecretBox
    request_id: str
    user: AuthenticatedUser | None
    auth_problem: str | None
    loaders: Loaders = field(default_factory=Loaders)


Info: TypeAlias = StrawberryInfo[Context, None]
