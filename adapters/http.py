"""The HTTP layer every adapter shares: timeouts, bounded retries that honour Retry-After, bounded bodies."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from adapters.errors import ProviderError

__all__ = ["DEFAULT_POLICY", "DEFAULT_TIMEOUT", "HttpPolicy", "ProviderHttp", "Sleep", "retry_after_seconds"]

Sleep = Callable[[float], Awaitable[None]]

DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)


@dataclass(frozen=True)
class HttpPolicy:
    """How patient one request is: attempts, total time, timeouts, body size, and the clock it waits on."""

    attempts: int = 3
    total_seconds: float = 20.0
    first_backoff_seconds: float = 1.0  # doubled per attempt when the provider names no Retry-After
    timeout: httpx.Timeout | None = field(default_factory=lambda: DEFAULT_TIMEOUT)  # None: the client's own
    max_body_bytes: int = 16 * 1024 * 1024  # a whole catalog (OpenRouter's ~460 models) is ~1 MiB
    sleep: Sleep = asyncio.sleep
    clock: Callable[[], float] = time.monotonic


DEFAULT_POLICY = HttpPolicy()

_REASONS = {
    400: "the provider refused the request",
    401: "the API key was refused",
    403: "permission denied: the key may not list models",
    404: "no model list at this base URL",
    429: "rate limited",
}


def _reason(status: int) -> str:
    return _REASONS.get(status, "server error" if status >= 500 else "unexpected answer")


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """The wait a Retry-After header asks for, given in seconds or as an HTTP date; None when absent or unreadable."""
    if not value or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _reject_constant(name: str) -> Any:
    # Python's json reads NaN and Infinity, which are not JSON and cannot be stored as config.
    raise ValueError(name)


def _quota_exhausted(content: bytes) -> bool:
    # OpenAI answers an empty balance with 429 insufficient_quota: waiting does not refill it.
    try:
        error = json.loads(content).get("error")
    except (ValueError, AttributeError, RecursionError):
        return False
    return isinstance(error, dict) and "insufficient_quota" in (error.get("code"), error.get("type"))


class ProviderHttp:
    """Sends one provider's requests through a caller's httpx client and returns decoded JSON or raises."""

    def __init__(self, client: httpx.AsyncClient, policy: HttpPolicy, *, provider: str) -> None:
        self._client = client
        self._policy = policy
        self._provider = provider

    async def get_json(self, url: str, *, params: Mapping[str, str] | None = None, headers: Mapping[str, str]) -> Any:
        """GET a JSON document."""
        return await self._request_json("GET", url, params=params, headers=headers, body=None)

    async def post_json(self, url: str, body: Any, *, headers: Mapping[str, str]) -> Any:
        """POST a JSON body and read a JSON document back."""
        return await self._request_json("POST", url, params=None, headers=headers, body=body)

    def error(self, reason: str, status: int | None = None) -> ProviderError:
        """A ProviderError naming this provider."""
        return ProviderError(reason, status=status, provider=self._provider)

    async def _request_json(
        self, method: str, url: str, *, params: Mapping[str, str] | None, headers: Mapping[str, str], body: Any
    ) -> Any:
        policy = self._policy
        started = policy.clock()
        for attempt in range(1, policy.attempts + 1):
            remaining = policy.total_seconds - (policy.clock() - started)
            try:
                async with asyncio.timeout(remaining):
                    status, response_headers, content = await self._send(method, url, params, headers, body)
            except (httpx.ConnectError, httpx.ConnectTimeout):
                failure, wait = self.error("could not connect"), self._backoff(attempt)
            except (httpx.TimeoutException, TimeoutError):
                raise self.error("timed out") from None
            except httpx.UnsupportedProtocol:
                raise self.error("the base URL is not an http or https URL") from None
            except httpx.InvalidURL:
                raise self.error("the base URL is not a valid URL") from None
            except httpx.HTTPError:
                raise self.error("the connection failed") from None
            else:
                if 200 <= status < 300:
                    return self._decode(content)
                failure = self.error(_reason(status), status)
                if not (status == 429 or status >= 500) or (status == 429 and _quota_exhausted(content)):
                    raise failure
                asked = retry_after_seconds(response_headers.get("retry-after"))
                wait = self._backoff(attempt) if asked is None else asked
            # Never sleep past the budget: a wait the budget cannot cover fails now rather than later.
            if attempt == policy.attempts or wait >= policy.total_seconds - (policy.clock() - started):
                raise failure
            await policy.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _backoff(self, attempt: int) -> float:
        return self._policy.first_backoff_seconds * 2.0 ** (attempt - 1)

    async def _send(
        self, method: str, url: str, params: Mapping[str, str] | None, headers: Mapping[str, str], body: Any
    ) -> tuple[int, httpx.Headers, bytes]:
        limit = self._policy.max_body_bytes
        timeout = httpx.USE_CLIENT_DEFAULT if self._policy.timeout is None else self._policy.timeout
        async with self._client.stream(
            method, url, params=params, headers=headers, json=body, timeout=timeout
        ) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise self.error("the response is too large")
            content = bytearray()
            async for chunk in response.aiter_bytes():
                content += chunk
                if len(content) > limit:
                    raise self.error("the response is too large")
            return response.status_code, response.headers, bytes(content)

    def _decode(self, content: bytes) -> Any:
        try:
            return json.loads(content, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            raise self.error("the response is not valid JSON") from None
