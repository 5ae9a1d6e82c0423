"""The Starlette application: /graphql, /healthz, auth and limits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute, request_response

from api.access_log import AccessLog
from api.auth import TokenBackend
from api.catalog.price_series import next_catalog_boundary
from api.config import Settings
from api.database import close_pool, database_answers, migrations_pending, open_pool
from api.endpoints.recheck import run_rechecks
from api.endpoints.url_policy import UrlPolicy
from api.graphql_app import CatalogGraphQL
from api.limits import BodyLimit
from api.live.boundaries import add_price_boundary
from api.live.metrics import metrics
from api.live.subscription import EventFollower
from api.live.v1_models import V1Models
from api.request_id import RequestIdMiddleware, request_id_of
from api.schema import build_schema
from api.secrets import SecretBox, load_secret_box
from api.sync import availability
from api.sync.scheduler import run_scheduled_syncs
from api.users.service import token_use_recorded

__all__ = ["create_app"]

log = logging.getLogger("modelcatalog.app")


async def healthz(request: Request) -> JSONResponse:
    if await database_answers():
        return JSONResponse({"status": "ok"})
    log.warning("health check: the database does not answer")
    return JSONResponse({"status": "unavailable"}, status_code=503)


async def readyz(request: Request) -> JSONResponse:
    """Ready to serve: the database answers and every migration has run."""
    if not await database_answers():
        return JSONResponse({"status": "unavailable", "reason": "the database does not answer"}, status_code=503)
    pending = await migrations_pending()
    if pending:
        return JSONResponse({"status": "unavailable", "reason": f"{pending} migration(s) not applied"}, status_code=503)
    return JSONResponse({"status": "ready"})


async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
    """A failure outside GraphQL's own handling: the usual error shape with the request id, never text/plain."""
    request_id = request_id_of(request.scope)
    log.error("unexpected error in request %s", request_id, exc_info=error)
    body = {
        "message": f"Unexpected error (request id {request_id}).",
        "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
    }
    return JSONResponse({"errors": [body]}, status_code=500, headers={"X-Request-ID": request_id})


def lifespan_of(
    settings: Settings, secrets: SecretBox, follower: EventFollower
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """The database pool, and the background jobs the settings turn on, for as long as the app serves."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await open_pool()
        jobs: list[asyncio.Task[None]] = []
        if settings.sync_interval:
            jobs.append(asyncio.create_task(run_scheduled_syncs(secrets, settings.sync_interval), name="sync"))
        if settings.health_interval:
            policy = UrlPolicy(allow_private=settings.endpoint_allow_private)
            recheck = run_rechecks(settings.health_interval, secrets=secrets, policy=policy)
            jobs.append(asyncio.create_task(recheck, name="local endpoint re-check"))
        try:
            yield
        finally:
            for job in jobs:
                job.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await job
            await follower.stop()
            await token_use_recorded()
            await availability.refreshes_done()
            await close_pool()

    return lifespan


def create_app(settings: Settings | None = None) -> Starlette:
    """The service; refuses to build (ConfigError) when production lacks a real secret key."""
    settings = settings or Settings.from_env()
    secrets = load_secret_box(settings)
    add_price_boundary(next_catalog_boundary)  # no cached price outlives a scheduled price or a window edge
    graphql = CatalogGraphQL(build_schema(production=settings.production), settings=settings, secrets=secrets)
    middleware = [Middleware(RequestIdMiddleware), Middleware(AccessLog)]
    if settings.allowed_hosts:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts)))
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            )
        )
    # Authentication first: only an admin's body may be larger than 1 MiB.
    endpoint = AuthenticationMiddleware(BodyLimit(graphql), backend=TokenBackend())
    models = AuthenticationMiddleware(request_response(V1Models(graphql.live).respond), backend=TokenBackend())
    app = Starlette(
        routes=[
            Route("/graphql", endpoint, methods=["GET", "POST"]),
            Route("/graphql/", endpoint, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", endpoint),  # graphql-transport-ws: catalogChanged
            Route("/v1/models", models, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
        ],
        middleware=middleware,
        exception_handlers={Exception: unexpected_error},
        lifespan=lifespan_of(settings, secrets, graphql.follower),
    )
    # A redirect to the other spelling of a path would be built from the Host header.
    app.router.redirect_slashes = False
    return app
