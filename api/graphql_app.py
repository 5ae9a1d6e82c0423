"""The GraphQL endpoint: strawberry's ASGI view with our context and JSON request errors."""

from __future__ import annotations

import json

from cross_web import HTTPException  # what strawberry's views raise for bad requests
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.schema import BaseSchema

from api.auth import NO_TOKEN, RequestUser
from api.config import Settings
from api.context import Context
from api.errors import request_error_body
from api.request_id import request_id_of
from api.secrets import SecretBox

__all__ = ["CatalogGraphQL"]


class CatalogGraphQL(GraphQL[Context, None]):
    def __init__(self, schema: BaseSchema, *, settings: Settings, secrets: SecretBox) -> None:
        super().__init__(schema, graphql_ide=None if settings.production else "graphiql")
        self.settings = settings
        self.secrets = secrets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self.run(request)
        except HTTPException as error:
            # strawberry answers a malformed body, a batch or an unknown
            # operation with plain text; clients get the usual error shape.
            response = JSONResponse(request_error_body(error.reason, "request"), status_code=error.status_code)
        await response(scope, receive, send)

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
        assert isinstance(request, Request) and isinstance(response, Response)
        return Context(
            request=request,
            response=response,
            settings=self.settings,
            secrets=self.secrets,
            request_id=request_id_of(request.scope),
            user=caller.user,
            auth_problem=caller.problem,
        )
