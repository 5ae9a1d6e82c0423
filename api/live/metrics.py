"""The operator's numbers, in Prometheus's text format at /metrics."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response

__all__ = [
    "CACHE_LOOKUPS",
    "PROVIDER_CALLS",
    "REQUESTS",
    "REQUEST_SECONDS",
    "metrics",
    "operation_label",
    "provider_call",
]

REQUESTS = Counter("modelcatalog_requests", "GraphQL and /v1/models requests", ["operation", "status"])
REQUEST_SECONDS = Histogram(
    "modelcatalog_request_seconds",
    "Time to answer a request",
    ["operation"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CACHE_LOOKUPS = Counter("modelcatalog_cache_lookups", "Response cache lookups", ["result"])  # hit, miss, bypass
PROVIDER_CALLS = Histogram("modelcatalog_provider_call_seconds", "Provider listing calls", ["kind", "outcome"])
POOL_CONNECTIONS = Gauge("modelcatalog_db_pool_connections", "Database pool connections", ["state"])

OPERATION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
MAX_OPERATION_LABELS = 200  # operation names come from clients: a bounded set of label values
_operations: set[str] = set()


def operation_label(name: object) -> str:
    """A metric label for the operation name: the name, `anonymous`, or `other` past the bound."""
    if not isinstance(name, str) or not name:
        return "anonymous"
    if not OPERATION_NAME.fullmatch(name):
        return "other"
    if name not in _operations:
        if len(_operations) >= MAX_OPERATION_LABELS:
            return "other"
        _operations.add(name)
    return name


@asynccontextmanager
async def provider_call(kind: str) -> AsyncIterator[None]:
    """Times one call to a provider, by outcome."""
    started = time.perf_counter()
    outcome = "error"
    try:
        yield
        outcome = "ok"
    finally:
        PROVIDER_CALLS.labels(kind, outcome).observe(time.perf_counter() - started)


def _pool_use() -> None:
    engine = engine_finder()
    pool = engine.pool if isinstance(engine, PostgresEngine) else None
    size = pool.get_size() if pool else 0
    idle = pool.get_idle_size() if pool else 0
    POOL_CONNECTIONS.labels("open").set(size)
    POOL_CONNECTIONS.labels("in_use").set(size - idle)


async def metrics(request: Request) -> Response:
    _pool_use()
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
