"""checkEndpointHealth against real small servers on 127.0.0.1, and the background re-check.

Every server here listens on a real socket, so what is tested is what goes over
the wire: the pinned address, the Host header, no redirect followed, no proxy.
"""

from __future__ import annotations

import asyncio
import datetime
import ssl
import time
from dataclasses import replace

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from api.app import create_app
from api.endpoints import probe
from api.endpoints.recheck import recheck_active
from api.endpoints.url_policy import UrlPolicy
from api.secrets import load_secret_box
from tables.endpoints import AuditLog, LocalEndpoint
from tests.endpoints import (
    HEALTH,
    SHARE,
    create_endpoint,
    fake_dns,
    new_user,
    quick_probes,
    ready_for_another_probe,
)
from tests.graphql import GraphQLClient, codes
from tests.model_server import ModelServer, Reply, ollama_server, openai_server

SECRET = "sk-ollama-cloud-0123456789SECRET"


async def check(client: GraphQLClient, token: str, endpoint_id: str) -> dict:
    await ready_for_another_probe(endpoint_id)
    body = await client(HEALTH, {"id": endpoint_id}, token=token)
    return body


async def health_changes() -> list[tuple[str, str]]:
    rows = (
        await AuditLog.select().where(AuditLog.action == "HEALTH_CHANGED").order_by(AuditLog.id).output(load_json=True)
    )
    return [(row["changes"][0]["oldValue"], row["changes"][0]["newValue"]) for row in rows]


async def test_a_healthy_ollama_answers_with_its_listing_and_the_time_it_took(client, member_token):
    async with ollama_server() as server:
        endpoint = await create_endpoint(client, member_token, baseUrl=server.url)
        body = await check(client, member_token, endpoint["id"])
    result = body["data"]["checkEndpointHealth"]
    assert result["status"] == "HEALTHY"
    assert result["errorMessage"] is None
    assert isinstance(result["responseTimeMs"], int) and 0 <= result["responseTimeMs"] < 5000
    assert result["availableModels"] == 4
    assert server.paths() == ["/api/tags"]  # the listing only: a health check shows no model
    row = await LocalEndpoint.select().first()
    assert (row["health_status"], row["last_response_time_ms"]) == ("HEALTHY", result["responseTimeMs"])
    assert row["last_health_check"] is not None


async def test_an_openai_compatible_server_is_checked_at_its_model_list(client, member_token):
    async with openai_server(["Qwen/Qwen2.5-7B-Instruct"]) as server:
        endpoint = await create_endpoint(client, member_token, baseUrl=server.url + "/v1")
        body = await check(client, member_token, endpoint["id"])
    assert body["data"]["checkEndpointHealth"]["status"] == "HEALTHY"
    assert server.paths() == ["/v1/models"]


async def test_the_key_is_sent_as_a_bearer_token_and_never_echoed(client, member_token):
    async with ModelServer({("GET", "/api/tags"): Reply.json({"error": f"bad key {SECRET}"}, 401)}) as server:
        endpoint = await create_endpoint(client, member_token, baseUrl=server.url, apiKey=SECRET)
        response = await client.post(HEALTH, {"id": endpoint["id"]}, token=member_token)
    assert server.requests[0].headers["authorization"] == f"Bearer {SECRET}"
    result = response.json()["data"]["checkEndpointHealth"]
    assert (result["status"], result["errorMessage"]) == ("UNHEALTHY", "the API key was refused (HTTP 401)")
    assert SECRET not in response.text


async def test_an_upstream_body_or_header_is_never_echoed(client, member_token):
    leak = Reply(500, b"Traceback: UPSTREAM-INTERNALS password=hunter2", {"x-debug": "UPSTREAM-HEADER"})
    async with ModelServer({("GET", "/api/tags"): leak}) as server:
        endpoint = await create_endpoint(client, member_token, baseUrl=server.url)
        response = await client.post(HEALTH, {"id": endpoint["id"]}, token=member_token)
    assert response.json()["data"]["checkEndpointHealth"]["errorMessage"] == "server error (HTTP 500)"
    assert "UPSTREAM" not in response.text and "hunter2" not in response.text
    assert "UPSTREAM" not in ((await LocalEndpoint.select().first())["last_error"] or "")


async def test_a_redirect_is_never_followed(client, member_token):
    async with ModelServer() as server:
        server.routes[("GET", "/api/tags")] = Reply(302, headers={"location": server.url + "/elsewhere"})
        server.routes[("GET", "/elsewhere")] = Reply.json({"models": []})
        endpoint = await create_endpoint(client, member_token, baseUrl=server.url)
        body = await check(client, member_token, endpoint["id"])
    result = body["data"]["checkEndpointHealth"]
    assert result["status"] == "UNHEALTHY"
    assert result["errorMessage"] == "the endpoint answered with a redirect, which is not followed (HTTP 302)"
    assert server.paths() == ["/api/tags"]


async def test_a_body_over_one_mebibyte_is_cut_off(client, member_token):
    huge = Reply(200, b'{"models": [' + b'{"name": "x"},' * 100_000 + b'{"name": "y"}]}')
    async with ModelServer({("GET", "/api/tags"): huge}) as server:
        endpoint = await create_endpoint(client, member_token, baseUrl=server.url)
        body = await check(client, member_token, endpoint["id"])
    assert body["data"]["checkEndpointHealth"]["errorMessage"] == "the response is too large"


@pytest.mark.parametrize("hanging", ["never answers", "never reads"])
async def test_a_hanging_server_times_out_within_the_bound(client, member_token, monkeypatch, hanging):
    limits = quick_probes(monkeypatch)
    server = ModelServer({("GET", "/api/tags"): Reply(hang=True)}, silent=hanging == "never reads")
    async with server:
        endpoint = await create_endpoint(client, member_token, baseUrl=server.url)
        started = time.monotonic()
        body = await check(client, member_token, endpoint["id"])
        elapsed = time.monotonic() - started
    result = body["data"]["checkEndpointHealth"]
    assert (result["status"], result["errorMessage"]) == ("UNHEALTHY", "timed out")
    assert elapsed < limits.total_seconds + 1.5


async def test_a_closed_port_is_unhealthy(client, member_token):
    async with ModelServer() as server:
        url = server.url
    endpoint = await create_endpoint(client, member_token, baseUrl=url)
    body = await check(client, member_token, endpoint["id"])
    assert body["data"]["checkEndpointHealth"]["errorMessage"] == "could not connect"


async def test_the_call_is_pinned_to_the_checked_address_with_the_urls_host(client, member_token, monkeypatch):
    async with ollama_server() as server:
        with fake_dns(monkeypatch, {"ollama.home.test": ["127.0.0.1"]}) as asked:
            url = f"http://ollama.home.test:{server.port}"
            endpoint = await create_endpoint(client, member_token, baseUrl=url)
            body = await check(client, member_token, endpoint["id"])
    assert body["data"]["checkEndpointHealth"]["status"] == "HEALTHY"
    assert asked == ["ollama.home.test", "ollama.home.test"]  # when saved, and again at the call
    assert server.requests[0].headers["host"] == f"ollama.home.test:{server.port}"


async def test_a_name_that_now_resolves_to_a_metadata_address_is_blocked_at_the_call(client, member_token, monkeypatch):
    async with ollama_server() as server:
        rebinding = {"rebind.test": [["127.0.0.1"], ["169.254.169.254"]]}
        with fake_dns(monkeypatch, rebinding):
            endpoint = await create_endpoint(client, member_token, baseUrl=f"http://rebind.test:{server.port}")
            body = await check(client, member_token, endpoint["id"])
    assert codes(body) == ["BLOCKED_URL"]
    assert server.requests == []
    row = await LocalEndpoint.select().first()
    assert row["health_status"] == "UNHEALTHY"
    assert "never called" in row["last_error"]


async def test_a_proxy_in_the_environment_is_never_used(client, member_token, monkeypatch):
    async with ollama_server() as server, ModelServer() as proxy:
        for variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
            monkeypatch.setenv(variable, proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        with fake_dns(monkeypatch, {"ollama.home.test": ["127.0.0.1"]}):
            endpoint = await create_endpoint(client, member_token, baseUrl=f"http://ollama.home.test:{server.port}")
            body = await check(client, member_token, endpoint["id"])
    assert body["data"]["checkEndpointHealth"]["status"] == "HEALTHY"
    assert proxy.requests == []
    assert server.paths() == ["/api/tags"]


async def test_a_health_change_is_audited_and_a_steady_state_is_not(client, member_token):
    async with ModelServer() as server:
        listing = Reply.json({"models": []})
        server.routes[("GET", "/api/tags")] = listing
        endpoint = await create_endpoint(client, member_token, baseUrl=server.url)
        await check(client, member_token, endpoint["id"])
        await check(client, member_token, endpoint["id"])
        server.routes[("GET", "/api/tags")] = Reply(503)
        await check(client, member_token, endpoint["id"])
        await check(client, member_token, endpoint["id"])
        server.routes[("GET", "/api/tags")] = listing
        await check(client, member_token, endpoint["id"])
    assert await health_changes() == [("UNKNOWN", "HEALTHY"), ("HEALTHY", "UNHEALTHY"), ("UNHEALTHY", "HEALTHY")]
    unhealthy = (await AuditLog.select().where(AuditLog.action == "HEALTH_CHANGED").output(load_json=True))[1]
    assert {"field": "lastError", "oldValue": None, "newValue": "server error (HTTP 503)"} in unhealthy["changes"]


async def test_checks_are_rate_limited_per_endpoint_with_the_time_to_wait(client, member_token, settings):
    async with ollama_server() as server:
        endpoint = await create_endpoint(client, member_token, baseUrl=server.url)
        other = await create_endpoint(client, member_token, name="Other", baseUrl=server.url)
        first = await client(HEALTH, {"id": endpoint["id"]}, token=member_token)
        second = await client(HEALTH, {"id": endpoint["id"]}, token=member_token)
        elsewhere = await client(HEALTH, {"id": other["id"]}, token=member_token)
    assert "errors" not in first and "errors" not in elsewhere
    assert codes(second) == ["RATE_LIMITED"]
    assert 1 <= second["errors"][0]["extensions"]["retryAfter"] <= settings.endpoint_check_interval
    assert server.paths() == ["/api/tags", "/api/tags"]  # the refused check called nothing


async def test_the_rate_limit_holds_across_instances(settings, member_token):
    async with ollama_server() as server:
        apps = [create_app(replace(settings, endpoint_check_interval=30)) for _ in range(2)]
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=apps[0]), base_url="http://one.test") as one,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=apps[1]), base_url="http://two.test") as two,
        ):
            endpoint = await create_endpoint(GraphQLClient(one), member_token, baseUrl=server.url)
            bodies = await asyncio.gather(
                *(GraphQLClient(http)(HEALTH, {"id": endpoint["id"]}, token=member_token) for http in (one, two, one))
            )
    assert sorted(tuple(codes(body)) for body in bodies) == [(), ("RATE_LIMITED",), ("RATE_LIMITED",)]
    assert server.paths() == ["/api/tags"]


# The background re-check: bounded concurrency, so hanging endpoints cost one timeout, not one each.


async def test_a_round_rechecks_active_endpoints_in_about_one_timeout(client, member_token, settings, monkeypatch):
    limits = quick_probes(monkeypatch, total_seconds=0.4)
    async with ollama_server() as fast, ModelServer({("GET", "/api/tags"): Reply(hang=True)}) as stuck:
        for n in range(8):
            await create_endpoint(client, member_token, name=f"fast {n}", baseUrl=fast.url)
        for n in range(6):
            await create_endpoint(client, member_token, name=f"stuck {n}", baseUrl=stuck.url)
        await create_endpoint(client, member_token, name="off", baseUrl=fast.url, isActive=False)
        done = await recheck_active(secrets=load_secret_box(settings), policy=UrlPolicy(), concurrency=6)
    assert (done.checked, done.healthy) == (14, 8)
    # Six hang and six run at once: about one timeout; one at a time, the six would take six.
    assert done.seconds < limits.total_seconds * 4
    rows = await LocalEndpoint.select(LocalEndpoint.name, LocalEndpoint.health_status, LocalEndpoint.last_error)
    states = {row["name"]: (row["health_status"], row["last_error"]) for row in rows}
    assert states["fast 0"] == ("HEALTHY", None)
    assert states["stuck 0"] == ("UNHEALTHY", "timed out")
    assert states["off"] == ("UNKNOWN", None)
    background = await AuditLog.select(AuditLog.changed_by).where(AuditLog.action == "HEALTH_CHANGED")
    assert len(background) == 14 and all(row["changed_by"] is None for row in background)


async def test_serve_rechecks_on_the_interval_while_it_holds_the_lease(client, member_token, settings):
    async with ollama_server() as server:
        endpoint = await create_endpoint(client, member_token, baseUrl=server.url)
        app = create_app(replace(settings, health_interval=0.05))
        async with app.router.lifespan_context(app):
            for _ in range(100):
                await asyncio.sleep(0.05)
                if len(server.requests) >= 2:
                    break
    assert len(server.requests) >= 2  # two rounds at least
    row = await LocalEndpoint.select().where(LocalEndpoint.id == int(endpoint["id"])).first()
    assert row["health_status"] == "HEALTHY"


async def test_no_recheck_runs_without_an_interval(client, member_token, settings):
    async with ollama_server() as server:
        await create_endpoint(client, member_token, baseUrl=server.url)
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            await asyncio.sleep(0.2)
    assert server.requests == []


async def test_a_shared_user_cannot_check_the_endpoint(client, member_token):
    carol = await new_user("carol")
    endpoint = await create_endpoint(client, member_token)
    await client.data(SHARE, {"id": endpoint["id"], "usernames": ["carol"]}, token=member_token)
    assert codes(await client(HEALTH, {"id": endpoint["id"]}, token=carol)) == ["FORBIDDEN"]


def _certificate(tmp_path, host: str) -> tuple[str, str, str]:
    """A self-signed certificate for `host`: its file, its key's file, and its PEM (for the client to trust)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_text(pem)
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_file), str(key_file), pem


@pytest.mark.parametrize("certified", ["ollama.home.test", "someone-else.test"])
async def test_https_is_pinned_with_the_urls_name_for_sni_and_the_certificate(
    client, member_token, monkeypatch, tmp_path, certified
):
    cert_file, key_file, pem = _certificate(tmp_path, certified)
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert_file, key_file)
    names: list[str | None] = []
    server_tls.sni_callback = lambda sock, name, context: names.append(name)
    trusting = ssl.create_default_context(cadata=pem)
    monkeypatch.setattr(probe, "_tls", lambda: trusting)
    server = ModelServer({("GET", "/api/tags"): Reply.json({"models": []})}, tls=server_tls)
    async with server:
        with fake_dns(monkeypatch, {"ollama.home.test": ["127.0.0.1"]}):
            url = f"https://ollama.home.test:{server.port}"
            endpoint = await create_endpoint(client, member_token, baseUrl=url)
            body = await check(client, member_token, endpoint["id"])
    result = body["data"]["checkEndpointHealth"]
    assert names == ["ollama.home.test"]  # the TLS name is the URL's host, though the socket went to 127.0.0.1
    if certified == "ollama.home.test":
        assert result["status"] == "HEALTHY"
        assert server.requests[0].headers["host"] == f"ollama.home.test:{server.port}"
    else:
        assert (result["status"], result["errorMessage"]) == ("UNHEALTHY", "could not connect")
        assert server.requests == []
