"""Limits on what one request may ask: depth, aliases, tokens and body size."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

from graphql import FieldNode, GraphQLError, OperationDefinitionNode, parse
from graphql.error import GraphQLSyntaxError
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import MaxTokensLimiter, ParserCache, SchemaExtension, ValidationCache

from api.auth import RequestUser
from api.errors import QueryTooComplex, request_error_body
from api.query_cost import Measure, measure_document

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_COST",
    "MAX_IMPORT_BODY_BYTES",
    "BodyLimit",
    "CachedParse",
    "CachedValidation",
    "DocumentLimits",
    "TokenLimit",
]

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000
MAX_EXPANDED_FIELDS = 5000  # fields once every fragment spread is replaced by its fragment
MAX_COST = 200_000
MIB = 1024 * 1024
MAX_BODY_BYTES = 1 * MIB
MAX_IMPORT_BODY_BYTES = 50 * MIB
BODY_IDLE_TIMEOUT_S = 10.0  # the longest pause between two chunks of a body
BODY_TIMEOUT_S = 120.0  # the longest a whole body may take (50 MiB at a slow 3.5 Mbit/s)
# Root fields (all ADMIN-only) that may arrive in a body larger than MAX_BODY_BYTES: a catalog document,
# a reviewed diff of a provider's whole listing.
LARGE_BODY_FIELDS = frozenset({"importModels", "applySync"})


class DocumentLimits(SchemaExtension):
    """Refuses, before validation, a document too deep, too aliased, too large expanded or too costly."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and context.pre_execution_errors is None:
            variables = context.variables if isinstance(context.variables, dict) else {}
            measures = measure_document(context.schema._schema, context.graphql_document, variables)
            problems = [error for name, measure in measures.items() for error in _problems(name, measure)]
            if problems:
                # Set before validation runs, these are the answer and validation is skipped.
                context.pre_execution_errors = problems
        yield


VALIDATED_DOCUMENTS = 256
PARSED_DOCUMENTS = 256


class CachedParse(ParserCache):
    """strawberry's parse cache; a document that does not parse is left to strawberry's own parse.

    Raised from an extension's hook, a syntax error (or too many tokens) would
    bypass the handling that turns it into a coded error; strawberry's own
    parse step raises it where that handling is.
    """

    def __init__(self) -> None:
        super().__init__(maxsize=PARSED_DOCUMENTS)

    def on_parse(self) -> Iterator[None]:
        try:
            yield from super().on_parse()
        except GraphQLSyntaxError:
            self.execution_context.graphql_document = None
            yield


class CachedValidation(ValidationCache):
    """strawberry's validation cache, after DocumentLimits: a document the limits refused is not validated.

    The limits depend on the variables (a `first`), so they run every time;
    validation depends on the document alone and runs once per document.
    """

    def __init__(self) -> None:
        super().__init__(maxsize=VALIDATED_DOCUMENTS)

    def on_validate(self) -> Iterator[None]:
        if self.execution_context.pre_execution_errors is None:
            yield from super().on_validate()
        else:
            yield


def _problems(operation: str, measure: Measure) -> list[GraphQLError]:
    name = operation or "anonymous"
    problems = []
    if measure.depth > MAX_DEPTH:
        problems.append(f"'{name}' exceeds maximum operation depth of {MAX_DEPTH}")
    if measure.aliases > MAX_ALIASES:
        problems.append(f"'{name}' has {measure.aliases:,} aliases; at most {MAX_ALIASES} are allowed")
    if measure.fields > MAX_EXPANDED_FIELDS:
        problems.append(
            f"'{name}' expands to {measure.fields:,} fields with its fragments; at most {MAX_EXPANDED_FIELDS:,}"
        )
    if measure.cost > MAX_COST:
        problems.append(
            f"'{name}' costs {measure.cost:,}, over the budget of {MAX_COST:,} per request"
            " (a field costs 1 for each object it is resolved for; a list counts as its `first` or its bound)"
        )
    extensions = {"code": QueryTooComplex.code, "cost": measure.cost, "budget": MAX_COST}
    return [GraphQLError(message, extensions=extensions) for message in problems]


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
    """Caps request bodies at 1 MiB; an admin's operation of importModels or applySync alone may send up to 50 MiB.

    It runs after authentication, so nobody else gets the larger allowance: a
    body declared too large is refused before it is read, one that turns out
    too large as soon as it passes the limit, and one that trickles in too
    slowly once its time is up.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        admin = _is_admin(scope)
        allowance = MAX_IMPORT_BODY_BYTES if admin else MAX_BODY_BYTES
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > allowance:
            await _refuse(413, _too_large(admin), scope, receive, send)
            return
        try:
            body = await _read_body(receive, allowance)
        except _BodyTooLarge:
            await _refuse(413, _too_large(admin), scope, receive, send)
            return
        except TimeoutError:
            await _refuse(408, "the request body did not arrive in time", scope, receive, send)
            return
        if body is None:  # the client went away
            return
        if len(body) > MAX_BODY_BYTES and not _only_large_body_fields(body):
            await _refuse(413, _too_large(False), scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)


class _BodyTooLarge(Exception):
    pass


def _is_admin(scope: Scope) -> bool:
    user = scope.get("user")
    return isinstance(user, RequestUser) and user.user is not None and user.user.is_admin


def _too_large(admin: bool) -> str:
    if admin:
        return (
            f"the request body is over {MAX_IMPORT_BODY_BYTES // MIB} MiB; an operation of importModels or"
            f" applySync alone may send up to {MAX_IMPORT_BODY_BYTES // MIB} MiB, any other {MAX_BODY_BYTES // MIB} MiB"
        )
    return f"the request body is over {MAX_BODY_BYTES // MIB} MiB"


async def _read_body(receive: Receive, allowance: int) -> bytes | None:
    """The whole body, or None when the client disconnects; TimeoutError when it is too slow."""
    body = bytearray()
    deadline = asyncio.get_running_loop().time() + BODY_TIMEOUT_S
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        message = await asyncio.wait_for(receive(), timeout=min(BODY_IDLE_TIMEOUT_S, max(remaining, 0.001)))
        if message["type"] == "http.disconnect":
            return None
        body += message.get("body", b"")
        if len(body) > allowance:
            raise _BodyTooLarge
        if not message.get("more_body", False):
            return bytes(body)


async def _refuse(status: int, message: str, scope: Scope, receive: Receive, send: Send) -> None:
    await JSONResponse(request_error_body(message, "body"), status_code=status)(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed
