"""One log line per HTTP request: method, path (never the query string), status, time and request id."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.request_id import request_id_of

__all__ = ["AccessLog"]

log = logging.getLogger("modelcatalog.access")


class AccessLog:
    """Logs each request; a GET's query string carries variables (keys, even), so it is never written."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client sees when the app fails before answering

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            log.info(
                '%s "%s %s" %d %.1f ms request=%s',
                _client(scope),
                scope["method"],
                scope["path"],
                status,
                (time.perf_counter() - started) * 1000,
                request_id_of(scope),
                extra={"request_id": request_id_of(scope)},
            )


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "-"
