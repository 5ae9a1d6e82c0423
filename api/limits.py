"""Limits on what one request may ask: depth, aliases, tokens and body size."""

from __future__ import annotations

import json
from typing import Any

from graphql import ASTValidationRule, FieldNode, GraphQLError, OperationDefinitionNode, parse
from graphql.error import GraphQLSyntaxError
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter

from api.errors import QueryTooComplex, request_error_body

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_IMPORT_BODY_BYTES",
    "AliasLimit",
    "BodyLimit",
    "DepthLimit",
    "TokenLimit",
]

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000
MAX_BODY_BYTES = 1024 * 1024
MAX_IMPORT_BODY_BYTES = 50 * 1024 * 1024
# Root fields that may arrive in a body larger than MAX_BODY_BYTES.
LARGE_BODY_FIELDS = frozenset({"importModels"})


class _TooComplexReports:
    """A validation context whose reported errors carry QUERY_TOO_COMPLEX."""

    def __init__(self, context: Any) -> None:
        self._context = context

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)

    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {**(error.extensions or {}), "code": QueryTooComplex.code}
        self._context.report_error(error)


def _too_complex(rule: type[ASTValidationRule]) -> type[ASTValidationRule]:
    # strawberry's limiters report plain errors; the contract wants a code on them.
    class Coded(rule):  # type: ignore[misc, valid-type]
        def __init__(self, context: Any) -> None:
            super().__init__(_TooComplexReports(context))

    Coded.__name__ = f"Coded{rule.__name__}"
    return Coded


class DepthLimit(QueryDepthLimiter):
    def __init__(self) -> None:
        super().__init__(max_depth=MAX_DEPTH)
        self.validation_rules = [_too_complex(rule) for rule in self.validation_rules]


class AliasLimit(MaxAliasesLimiter):
    def __init__(self) -> None:
        super().__init__(max_alias_count=MAX_ALIASES)
        self.validation_rules = [_too_complex(rule) for rule in self.validation_rules]


class TokenLimit(MaxTokensLimiter):
    def __init__(self) -> None:
        super().__init__(max_token_count=MAX_TOKENS)


def _only_large_body_fields(body: bytes) -> bool:
    """Whether the request's operation selects nothing but LARGE_BODY_FIELDS."""
    try:
        request = json.loads(body)
        document = parse(request["query"], max_tokens=MAX_TOKENS)
    except (ValueError, TypeError, KeyError, GraphQLSyntaxError):
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    name = request.get("operationName")
    if name:
        operations = [o for o in operations if o.name and o.name.value == name]
    if len(operations) != 1:
        return False
    selections = operations[0].selection_set.selections
    return all(isinstance(s, FieldNode) and s.name.value in LARGE_BODY_FIELDS for s in selections)


class BodyLimit:
    """Refuses bodies over 1 MiB with 413, but lets importModels send up to 50 MiB."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > MAX_IMPORT_BODY_BYTES:
            await self._refuse(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > MAX_IMPORT_BODY_BYTES:
                await self._refuse(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        if len(body) > MAX_BODY_BYTES and not _only_large_body_fields(bytes(body)):
            await self._refuse(scope, receive, send)
            return
        await self.app(scope, _replay(bytes(body), receive), send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
        message = (
            f"the request body is over {MAX_BODY_BYTES // 1024 // 1024} MiB "
            f"(importModels alone accepts up to {MAX_IMPORT_BODY_BYTES // 1024 // 1024} MiB)"
        )
        await JSONResponse(request_error_body(message, "body"), status_code=413)(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed
