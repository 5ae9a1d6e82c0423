"""The exact response cache: serialized answers keyed on document, variables, viewer and catalog revision.

Never stale: a hit needs the revision it was computed at to still be the
catalog's (one single-row read) and the next price boundary not to have come.
The viewer in the key is always the user id and role: a catalog answer can
hold the caller's own or shared private models and ADMIN-only fields, and a
key without the user would have to prove, per document, that it holds neither.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.auth import RequestUser
from api.config import Settings
from api.errors import request_error_body
from api.live.boundaries import next_price_boundary
from api.live.documents import cache_plan, parsed
from api.live.metrics import CACHE_LOOKUPS
from api.live.persisted import PersistedQueries, PersistedQueryProblem
from api.live.revision import current_revision
from api.secrets import SecretBox
from api.sync import availability
from api.users.service import AuthenticatedUser

__all__ = ["CACHE_CONTROL", "MAX_ENTRIES", "CachedAnswer", "LiveReads", "ResponseCache", "Validity"]

MAX_ENTRIES = 2048  # answers kept per process, least recently used out first
MAX_ANSWER_BYTES = 4 * 1024 * 1024  # a larger answer (an export) is not kept
CACHE_CONTROL = "private, no-cache"  # a browser may keep it, but asks again (If-None-Match) every time
JSON = "application/json"


@dataclass(frozen=True)
class Validity:
    """What a cached answer depends on: the catalog revision and the next price boundary after it was made."""

    revision: int
    boundary: datetime | None

    def tag(self, key: str) -> str:
        text = f"{key}:{self.revision}:{self.boundary.isoformat() if self.boundary else '-'}"
        return '"' + hashlib.sha256(text.encode()).hexdigest()[:40] + '"'


@dataclass(frozen=True)
class CachedAnswer:
    validity: Validity
    body: bytes
    etag: str


class ResponseCache:
    """Answers by key, least recently used out first."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._answers: OrderedDict[str, CachedAnswer] = OrderedDict()
        self._boundary: tuple[int, datetime | None] | None = None  # the revision it was computed at, and it

    def get(self, key: str, validity: Validity) -> CachedAnswer | None:
        answer = self._answers.get(key)
        if answer is None or answer.validity != validity:
            return None
        self._answers.move_to_end(key)
        return answer

    def put(self, key: str, answer: CachedAnswer) -> None:
        self._answers[key] = answer
        self._answers.move_to_end(key)
        while len(self._answers) > self.max_entries:
            self._answers.popitem(last=False)

    def __len__(self) -> int:
        return len(self._answers)

    async def validity(self, revision: int) -> Validity:
        """The revision with the next price boundary; asked of the hooks once per revision and per boundary passed."""
        now = datetime.now(UTC)
        known = self._boundary
        if known is None or known[0] != revision or (known[1] is not None and known[1] <= now):
            # Prices change only with a revision, so the next boundary holds until the revision moves or it passes.
            known = (revision, await next_price_boundary(now))
            self._boundary = known
        return Validity(revision, known[1])


def key_of(query: str, operation: str | None, variables: Any, user: AuthenticatedUser, scope: str = "graphql") -> str:
    text = json.dumps([scope, query, operation, variables, user.id, user.role.value], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _request_user(request: Request) -> AuthenticatedUser | None:
    caller = request.scope.get("user")
    return caller.user if isinstance(caller, RequestUser) else None


def _json_param(value: str | None) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value  # strawberry refuses it with its own words


@dataclass
class _Operation:
    query: str | None
    variables: Any
    operation: str | None
    extensions: Any


async def _operation_of(request: Request) -> _Operation | None:
    """What the request asks, or None when its body is not one JSON object (strawberry answers that)."""
    if request.method == "GET":
        params = request.query_params
        return _Operation(
            params.get("query"),
            _json_param(params.get("variables")),
            params.get("operationName"),
            _json_param(params.get("extensions")),
        )
    try:
        data = json.loads(await request.body())
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    return _Operation(data.get("query"), data.get("variables"), data.get("operationName"), data.get("extensions"))


class LiveReads:
    """Answers a GraphQL request from the cache when it may, and runs it (then keeps the answer) when not."""

    PERSISTED_QUERY = "modelcatalog.persisted_query"  # the scope key where the document a hash named waits

    def __init__(self, settings: Settings, secrets: SecretBox) -> None:
        self.settings = settings
        self.secrets = secrets
        self.cache = ResponseCache()
        self.persisted = PersistedQueries()

    async def answer(self, request: Request, execute: Callable[[Request], Awaitable[Response]]) -> Response:
        operation = await _operation_of(request)
        if operation is None:
            return await execute(request)
        try:
            query = await self.persisted.document(
                operation.query if isinstance(operation.query, str) else None,
                operation.extensions if isinstance(operation.extensions, dict) else None,
            )
        except PersistedQueryProblem as problem:
            body = request_error_body(problem.message, "persistedQuery")
            body["errors"][0]["extensions"]["code"] = problem.code
            return JSONResponse(body, status_code=problem.status)
        if query is not None and operation.query is None:
            request.scope[self.PERSISTED_QUERY] = query
        user = _request_user(request)
        variables = operation.variables if isinstance(operation.variables, dict) else {}
        document = parsed(query) if isinstance(query, str) else None
        plan = cache_plan(document, operation.operation, variables) if document is not None and user else None
        if plan is None or user is None or query is None:
            CACHE_LOOKUPS.labels("bypass").inc()
            return await execute(request)
        if plan.refreshes_availability:
            # What selectableModels does before it reads: a stale provider is asked (250 ms at most), which
            # bumps the revision when availability changed, so the lookup below sees it.
            await availability.refresh_stale(self.secrets, self.settings.availability_ttl)
        key = key_of(query, operation.operation, operation.variables, user)
        return await self.cached(request, key, lambda: execute(request))

    async def cached(self, request: Request, key: str, execute: Callable[[], Awaitable[Response]]) -> Response:
        """The answer for `key` at the current revision: 304, a cached body, or a fresh one kept for next time."""
        validity = await self.cache.validity(await current_revision())
        etag = validity.tag(key)
        headers = {"Cache-Control": CACHE_CONTROL}
        if request.method == "GET":
            headers["ETag"] = etag
            if etag in _tags(request.headers.get("if-none-match")):
                CACHE_LOOKUPS.labels("hit").inc()
                return Response(status_code=304, headers=headers)
        hit = self.cache.get(key, validity)
        if hit is not None:
            CACHE_LOOKUPS.labels("hit").inc()
            return Response(hit.body, media_type=JSON, headers=headers)
        CACHE_LOOKUPS.labels("miss").inc()
        response = await execute()
        body = bytes(response.body)
        if response.status_code != 200 or b'"errors":' in body or len(body) > MAX_ANSWER_BYTES:
            return response  # errors may be passing (UNAVAILABLE); only clean answers are kept and tagged
        self.cache.put(key, CachedAnswer(validity, body, etag))
        response.headers.update(headers)
        return response


def _tags(header: str | None) -> set[str]:
    if not header:
        return set()
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}
