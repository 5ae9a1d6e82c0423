"""A real, tiny HTTP server on 127.0.0.1 (a port of its own), standing in for a user's model server.

It answers canned replies by method and path on a real socket, records every
request it receives (method, path, headers, body), and can hang, answer slowly
or redirect, so the tests see what the service really sends over the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["FIXTURES", "ModelServer", "Reply", "Request", "ollama_server", "openai_server"]

FIXTURES = Path(__file__).parent / "adapters" / "fixtures"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # accept the request and never answer
    delay: float = 0.0

    @classmethod
    def json(cls, payload: Any, status: int = 200, **headers: str) -> Reply:
        return cls(status, json.dumps(payload).encode(), {"content-type": "application/json", **headers})


Route = Reply | Callable[[Request], Reply]
_REASONS = {200: "OK", 302: "Found", 401: "Unauthorized", 404: "Not Found", 500: "Internal Server Error"}


class ModelServer:
    """Routes by (method, path); anything else is 404. Use with `async with`."""

    def __init__(
        self,
        routes: dict[tuple[str, str], Route] | None = None,
        *,
        silent: bool = False,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.routes: dict[tuple[str, str], Route] = dict(routes or {})
        self.requests: list[Request] = []
        self.silent = silent  # accept connections and never read or answer
        self._server: asyncio.Server | None = None
        self._port = 0
        self._handlers: set[asyncio.Task[Any]] = set()
        self._stopping = asyncio.Event()  # wakes the handlers that hang
        self._tls = tls  # serve https with this context

    @property
    def port(self) -> int:
        assert self._port, "the server has not started"
        return self._port

    @property
    def url(self) -> str:
        return f"{'https' if self._tls else 'http'}://127.0.0.1:{self.port}"

    def paths(self) -> list[str]:
        return [request.path for request in self.requests]

    async def __aenter__(self) -> ModelServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self._tls)
        self._port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        self._stopping.set()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), 1)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            if self.silent:
                await self._stopping.wait()
                return
            request = await self._read(reader)
            if request is None:
                return
            self.requests.append(request)
            route = self.routes.get((request.method, request.path)) or Reply.json({"error": "not found"}, 404)
            reply = route(request) if callable(route) else route
            if reply.hang:
                await self._stopping.wait()
                return
            if reply.delay:
                await asyncio.sleep(reply.delay)
            head = [f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Status')}"]
            headers = {"content-length": str(len(reply.body)), "connection": "close", **reply.headers}
            head += [f"{name}: {value}" for name, value in headers.items()]
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + reply.body)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            self._handlers.discard(task)
            writer.close()

    @staticmethod
    async def _read(reader: asyncio.StreamReader) -> Request | None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or 0)
        body = await reader.readexactly(length) if length else b""
        return Request(method, target.split("?", 1)[0], headers, body)


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def ollama_server(models: list[str] | None = None, **routes: Route) -> ModelServer:
    """An Ollama server listing the given tags (default: the fixture's), answering `/api/show` from fixtures."""
    tags = _fixture("ollama_tags.json")
    if models is not None:
        tags = {"models": [{"name": name, "model": name, "details": {"family": "llama"}} for name in models]}
    shows = {
        "deepseek-r1:latest": _fixture("ollama_show_deepseek-r1.json"),
        "llama3.2:latest": _fixture("ollama_show_llama3.2.json"),
        "qwen3:8b": _fixture("ollama_show_qwen3.json"),
        "nomic-embed-text:latest": _fixture("ollama_show_nomic-embed-text.json"),
    }

    def show(request: Request) -> Reply:
        name = request.json()["model"]
        return Reply.json(shows.get(name, {"capabilities": ["completion"], "model_info": {}}))

    server = ModelServer({("GET", "/api/tags"): Reply.json(tags), ("POST", "/api/show"): show})
    server.routes.update({("GET", path): route for path, route in routes.items()})
    return server


def openai_server(model_ids: list[str], prefix: str = "/v1") -> ModelServer:
    """An OpenAI-compatible server (vLLM, LM Studio, llama.cpp) listing these model ids."""
    listing = {"object": "list", "data": [{"id": model_id, "object": "model"} for model_id in model_ids]}
    return ModelServer({("GET", f"{prefix}/models"): Reply.json(listing)})
