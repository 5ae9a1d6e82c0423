"""The shared HTTP layer: retries within a budget, Retry-After, timeouts, bounded bodies, no secret in an error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
import respx

from adapters.errors import ProviderError
from adapters.http import ProviderHttp, retry_after_seconds
from tests.adapters.support import KEY, FakeTime, assert_secret_free, load

URL = "https://api.example.test/v1/models"
HEADERS = {"authorization": f"Bearer {KEY}"}
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def http(client: httpx.AsyncClient, fake_time: FakeTime, **policy: object) -> ProviderHttp:
    return ProviderHttp(client, fake_time.policy(**policy), provider="Example")


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        ("1.5", 1.5),
        ("0", 0.0),
        ("-5", 0.0),
        (format_datetime(NOW + timedelta(seconds=30), usegmt=True), 30.0),
        (format_datetime(NOW - timedelta(minutes=5), usegmt=True), 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_retry_after_reads_seconds_or_an_http_date(header: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(header, now=NOW) == seconds


async def test_a_429_waits_as_long_as_retry_after_asks_then_succeeds(
    router: respx.MockRouter, client: httpx.AsyncClient, fake_time: FakeTime
) -> None:
    route = router.get(URL).mock(
        side_effect=[
            httpx.Response(429, headers={"retry-after": "7"}, json=load("openai_429.json")),
            httpx.Response(200, json={"data": []}),
        ]
    )
    assert await http(client, fake_time).get_json(URL, headers=HEADERS) == {"data": []}
    assert fake_time.sleeps == [7.0]
    assert route.call_count == 2


async def test_a_retry_after_date_is_honoured(
    router: respx.MockRouter, client: httpx.AsyncClient, fake_time: FakeTime
) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=9), usegmt=True)
    router.get(URL).mock(side_effect=[httpx.Response(503, headers={"retry-after": when}), httpx.Response(200, json={})])
    await http(client, fake_time).get_json(URL, headers=HEADERS)
    assert len(fake_time.sleeps) == 1 and 7.0 <= fake_time.sleeps[0] <= 9.0


async def test_without_retry_after_the_wait_doubles(
    router: respx.MockRouter, client: httpx.AsyncClient, fake_time: FakeTime
) -> None:
    route = router.get(URL).respond(500, json={"error": "boom"})
    with pytest.raises(ProviderError) as raised:
        await http(client, fake_time).get_json(URL, headers=HEADERS)
    assert (raised.value.status, raised.value.reason) == (500, "server error")
    assert str(raised.value) == "Example: server error (HTTP 500)"
    assert fake_time.sleeps == [1.0, 2.0]
    assert route.call_count == 3


@pytest.mark.parametrize("retry_after", ["20", "60", "3600"])
async def test_a_wait_past_the_budget_fails_at_once(
    router: respx.MockRouter, client: httpx.AsyncClient, fake_time: FakeTime, retry_after: str
) -> None:
    route = router.get(URL).respond(429, headers={"retry-after": retry_after})
    with pytest.raises(ProviderError) as raised:
        await http(client, fake_time).get_json(URL, headers=HEADERS)
    assert raised.value.status == 429
    assert fake_time.sleeps == []
    assert route.call_count == 1


async def test_sleeps_never_exceed_the_remaining_budget(
    router: respx.MockRouter, client: httpx.AsyncClient, fake_time: FakeTime
) -> None:
    route = router.get(URL).respond(429, headers={"retry-after": "15"})
    with pytest.raises(ProviderError):
        await http(client, fake_time, attempts=5).get_json(URL, headers=HEADERS)
    assert fake_time.sleeps == [15.0]  # after it, 5 s remain: a second 15 s wait would overrun 20 s
    assert route.call_count == 2


async def test_an_exhausted_quota_is_not_retried(
    router: respx.MockRouter, client: httpx.AsyncClient, fake_time: FakeTime
) -> None:
    route = router.get(URL).respond(429, json=load("openai_429_quota.json"))
    with pytest.raises(ProviderError) as raised:
        await http(client, fake_time).get_json(URL, headers=HEADERS)
    assert raised.value.status == 429 and route.call_count == 1 and fake_time.sleeps == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 302])
async def test_a_refusal_is_not_retried(
    router: respx.MockRouter, client: httpx.AsyncClient, fake_time: FakeTime, status: int
) -> None:
    route = router.get(URL).respond(status, json={"error": {"message": f"bad key {KEY}"}})
    with pytest.raises(ProviderError) as raised:
        await http(client, fake_time).get_json(URL, headers=HEADERS)
    assert raised.value.status == status and route.call_count == 1
    assert_secret_free(raised.value)


async def test_a_connect_error_is_retried(
    router: respx.MockRouter, client: httpx.AsyncClient, fake_time: FakeTime
) -> None:
    router.get(URL).mock(
        side_effect=[httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), httpx.Response(200, json=[])]
    )
    assert await http(client, fake_time).get_json(URL, headers=HEADERS) == []
    assert fake_time.sleeps == [1.0, 2.0]


async def test_a_host_that_never_connects_is_a_provider_error(
    router: respx.MockRouter, client: httpx.AsyncClient, fake_time: FakeTime
) -> None:
    route = router.get(URL).mock(side_effect=httpx.ConnectError(f"cannot reach {URL}?key={KEY}"))
    with pytest.raises(ProviderError) as raised:
        await http(client, fake_time).get_json(URL, headers=HEADERS)
    assert raised.value.reason == "could not connect" and raised.value.status is None
    assert route.call_count == 3
    assert_secret_free(raised.value)


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (httpx.ReadTimeout("read"), "timed out"),
        (httpx.PoolTimeout("pool"), "timed out"),
        (
            httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
            "the connection failed",
        ),
        (httpx.ReadError("reset"), "the connection failed"),
    ],
)
async def test_a_timeout_or_a_broken_connection_is_a_provider_error(
    router: respx.MockRouter, client: httpx.AsyncClient, fake_time: FakeTime, failure: Exception, reason: str
) -> None:
    route = router.get(URL).mock(side_effect=failure)
    with pytest.raises(ProviderError) as raised:
        await http(client, fake_time).get_json(URL, headers=HEADERS)
    assert raised.value.reason == reason
    assert route.call_count == 1  # a read that timed out is not tried again: the budget is for retries that can work


@pytest.mark.parametrize(
    "body",
    [b'{"data": [{"id": "gpt-4o"}, {"id": "gp', b"", b"<html>502 Bad Gateway</html>", b'{"n": NaN}', b"\xff\xfe{}"],
)
async def test_a_body_that_is_not_json_is_a_provider_error(
    router: respx.MockRouter, client: httpx.AsyncClient, fake_time: FakeTime, body: bytes
) -> None:
    router.get(URL).respond(200, content=body)
    with pytest.raises(ProviderError) as raised:
        await http(client, fake_time).get_json(URL, headers=HEADERS)
    assert raised.value.reason == "the response is not valid JSON"


async def test_a_declared_body_over_the_limit_is_refused(
    router: respx.MockRouter, client: httpx.AsyncClient, fake_time: FakeTime
) -> None:
    router.get(URL).respond(200, content=b"[" + b"1," * 600 + b"1]")
    with pytest.raises(ProviderError) as raised:
        await http(client, fake_time, max_body_bytes=1024).get_json(URL, headers=HEADERS)
    assert raised.value.reason == "the response is too large"


async def test_a_streamed_body_over_the_limit_is_refused(
    router: respx.MockRouter, client: httpx.AsyncClient, fake_time: FakeTime
) -> None:
    async def endless() -> AsyncIterator[bytes]:
        yield b"["
        while True:
            yield b"1," * 100

    router.get(URL).respond(200, content=endless())
    with pytest.raises(ProviderError) as raised:
        await http(client, fake_time, max_body_bytes=4096).get_json(URL, headers=HEADERS)
    assert raised.value.reason == "the response is too large"


async def test_an_upstream_body_is_never_echoed(
    router: respx.MockRouter, client: httpx.AsyncClient, fake_time: FakeTime
) -> None:
    router.get(URL).respond(500, text=f"internal error while checking key {KEY} for {URL}")
    with pytest.raises(ProviderError) as raised:
        await http(client, fake_time).get_json(URL, headers=HEADERS)
    assert_secret_free(raised.value, KEY, "internal error while checking")


@pytest.mark.parametrize(
    "url", [f"https://user:{KEY}@api.example.test/v1/models", f"https://api.example.test/v1/models?key={KEY}"]
)
async def test_a_key_in_the_url_never_reaches_the_message(
    router: respx.MockRouter, client: httpx.AsyncClient, fake_time: FakeTime, url: str
) -> None:
    router.get(host="api.example.test").respond(503)
    with pytest.raises(ProviderError) as raised:
        await http(client, fake_time).get_json(url, headers={})
    assert raised.value.status == 503
    assert_secret_free(raised.value)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://files.example.test/models", "the base URL is not an http or https URL"),
        ("http://[::1/models", "the base URL is not a valid URL"),
    ],
)
async def test_a_base_url_that_is_not_http_is_a_provider_error(fake_time: FakeTime, url: str, reason: str) -> None:
    # No respx here: httpx itself refuses these before any connection is tried.
    async with httpx.AsyncClient() as plain:
        with pytest.raises(ProviderError) as raised:
            await http(plain, fake_time).get_json(url, headers={})
    assert raised.value.reason == reason


async def test_the_callers_client_and_its_own_timeouts_are_used(fake_time: FakeTime) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    transport = httpx.MockTransport(answer)
    async with httpx.AsyncClient(transport=transport, trust_env=False, timeout=httpx.Timeout(3.0, read=7.0)) as pinned:
        assert await http(pinned, fake_time, timeout=None).get_json(URL, headers=HEADERS) == {"ok": True}
        await http(pinned, fake_time).get_json(URL, headers=HEADERS)
    assert seen[0].extensions["timeout"] == {"connect": 3.0, "read": 7.0, "write": 3.0, "pool": 3.0}
    assert seen[1].extensions["timeout"] == {"connect": 5.0, "read": 15.0, "write": 15.0, "pool": 15.0}


async def test_post_sends_a_json_body(router: respx.MockRouter, client: httpx.AsyncClient, fake_time: FakeTime) -> None:
    route = router.post(URL, json={"model": "qwen3:8b"}).respond(200, json={"capabilities": ["completion"]})
    assert await http(client, fake_time).post_json(URL, {"model": "qwen3:8b"}, headers={}) == {
        "capabilities": ["completion"]
    }
    assert route.called
