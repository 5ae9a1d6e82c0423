"""The GraphQL endpoint: strawberry's ASGI view with our context, the response cache and JSON request errors."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Mapping

from cross_web import (
    AsyncHTTPRequestAdapter,
    HTTPException,  # what strawberry's views raise for bad requests
)
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.schema import BaseSchema
from strawberry.types.unset import UnsetType

from api.auth import NO_TOKEN, RequestUser, TokenBackend
from api.config import Settings
from api.context import Context
from api.errors import request_error_body
from api.live.cache import LiveReads
from api.live.metrics import REQUEST_SECONDS, REQUESTS, operation_label
from api.live.subscription import EventFollower
from api.request_id import request_id_of
from api.secrets import SecretBox

__all__ = ["CatalogGraphQL"]


class CatalogGraphQL(GraphQL[Context, None]):
    def __init__(self, schema: BaseSchema, *, settings: Settings, secrets: SecretBox) -> None:
        super().__init__(schema, graphql_ide=None if settings.production else "graphiql")
        self.settings = settings
        self.secrets = secrets
        self.live = LiveReads(settings, secrets)
        self.follower = EventFollower()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        started = time.perf_counter()
        request = Request(scope=scope, receive=receive)
        response = await self.live.answer(request, self._run)
        operation = operation_label(_operation_name(request))
        REQUESTS.labels(operation, str(response.status_code)).inc()
        REQUEST_SECONDS.labels(operation).observe(time.perf_counter() - started)
        await response(scope, receive, send)

    async def _run(self, request: Request) -> Response:
        try:
            return await self.run(request)
        except HTTPException as error:
            # strawberry answers a malformed body, a batch or an unknown
            # operation with plain text; clients get the usual error shape.
            return JSONResponse(request_error_body(error.reason, "request"), status_code=error.status_code)

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData | list[GraphQLRequestData]:
        """The request's operation; a persisted query's document in place of its hash."""
        data = await super().parse_http_body(request)
        persisted = getattr(request, "request", None)
        document = persisted.scope.get(LiveReads.PERSISTED_QUERY) if isinstance(persisted, Request) else None
        if isinstance(data, GraphQLRequestData) and data.query is None and isinstance(document, str):
            return dataclasses.replace(data, query=document)
        return data

    def decode_json(self, data: str | bytes) -> object:
        """The request's JSON; a body that is not UTF-8, too deeply nested or not an object is a clear 400."""
        try:
            value = json.loads(data)
        except UnicodeDecodeError:
            raise HTTPException(400, "The request body is not UTF-8 text") from None
        except RecursionError:
            raise HTTPException(400, "The request body is nested too deeply") from None
        if not isinstance(value, dict | list):  # a list is a batch, which the view refuses with its own words
            raise HTTPException(400, "The request body must be a JSON object with a `query`")
        return value

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        caller = request.scope.get("user")
        if not isinstance(caller, RequestUser):
            caller = RequestUser(None, NO_TOKEN)
        return Context(
            request=request,
            response=response if isinstance(response, Response) else None,
            settings=self.settings,
            secrets=self.secrets,
            request_id=request_id_of(request.scope),
            user=caller.user,
            auth_problem=caller.problem,
            follower=self.follower,
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """A subscription's token comes in connection_init ({"Authorization": "Bearer ..."}); none, no connection."""
        params = context.connection_params if isinstance(context.connection_params, Mapping) else {}
        header = params.get("Authorization") or params.get("authorization")
        if isinstance(header, str):
            user = await TokenBackend.user_of(header)
            context.user = user.user
            context.auth_problem = user.problem
        if context.user is None:
            raise ConnectionRejectionError({"message": context.auth_problem or NO_TOKEN})
        return None


def _operation_name(request: Request) -> object:
    if request.method == "GET":
        return request.query_params.get("operationName")
    body = getattr(request, "_body", None)  # read by then; never read again here
    if not body:
        return None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return data.get("operationName") if isinstance(data, dict) else None
