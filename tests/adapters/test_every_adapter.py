"""What every adapter promises, checked for each kind against its provider's recorded answers."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from adapters.base import Adapter
from adapters.errors import ProviderError
from tests.adapters.cases import CASES, Case
from tests.adapters.support import KEY, FakeTime, assert_secret_free

every_adapter = pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
# The kinds whose listing takes more than one request: pages, or Ollama's show per model.
PAGED = [case for case in CASES if case.id in {"ANTHROPIC", "GOOGLE", "OPENROUTER", "OLLAMA"}]


def build(case: Case, client: httpx.AsyncClient, fake_time: FakeTime, base_url: str | None = None) -> Adapter:
    if base_url is None and not case.uses_default_base:
        base_url = case.base_url
    return case.adapter(base_url=base_url, api_key=KEY, client=client, policy=fake_time.policy())


@every_adapter
async def test_lists_every_text_chat_model_on_every_page(
    case: Case, router: respx.MockRouter, client: httpx.AsyncClient, fake_time: FakeTime
) -> None:
    routes = case.mount(router, case.base_url)
    listing = await build(case, client, fake_time).list_models()
    assert tuple(model.model_id for model in listing.models) == case.model_ids
    assert listing.warnings == ()
    assert all(route.call_count == 1 for route in routes)
    assert json.loads(json.dumps([model.config for model in listing.models], allow_nan=False))  # stored as JSON


@every_adapter
async def test_sends_the_key_the_way_the_provider_expects(
    case: Case, router: respx.MockRouter, client: httpx.AsyncClient, fake_time: FakeTime
) -> None:
    routes = case.mount(router, case.base_url)
    await build(case, client, fake_time).list_models()
    for route in routes:
        request = route.calls.last.request
        for name, value in case.auth.items():
            assert request.headers[name] == value
        assert KEY not in str(request.url)


@every_adapter
async def test_a_trailing_slash_on_the_base_is_ignored(
    case: Case, router: respx.MockRouter, client: httpx.AsyncClient, fake_time: FakeTime
) -> None:
    case.mount(router, case.base_url)
    listing = await build(case, client, fake_time, base_url=case.base_url + "/").list_models()
    assert tuple(model.model_id for model in listing.models) == case.model_ids


@every_adapter
async def test_a_refused_key_is_a_provider_error_without_the_key(
    case: Case, router: respx.MockRouter, client: httpx.AsyncClient, fake_time: FakeTime
) -> None:
    first = case.mount(router, case.base_url)[0]
    status, body = case.refusal
    first.respond(status, json={**body, "echo": f"the key {KEY} is not valid"})
    with pytest.raises(ProviderError) as raised:
        await build(case, client, fake_time).list_models()
    assert raised.value.status == status and first.call_count == 1
    assert_secret_free(raised.value)


@every_adapter
async def test_a_429_is_retried_after_the_wait_it_asks_for_or_a_backoff(
    case: Case, router: respx.MockRouter, client: httpx.AsyncClient, fake_time: FakeTime
) -> None:
    first = case.mount(router, case.base_url)[0]
    listed = first.return_value
    headers, body = case.rate_limited
    first.side_effect = [httpx.Response(429, headers=headers, json=body), listed]
    listing = await build(case, client, fake_time).list_models()
    assert tuple(model.model_id for model in listing.models) == case.model_ids
    assert fake_time.sleeps == ([3.0] if "retry-after" in headers else [1.0])  # else the first backoff


@every_adapter
async def test_a_server_error_is_retried_then_a_provider_error(
    case: Case, router: respx.MockRouter, client: httpx.AsyncClient, fake_time: FakeTime
) -> None:
    first = case.mount(router, case.base_url)[0]
    first.respond(500, text=f"Traceback ... api_key={KEY}")
    with pytest.raises(ProviderError) as raised:
        await build(case, client, fake_time).list_models()
    assert raised.value.status == 500 and first.call_count == 3
    assert_secret_free(raised.value)


@every_adapter
async def test_a_timeout_is_a_provider_error(
    case: Case, router: respx.MockRouter, client: httpx.AsyncClient, fake_time: FakeTime
) -> None:
    first = case.mount(router, case.base_url)[0]
    first.side_effect = httpx.ReadTimeout("timed out")
    with pytest.raises(ProviderError) as raised:
        await build(case, client, fake_time).list_models()
    assert raised.value.reason == "timed out"


@every_adapter
@pytest.mark.parametrize("body", [b'{"data": [{"id": "x"}, {"id"', b"<html>Bad gateway</html>"])
async def test_a_body_that_is_not_json_is_a_provider_error(
    case: Case, router: respx.MockRouter, client: httpx.AsyncClient, fake_time: FakeTime, body: bytes
) -> None:
    first = case.mount(router, case.base_url)[0]
    first.respond(200, content=body)
    with pytest.raises(ProviderError) as raised:
        await build(case, client, fake_time).list_models()
    assert raised.value.reason == "the response is not valid JSON"


@every_adapter
@pytest.mark.parametrize("body", [[], {"object": "list"}, {"data": {"id": "x"}, "models": "none"}, "ok"])
async def test_an_answer_without_a_model_list_is_a_provider_error_not_an_empty_list(
    case: Case, router: respx.MockRouter, client: httpx.AsyncClient, fake_time: FakeTime, body: object
) -> None:
    first = case.mount(router, case.base_url)[0]
    first.respond(200, json=body)
    with pytest.raises(ProviderError) as raised:
        await build(case, client, fake_time).list_models()
    assert raised.value.reason == "the model list has an unexpected shape"


@pytest.mark.parametrize("case", PAGED, ids=[case.id for case in PAGED])
@pytest.mark.parametrize("failure", [httpx.Response(500), httpx.Response(404), httpx.ReadTimeout("slow")])
async def test_a_later_request_that_fails_fails_the_listing_never_shortens_it(
    case: Case,
    router: respx.MockRouter,
    client: httpx.AsyncClient,
    fake_time: FakeTime,
    failure: httpx.Response | Exception,
) -> None:
    routes = case.mount(router, case.base_url)
    routes[-1].side_effect = [failure] * 3
    with pytest.raises(ProviderError):
        await build(case, client, fake_time).list_models()
    assert routes[0].called


@pytest.mark.parametrize("case", PAGED, ids=[case.id for case in PAGED])
async def test_a_later_page_that_is_not_json_fails_the_listing(
    case: Case, router: respx.MockRouter, client: httpx.AsyncClient, fake_time: FakeTime
) -> None:
    routes = case.mount(router, case.base_url)
    routes[-1].respond(200, content=b'{"data": [')
    with pytest.raises(ProviderError):
        await build(case, client, fake_time).list_models()
