"""The service on a real socket on 127.0.0.1, served by uvicorn in a thread, as a client meets it."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import uvicorn

from api.app import create_app
from api.config import Settings
from api.server import server_config, timely_protocol

__all__ = ["free_port", "live_server"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def live_server(settings: Settings, *, head_timeout: float = 1.0, **config: Any) -> Iterator[str]:
    """The app's base URL while uvicorn serves it; its lifespan is off so no pool crosses event loops."""
    port = free_port()
    app = create_app(replace(settings, **config))
    server = uvicorn.Server(
        server_config(app, "127.0.0.1", port, http=timely_protocol(head_timeout), lifespan="off", log_level="warning")
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
