"""Adapter tests run against respx, never the network, with a clock that sleeps instantly."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import respx

from tests.adapters.support import FakeTime

# Loading the CA bundle is most of what building a client costs; respx answers before TLS anyway.
_TLS = ssl.create_default_context()


@pytest.fixture
def empty_database() -> None:
    """Adapters never touch the database, so these tests skip emptying it."""


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    # assert_all_mocked: a request no route answers fails the test instead of leaving the machine.
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as mocked:
        yield mocked


@pytest.fixture
async def client(router: respx.MockRouter) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(verify=_TLS) as http:
        yield http


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()
