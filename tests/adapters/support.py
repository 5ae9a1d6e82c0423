"""What the adapter tests share: the recorded bodies, a clock that sleeps instantly, and a secret to hunt for."""

from __future__ import annotations

import json
import traceback
from pathlib import Path
from typing import Any

import httpx
import respx

from adapters.base import Adapter, Listing
from adapters.errors import ProviderError
from adapters.http import HttpPolicy
from adapters.kinds import default_base_url

__all__ = ["KEY", "FakeTime", "assert_secret_free", "listing_of", "load"]

FIXTURES = Path(__file__).with_name("fixtures")

# A key no fixture contains, so finding it anywhere means the code put it there.
KEY = "sk-test-Zq8rT1cK3yV9wQ4-not-a-real-key"


def load(name: str) -> Any:
    """A recorded provider body from fixtures/."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


class FakeTime:
    """A monotonic clock that only moves when the code under test sleeps, and remembers every sleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now

    def policy(self, **changes: Any) -> HttpPolicy:
        return HttpPolicy(sleep=self.sleep, clock=self.clock, **changes)


def assert_secret_free(error: ProviderError, *secrets: str) -> None:
    """Neither the message, the args, the repr nor the printed traceback carries any of the secrets."""
    printed = "".join(traceback.format_exception(error))
    for secret in secrets or (KEY,):
        for text in (str(error), repr(error), repr(error.args), error.reason, printed):
            assert secret not in text


async def listing_of(
    adapter: type[Adapter],
    body: Any,
    router: respx.MockRouter,
    client: httpx.AsyncClient,
    *,
    path: str = "/models",
    base_url: str | None = None,
    key: str | None = KEY,
) -> Listing:
    """The listing an adapter makes of one recorded body, served at its base URL and path."""
    base = base_url or default_base_url(adapter.kind)
    assert base is not None
    router.get(base + path).respond(200, json=body)
    made = adapter(base_url=base, api_key=key, client=client, policy=FakeTime().policy())
    return await made.list_models()
