"""The Starlette application: /graphql, /healthz, auth and limits."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.auth import TokenBackend
from api.config import Settings
from api.database import close_pool, database_answers, open_pool
from api.graphql_app import CatalogGraphQL
from api.limits import BodyLimit
from api.request_id import RequestIdMiddleware
from api.schema import build_schema
from api.secrets import load_secret_box

__all__ = ["create_app"]

log = logging.getLogger("modelcatalog.app")


async def healthz(request: Request) -> JSONResponse:
    if await database_answers():
        return JSONResponse({"status": "ok"})
    log.warning("health check: the database does not answer")
    return JSONResponse({"status": "unavailable"}, status_code=503)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    await open_pool()
    try:
        yield
    finally:
        await close_pool()


def create_app(settings: Settings | None = None) -> Starlette:
    """The service; refuses to build (ConfigError) when production lacks a real secret key."""
    settings = settings or Settings.from_env()
    secrets = load_secret_box(settings)
    graphql = CatalogGraphQL(build_schema(production=settings.production), settings=settings, secrets=secrets)
    middleware = [Middleware(RequestIdMiddleware)]
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            )
        )
    return Starlette(
        routes=[
            Route(
                "/graphql",
                BodyLimit(AuthenticationMiddleware(graphql, backend=TokenBackend())),
                methods=["GET", "POST"],
            ),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
