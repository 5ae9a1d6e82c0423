"""A small OpenAI-compatible provider on 127.0.0.1, for what crosses a process (the CLI, a served app)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FakeProvider", "fake_provider"]


@dataclass
class FakeProvider:
    base_url: str
    models: list[dict[str, Any]] = field(default_factory=list)  # what GET /v1/models lists now
    requests: int = 0

    def serve(self, *model_ids: str, context: int = 8192) -> None:
        self.models = [{"id": model_id, "object": "model", "max_model_len": context} for model_id in model_ids]


@contextmanager
def fake_provider() -> Iterator[FakeProvider]:
    """A vLLM-shaped server: GET /v1/models answers with `models`."""
    provider = FakeProvider("")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            provider.requests += 1
            if self.path.rstrip("/") != "/v1/models":
                self.send_error(404)
                return
            body = json.dumps({"object": "list", "data": provider.models}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    provider.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
