"""Serving the app with uvicorn, bounded against slow and greedy clients."""

from __future__ import annotations

import asyncio
from typing import Any

import h11
import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["REQUEST_HEAD_TIMEOUT_S", "server_config", "timely_protocol"]

# uvicorn closes idle keep-alive connections but sets no limit on a request
# head that trickles in a byte at a time (slowloris); this one does.
REQUEST_HEAD_TIMEOUT_S = 10.0
MAX_CONNECTIONS = 1000  # more at once are answered 503 instead of queuing without bound
KEEP_ALIVE_S = 5


def timely_protocol(head_timeout: float = REQUEST_HEAD_TIMEOUT_S) -> type[H11Protocol]:
    """uvicorn's HTTP/1.1 protocol, closing a connection whose request head is not in after `head_timeout` s."""

    class TimelyH11Protocol(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm_head_timer()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm_head_timer()  # the next request on a kept-alive connection gets the same bound

        def connection_lost(self, exc: Exception | None) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            super().connection_lost(exc)

        def _arm_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            self._head_timer = self.loop.call_later(head_timeout, self._head_too_slow)

        def _head_too_slow(self) -> None:
            # IDLE: no complete request head since the timer was armed.
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()

    return TimelyH11Protocol


def server_config(app: ASGIApp, host: str, port: int, **overrides: Any) -> uvicorn.Config:
    """uvicorn's configuration: our own access log (paths without query strings), bounded connections."""
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "http": timely_protocol(),
        "log_level": "info",
        "access_log": False,  # uvicorn's would log a GET's query string, where variables (and keys) travel
        "limit_concurrency": MAX_CONNECTIONS,
        "timeout_keep_alive": KEEP_ALIVE_S,
        "server_header": False,
        **overrides,
    }
    return uvicorn.Config(app, **options)
