"""`modelcatalog sync` and the scheduled sync, against a provider on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api import leases
from api.sync.scheduler import LEASE, scheduled_round
from tables.catalog import AiModel
from tables.sync import SyncRun
from tests.commands import cli
from tests.fake_provider import FakeProvider, fake_provider

UPSERT = 'mutation($u: String) { upsertProvider(input: {key: "lab", kind: OPENAI_COMPATIBLE, baseUrl: $u}) { id } }'


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    with fake_provider() as served:
        yield served


@pytest.fixture
async def lab(client, admin_token, provider) -> FakeProvider:
    await client.data(UPSERT, {"u": provider.base_url}, token=admin_token)
    return provider


async def test_sync_prints_the_diff_and_writes_nothing_without_apply(lab):
    lab.serve("qwen-7b", "llama-3-8b")
    shown = cli("sync", "lab")
    assert shown.returncode == 0, shown.stderr
    assert "2 new" in shown.stdout and "lab:qwen-7b" in shown.stdout and "lab:llama-3-8b" in shown.stdout
    assert await AiModel.count() == 0
    applied = cli("sync", "lab", "--apply")
    assert applied.returncode == 0, applied.stderr
    assert "applied: 2 created" in applied.stdout
    assert sorted(r["model_id"] for r in await AiModel.select(AiModel.model_id)) == ["llama-3-8b", "qwen-7b"]
    lab.serve("qwen-7b")
    shown = cli("sync", "--all")
    assert "Archived" in shown.stdout and "lab:llama-3-8b" in shown.stdout
    assert [r["applied"] for r in await SyncRun.select(SyncRun.applied).order_by(SyncRun.id)] == [
        False,
        False,
        True,
        False,
    ]


async def test_sync_of_an_unknown_provider_fails_cleanly():
    result = cli("sync", "nobody")
    assert result.returncode == 1 and 'no provider "nobody"' in result.stderr
    assert cli("sync").returncode == 2


async def test_a_scheduled_round_runs_on_one_instance_at_a_time(lab, settings):
    from api.secrets import load_secret_box

    lab.serve("qwen-7b")
    secrets = load_secret_box(settings)
    assert await scheduled_round(secrets, 60) == 1
    run = await SyncRun.select().where(SyncRun.applied.eq(True)).first()
    assert run["trigger"] == "SCHEDULED" and run["started_by"] is None and run["created"] == 1
    await leases.Lease.update({leases.Lease.holder: "another-instance"}).where(leases.Lease.name == LEASE)
    assert await scheduled_round(secrets, 60) is None  # the other instance holds this round
