"""Calling a local endpoint: its adapter over a client pinned to the checked address, within the probe's bounds.

The adapters of the sync issue do the talking; this module gives them an httpx
client that takes no proxy from the environment, follows no redirect, and sends
every request to the one address the URL policy checked, with the URL's own host
in the Host header and as the TLS server name.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import certifi
import httpx

from adapters.errors import ProviderError
from adapters.http import HttpPolicy
from adapters.openai_compatible import OpenAICompatibleAdapter
from adapters.registry import adapter_for
from api.endpoints.rules import provider_kind
from api.endpoints.url_policy import Target, UrlPolicy
from api.errors import ProviderFailed
from api.secrets import SecretBox, SecretUnreadable

__all__ = ["LIMITS", "PinnedTransport", "ProbeLimits", "call_endpoint", "stored_api_key"]

T = TypeVar("T")


@dataclass(frozen=True)
class ProbeLimits:
    """How much one call to a user's server may take."""

    connect_seconds: float = 3.0
    total_seconds: float = 10.0
    max_body_bytes: int = 1024 * 1024

    def http_policy(self) -> HttpPolicy:
        """The adapters' HTTP policy for a probe: one attempt, the probe's timeouts and body bound."""
        return HttpPolicy(
            attempts=1,
            total_seconds=self.total_seconds,
            timeout=httpx.Timeout(self.total_seconds, connect=self.connect_seconds),
            max_body_bytes=self.max_body_bytes,
        )


LIMITS = ProbeLimits()


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every probe: building one reads the CA bundle, some 50 ms a client."""
    return ssl.create_default_context(cafile=certifi.where())


class PinnedTransport(httpx.AsyncBaseTransport):
    """Sends each request to the checked address; a request for any other host is refused."""

    def __init__(self, target: Target) -> None:
        self._target = target
        self._inner = httpx.AsyncHTTPTransport(verify=_tls(), retries=0)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        port = url.port or (443 if url.scheme == "https" else 80)
        if url.raw_host.decode("ascii") != self._target.host or port != self._target.port:
            raise httpx.ConnectError("only the endpoint's own host is called", request=request)
        # The Host header was set from the original URL when the request was built; TLS checks the
        # certificate against the server name, which stays the URL's host.
        request.url = url.copy_with(host=self._target.address)
        if url.scheme == "https":
            request.extensions = {**request.extensions, "sni_hostname": self._target.host}
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def stored_api_key(endpoint: Mapping[str, Any], secrets: SecretBox) -> str | None:
    """The endpoint's key, decrypted; PROVIDER_ERROR when the configured keys cannot read it."""
    if not endpoint["api_key"]:
        return None
    try:
        return secrets.decrypt(endpoint["api_key"])
    except SecretUnreadable:
        raise ProviderFailed(
            "the stored API key cannot be decrypted with MODELCATALOG_SECRET_KEY; set the key again"
        ) from None


def _reason(error: ProviderError) -> str:
    if error.status is not None and 300 <= error.status < 400:
        return f"the endpoint answered with a redirect, which is not followed (HTTP {error.status})"
    return error.reason if error.status is None else f"{error.reason} (HTTP {error.status})"


async def call_endpoint(
    endpoint: Mapping[str, Any],
    call: Callable[[OpenAICompatibleAdapter], Awaitable[T]],
    *,
    secrets: SecretBox,
    policy: UrlPolicy,
    limits: ProbeLimits | None = None,
) -> T:
    """Run `call` with the endpoint's adapter; BLOCKED_URL, or PROVIDER_ERROR in words of our own."""
    limits = limits or LIMITS
    api_key = stored_api_key(endpoint, secrets)
    try:
        async with asyncio.timeout(limits.total_seconds):
            target = await policy.target(endpoint["base_url"])
            async with httpx.AsyncClient(
                transport=PinnedTransport(target), trust_env=False, follow_redirects=False
            ) as client:
                adapter = adapter_for(
                    provider_kind(endpoint["endpoint_type"]),
                    base_url=endpoint["base_url"],
                    api_key=api_key,
                    client=client,
                    policy=limits.http_policy(),
                )
                assert isinstance(adapter, OpenAICompatibleAdapter)  # Ollama's adapter extends it too
                return await call(adapter)
    except ProviderError as error:
        raise ProviderFailed(_reason(error)) from None
    except TimeoutError:
        raise ProviderFailed("timed out") from None
