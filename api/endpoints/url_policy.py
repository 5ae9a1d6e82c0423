"""Which URLs a local endpoint may have, and which addresses the service may call for it.

A URL is judged when it is saved and again at every call, on every address its
host resolves to (DNS can change), never on its spelling: `127.1`, `2130706433`
and `0x7f.1` are all 127.0.0.1. The call is then pinned to the address that was
judged (api/endpoints/probe.py), so a second lookup cannot answer differently.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import unquote

import httpx

from api.errors import BlockedUrl, ProviderFailed, ValidationFailed
from api.text import name_problem
from tables.endpoints import MAX_ENDPOINT_URL

__all__ = [
    "ALWAYS_BLOCKED",
    "EndpointUrl",
    "IPAddress",
    "Resolver",
    "Target",
    "UrlPolicy",
    "address_problem",
    "literal_address",
    "parse_endpoint_url",
    "resolve_host",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

# Never called, whatever the configuration: link-local (where cloud metadata services answer), AWS's IPv6
# metadata address, and carrier-grade NAT (Alibaba Cloud's metadata at 100.100.100.200 is in it).
ALWAYS_BLOCKED = tuple(
    ipaddress.ip_network(network) for network in ("169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "100.64.0.0/10")
)
# "This network", which Linux connects to as if it were the local host.
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
# Names of metadata services, refused before any lookup (they resolve to link-local addresses anyway).
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal"})
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_INET_PART = re.compile(r"0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*")

NEVER = "link-local, cloud metadata and carrier-grade NAT addresses are never called"
NOT_A_SERVER = "not an address a server answers on"
PRIVATE_OFF = "private and loopback addresses are turned off here (MODELCATALOG_ENDPOINT_ALLOW_PRIVATE=false)"


@dataclass(frozen=True)
class EndpointUrl:
    """A base URL that passed the checks of its spelling: http(s), a host, no credentials, query or fragment."""

    url: str  # as stored: trimmed, without a trailing slash
    scheme: str
    host: str  # ASCII (IDNA), IPv6 without brackets, as the Host header and TLS name it
    port: int


@dataclass(frozen=True)
class Target:
    """Where a call goes: the URL's host and port, and the one address that was checked for it."""

    host: str
    port: int
    address: str


def _embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries: mapped, compatible, NAT64, 6to4 and Teredo forms."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    value = int(address)
    if value >> 32 == 0xFFFF0000:  # ::ffff:0:a.b.c.d, the IPv4-translated form
        found.append(ipaddress.IPv4Address(value & 0xFFFFFFFF))
    if value >> 32 == 0 and value > 1:  # ::a.b.c.d, the deprecated IPv4-compatible form
        found.append(ipaddress.IPv4Address(value))
    if any(address in network for network in _NAT64):
        found.append(ipaddress.IPv4Address(value & 0xFFFFFFFF))
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    return found


def address_problem(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why the service must not call this address, or None."""
    candidates: list[IPAddress] = [address, *_embedded_ipv4(address)]
    for candidate in candidates:
        if any(candidate.version == network.version and candidate in network for network in ALWAYS_BLOCKED):
            return NEVER
        if candidate.is_unspecified or candidate.is_multicast:
            return NOT_A_SERVER
        if isinstance(candidate, ipaddress.IPv4Address) and (candidate in _THIS_NETWORK or candidate.is_reserved):
            return NOT_A_SERVER  # 0.0.0.0/8, 240.0.0.0/4 and the broadcast address
        if isinstance(candidate, ipaddress.IPv6Address) and candidate.scope_id:
            return NOT_A_SERVER  # a zone names an interface of this machine, not a server
    if not allow_private and any(not candidate.is_global for candidate in candidates):
        return PRIVATE_OFF
    return None


def _inet_aton(host: str) -> ipaddress.IPv4Address | None:
    """An IPv4 address in any spelling inet_aton reads (`127.1`, `0x7f.1`, `2130706433`, octal parts)."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_INET_PART.fullmatch(part) for part in parts):
        return None
    values = []
    for part in parts:
        if part[:2] in ("0x", "0X"):
            values.append(int(part[2:] or "0", 16))
        elif len(part) > 1 and part.startswith("0"):
            values.append(int(part, 8))
        else:
            values.append(int(part))
    *head, last = values
    if any(value > 255 for value in head) or last >= 256 ** (4 - len(head)):
        return None
    number = last
    for index, value in enumerate(head):
        number |= value << (24 - 8 * index)
    return ipaddress.IPv4Address(number)


def literal_address(host: str) -> IPAddress | None:
    """The address a host names without any lookup (an IP literal in any spelling), or None for a name."""
    host = host.removesuffix(".")
    if ":" in host:
        try:
            return ipaddress.IPv6Address(unquote(host))  # a zone (`%25eth0`) is kept, and judged with the rest
        except ValueError:
            return None
    return _inet_aton(host)


def _host_of(authority: str) -> str:
    """The host part of `host`, `host:port` or `[v6]:port`."""
    if authority.startswith("["):
        return authority[1:].split("]", 1)[0]
    return authority.rsplit(":", 1)[0] if authority.count(":") == 1 else authority


def parse_endpoint_url(url: str, field: str = "baseUrl", *, allow_private: bool = True) -> EndpointUrl:
    """The checks of a base URL's spelling: BLOCKED_URL for another scheme or credentials, else VALIDATION_FAILED."""
    text = url.strip()
    if not text:
        raise ValidationFailed.one(field, "must not be empty")
    if len(text) > MAX_ENDPOINT_URL:
        raise ValidationFailed.one(field, f"at most {MAX_ENDPOINT_URL} characters")
    if any(char.isspace() or char == "\\" for char in text) or name_problem(text):
        # parsers disagree on backslashes and drop tabs and newlines: the URL called would not be the one checked
        raise ValidationFailed.one(field, "not a valid URL: no spaces, backslashes, control or invisible characters")
    scheme = _SCHEME.match(text)
    if scheme is None or scheme.group(1).lower() not in ("http", "https"):
        raise BlockedUrl(f"{field}: only http:// and https:// URLs are called")
    authority = text[scheme.end() :].removeprefix("//").split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if "@" in authority:
        raise BlockedUrl(f"{field}: credentials do not belong in the URL; set apiKey instead")
    try:
        parsed = httpx.URL(text)
        port = parsed.port
    except (httpx.InvalidURL, ValueError):
        # httpx refuses some spellings of an address (`0251.0376.0251.0376`) that other clients call:
        # a blocked address is still named as such.
        literal = literal_address(_host_of(authority))
        problem = address_problem(literal, allow_private=allow_private) if literal is not None else None
        if problem:
            raise BlockedUrl(f"{field}: {problem}") from None
        raise ValidationFailed.one(field, "not a valid URL") from None
    host = parsed.raw_host.decode("ascii")
    if not host or not text[scheme.end() :].startswith("//"):
        raise ValidationFailed.one(field, "an http:// or https:// URL with a host")
    if parsed.userinfo:
        raise BlockedUrl(f"{field}: credentials do not belong in the URL; set apiKey instead")
    if parsed.query or parsed.fragment or "?" in text or "#" in text:
        raise ValidationFailed.one(field, "a base URL has no query or fragment")
    if port is not None and not 1 <= port <= 65535:
        raise ValidationFailed.one(field, "a port from 1 to 65535")
    default_port = 443 if parsed.scheme == "https" else 80
    return EndpointUrl(text.rstrip("/"), parsed.scheme, host, port or default_port)


async def resolve_host(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for the host (the service's own view of DNS)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class UrlPolicy:
    """The URL policy of one configuration: whether private addresses are allowed, and the resolver to ask."""

    allow_private: bool = True
    resolve_seconds: float = 3.0  # within the probe's connect budget
    resolver: Resolver | None = None  # None: resolve_host, looked up at call time

    def _judge(self, addresses: list[IPAddress], field: str) -> None:
        for address in addresses:
            problem = address_problem(address, allow_private=self.allow_private)
            if problem:
                raise BlockedUrl(f"{field}: {problem}")

    async def _addresses(self, endpoint: EndpointUrl) -> list[IPAddress]:
        """The host's addresses: its literal, else every address the resolver gives; ProviderFailed when none."""
        literal = literal_address(endpoint.host)
        if literal is not None:
            return [literal]
        if endpoint.host.rstrip(".").lower() in METADATA_HOSTS:
            raise BlockedUrl(f"baseUrl: {NEVER}")
        resolver = self.resolver or resolve_host
        try:
            async with asyncio.timeout(self.resolve_seconds):
                answers = await resolver(endpoint.host, endpoint.port)
        except (OSError, UnicodeError):
            raise ProviderFailed("the host name does not resolve") from None
        except TimeoutError:
            raise ProviderFailed("the host name did not resolve in time") from None
        addresses = []
        for answer in answers:
            try:
                addresses.append(ipaddress.ip_address(answer))
            except ValueError:
                raise ProviderFailed("the host name resolved to something that is not an address") from None
        if not addresses:
            raise ProviderFailed("the host name does not resolve")
        return addresses

    async def vet(self, url: str, field: str = "baseUrl") -> EndpointUrl:
        """A URL to save, by its spelling and its addresses now (a name that does not resolve yet is saved)."""
        endpoint = parse_endpoint_url(url, field, allow_private=self.allow_private)
        try:
            addresses = await self._addresses(endpoint)
        except ProviderFailed:
            return endpoint
        self._judge(addresses, field)
        return endpoint

    async def target(self, url: str) -> Target:
        """Where a call to this URL goes now: every address checked, the first taken (BLOCKED_URL, PROVIDER_ERROR)."""
        endpoint = parse_endpoint_url(url, allow_private=self.allow_private)
        addresses = await self._addresses(endpoint)
        self._judge(addresses, "baseUrl")
        return Target(endpoint.host, endpoint.port, str(addresses[0]))
