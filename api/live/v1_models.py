"""GET /v1/models: the caller's picker in OpenAI's list shape, for OpenAI-compatible tools, through the cache."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.auth import RequestUser
from api.catalog import lookup
from api.live.cache import LiveReads, key_of
from api.sync import availability

__all__ = ["V1Models"]


def _unix_seconds(moment: datetime) -> int:
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())


def _error(message: str, status: int, kind: str) -> JSONResponse:
    # OpenAI's error shape, which these clients already read
    return JSONResponse({"error": {"message": message, "type": kind, "code": None}}, status_code=status)


class V1Models:
    """The endpoint; shares the GraphQL view's cache, so a write makes both fresh at once."""

    def __init__(self, live: LiveReads) -> None:
        self.live = live

    async def respond(self, request: Request) -> Response:
        caller = request.scope.get("user")
        user = caller.user if isinstance(caller, RequestUser) else None
        if user is None:
            problem = (
                caller.problem if isinstance(caller, RequestUser) and caller.problem else "authentication required"
            )
            response = _error(problem, 401, "invalid_request_error")
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        # The same wait as the picker's: 250 ms at most for a stale provider.
        await availability.refresh_stale(self.live.secrets, self.live.settings.availability_ttl)

        async def listing() -> Response:
            rows = await lookup.selectable_models(user)
            providers = await lookup.providers_by_id(sorted({row["provider"] for row in rows}))
            keys = {provider["id"]: provider["key"] for provider in providers if provider}
            data = [
                {
                    "id": row["universal_model_id"],
                    "object": "model",
                    "created": _unix_seconds(row["created_at"]),
                    "owned_by": keys.get(row["provider"], ""),
                }
                for row in rows
            ]
            body = json.dumps({"object": "list", "data": data}, separators=(",", ":"))
            return Response(body, media_type="application/json")

        return await self.live.cached(request, key_of("", None, None, user, scope="v1/models"), listing)
