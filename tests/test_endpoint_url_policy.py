"""The URL policy of local endpoints: a table of tricky URLs, judged by the addresses they reach, not their spelling.

Names are answered by a resolver of the test's own (no test asks real DNS);
addresses spelled as numbers are read as the system reads them.
"""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from api.app import create_app
from api.endpoints.url_policy import UrlPolicy, literal_address
from api.errors import CatalogError
from tables.endpoints import AuditLog, LocalEndpoint
from tests.endpoints import CREATE, UPDATE, create_endpoint, fake_dns
from tests.graphql import GraphQLClient, codes

# What each test name resolves to.
DNS = {
    "ollama.lan": ["192.168.1.20"],
    "gpu.example.com": ["93.184.215.14"],
    "rebind.example.com": ["93.184.215.14", "169.254.169.254"],  # one bad answer among good ones
    "metadata.example.com": ["169.254.169.254"],
    "mapped.example.com": ["::ffff:169.254.169.254"],
    "cgnat.example.com": ["100.100.100.200"],
    "v6-local.example.com": ["fe80::1"],
    "localhost": ["127.0.0.1", "::1"],
    "public.example.com": ["8.8.8.8"],
}

ALLOWED = "allowed"
PRIVATE = "private"  # allowed unless MODELCATALOG_ENDPOINT_ALLOW_PRIVATE=false
BLOCKED = "BLOCKED_URL"
INVALID = "VALIDATION_FAILED"

URLS = [
    # loopback and private: the user's own Ollama, in every spelling
    ("http://127.0.0.1:11434", PRIVATE, "127.0.0.1"),
    ("http://localhost:11434", PRIVATE, "127.0.0.1"),
    ("http://2130706433:11434", PRIVATE, "127.0.0.1"),
    ("http://0x7f.1:11434", PRIVATE, "127.0.0.1"),
    ("http://127.1:11434", PRIVATE, "127.0.0.1"),
    ("http://0x7f000001/", PRIVATE, "127.0.0.1"),
    ("http://127.0.0.1.:8000/v1", PRIVATE, "127.0.0.1"),
    ("http://[::1]:1234/v1", PRIVATE, "::1"),
    ("http://[::ffff:127.0.0.1]:11434", PRIVATE, "::ffff:7f00:1"),
    ("http://10.0.0.5:8000/v1", PRIVATE, "10.0.0.5"),
    ("http://ollama.lan:11434", PRIVATE, "192.168.1.20"),
    ("HTTP://LOCALHOST:11434/", PRIVATE, "127.0.0.1"),
    # public servers
    ("https://gpu.example.com/v1", ALLOWED, "93.184.215.14"),
    ("http://public.example.com:8080/v1", ALLOWED, "8.8.8.8"),
    ("http://[2606:4700::1111]/v1", ALLOWED, "2606:4700::1111"),
    # link-local and cloud metadata, however they are written
    ("http://169.254.169.254/latest/meta-data", BLOCKED, None),
    ("http://2852039166/", BLOCKED, None),
    ("http://0xa9fea9fe/", BLOCKED, None),
    ("http://0251.0376.0251.0376/", BLOCKED, None),
    ("http://169.254.43518/", BLOCKED, None),
    ("http://[::ffff:169.254.169.254]/", BLOCKED, None),
    ("http://[::ffff:a9fe:a9fe]/", BLOCKED, None),
    ("http://[64:ff9b::a9fe:a9fe]/", BLOCKED, None),
    ("http://[fe80::1]/", BLOCKED, None),
    ("http://[fe80::1%25eth0]:11434/", BLOCKED, None),
    ("http://[fd00:ec2::254]/latest/meta-data", BLOCKED, None),
    ("http://100.100.100.200/latest/meta-data", BLOCKED, None),
    ("http://100.64.0.1:11434", BLOCKED, None),
    ("http://[::ffff:100.100.100.200]/", BLOCKED, None),
    ("http://metadata.google.internal/computeMetadata/v1", BLOCKED, None),
    ("http://metadata.example.com/", BLOCKED, None),
    ("http://mapped.example.com/", BLOCKED, None),
    ("http://cgnat.example.com/", BLOCKED, None),
    ("http://v6-local.example.com/", BLOCKED, None),
    ("http://rebind.example.com/", BLOCKED, None),
    # not addresses a server answers on
    ("http://0.0.0.0:11434", BLOCKED, None),
    ("http://[::]:11434", BLOCKED, None),
    ("http://224.0.0.1/", BLOCKED, None),
    ("http://255.255.255.255/", BLOCKED, None),
    # other schemes and credentials
    ("file:///etc/passwd", BLOCKED, None),
    ("gopher://127.0.0.1:11434/", BLOCKED, None),
    ("ftp://ollama.lan/", BLOCKED, None),
    ("javascript:alert(1)", BLOCKED, None),
    ("http://user:pass@127.0.0.1:11434", BLOCKED, None),
    ("http://@127.0.0.1:11434", BLOCKED, None),
    ("http://127.0.0.1:11434@169.254.169.254/", BLOCKED, None),
    # not URLs a client could call as written
    ("http://example.com\\@169.254.169.254/", INVALID, None),
    ("http://127.0.0.1:11434/?key=secret", INVALID, None),
    ("http://127.0.0.1:11434/#frag", INVALID, None),
    ("http://127.0.0.1:11434/\tv1", INVALID, None),
    ("http:/127.0.0.1", INVALID, None),
    ("http://\uff11\uff16\uff19.\uff12\uff15\uff14.\uff11\uff16\uff19.\uff12\uff15\uff14/", INVALID, None),
    ("http://127.0.0.1:99999", INVALID, None),
    ("http://127.0.0.1:0", INVALID, None),
    ("", INVALID, None),
]


def test_the_table_has_at_least_thirty_urls():
    assert len(URLS) >= 30


@pytest.mark.parametrize(("url", "verdict", "address"), URLS, ids=[url or "empty" for url, *_ in URLS])
@pytest.mark.parametrize("allow_private", [True, False], ids=["private-allowed", "private-off"])
async def test_a_url_is_judged_by_the_addresses_it_reaches(monkeypatch, url, verdict, address, allow_private):
    policy = UrlPolicy(allow_private=allow_private)
    with fake_dns(monkeypatch, DNS):
        try:
            target = await policy.target(url)
        except CatalogError as error:
            outcome, reached = error.code, None
        else:
            outcome, reached = ALLOWED, target.address
    expected = verdict
    if verdict == PRIVATE:
        expected = ALLOWED if allow_private else BLOCKED
    assert outcome == expected, url
    if expected == ALLOWED:
        assert reached == address  # the one address the call is pinned to


@pytest.mark.parametrize(
    ("spelling", "address"),
    [
        ("127.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0251.0376.0251.0376", "169.254.169.254"),
        ("169.254.43518", "169.254.169.254"),
        ("0xA9.0xFE.0xA9.0xFE", "169.254.169.254"),
        ("10.1.2", "10.1.0.2"),
        ("example.com", None),
        ("1.2.3.4.5", None),
        ("256.1.1.1", None),
        ("08.1.1.1", None),  # 8 is not an octal digit: a name, left to the resolver
    ],
)
def test_numbers_are_read_as_inet_aton_reads_them(spelling, address):
    found = literal_address(spelling)
    assert (str(found) if found else None) == address


async def test_a_blocked_url_is_refused_when_saved_and_nothing_is_written(client, member_token):
    body = await client(CREATE, {"input": {"name": "meta", "baseUrl": "http://169.254.169.254/"}}, token=member_token)
    assert codes(body) == ["BLOCKED_URL"]
    assert await LocalEndpoint.count() == 0
    assert await AuditLog.count() == 0


async def test_credentials_in_a_url_are_blocked_and_never_echoed(client, member_token):
    response = await client.post(
        CREATE, {"input": {"name": "x", "baseUrl": "http://admin:hunter2-secret@127.0.0.1:11434"}}, token=member_token
    )
    assert codes(response.json()) == ["BLOCKED_URL"]
    assert "hunter2" not in response.text


async def test_a_saved_url_is_judged_again_on_update(client, member_token, monkeypatch):
    endpoint = await create_endpoint(client, member_token)
    with fake_dns(monkeypatch, DNS):
        body = await client(
            UPDATE, {"id": endpoint["id"], "input": {"baseUrl": "http://metadata.example.com/"}}, token=member_token
        )
    assert codes(body) == ["BLOCKED_URL"]
    assert (await LocalEndpoint.select(LocalEndpoint.base_url).first())["base_url"] == "http://127.0.0.1:11434"


async def test_private_addresses_can_be_turned_off(settings, member_token):
    app = create_app(replace(settings, endpoint_allow_private=False))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://catalog.test") as http:
        strict = GraphQLClient(http)
        body = await strict(CREATE, {"input": {"name": "x", "baseUrl": "http://127.0.0.1:11434"}}, token=member_token)
        assert codes(body) == ["BLOCKED_URL"]
        assert "MODELCATALOG_ENDPOINT_ALLOW_PRIVATE" in body["errors"][0]["message"]
    assert await LocalEndpoint.count() == 0
