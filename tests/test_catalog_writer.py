"""The one writer of model rows, called as sync and endpoint discovery will: in bulk, by the rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.catalog import writer
from api.catalog.writer import ModelChange, NewModel
from api.database import Contended, count_statements, is_postgres, transaction
from api.errors import ValidationFailed
from api.users import service as users
from domain.choices import HistoryAction, ModelStatus, ProviderKind, Role
from tables.catalog import AiModel, ModelHistory, Provider

API = Path(__file__).resolve().parent.parent / "api"
WRITES = re.compile(r"AiModel\.insert|AiModel\.update|AiModel\(.*\)\.save|AiModel\.delete")


@pytest.fixture
async def provider_id() -> int:
    rows = await Provider.insert(
        Provider(key="ollama", kind=ProviderKind.OLLAMA.value, display_name="Ollama")
    ).returning(Provider.id)
    return int(rows[0]["id"])


def new_models(provider_id: int, count: int, *, owner_id: int | None = None) -> list[NewModel]:
    return [
        NewModel(
            provider_id,
            {
                "universalModelId": f"ollama:m{i:04}",
                "modelId": f"m{i:04}",
                "displayName": f"M{i}",
                "contextWindow": 8192,
            },
            config={"name": f"m{i:04}"},
            owner_id=owner_id,
        )
        for i in range(count)
    ]


async def rows_by_universal_id() -> dict[str, dict]:
    rows = await AiModel.select().order_by(AiModel.id).output(load_json=True)
    return {row["universal_model_id"]: row for row in rows}


async def history_of(universal_model_id: str) -> list[tuple[int, str]]:
    rows = await (
        ModelHistory.select(ModelHistory.version, ModelHistory.action)
        .where(ModelHistory.universal_model_id == universal_model_id)
        .order_by(ModelHistory.version)
    )
    return [(row["version"], row["action"]) for row in rows]


REVISION_STATEMENTS = 3 if is_postgres() else 2


def test_only_the_writer_writes_model_rows():
    writers = sorted(
        str(path.relative_to(API)) for path in API.rglob("*.py") if WRITES.search(path.read_text(encoding="utf-8"))
    )
    assert writers == ["catalog/writer.py"]


async def test_a_bulk_insert_takes_four_statements_per_batch_of_500(provider_id):
    bob, _ = await users.create_user("bob", Role.MEMBER)
    with count_statements() as count:
        async with transaction():
            rows = await writer.insert_models(
                new_models(provider_id, 1200, owner_id=bob.id), HistoryAction.CREATED, by=None, reason="discovered"
            )
    # insert, read back, the first prices, history, for each of 3 batches; then the revision, its event
    # (and NOTIFY on PostgreSQL)
    assert count.statements == 3 * 4 + REVISION_STATEMENTS
    assert [row["universal_model_id"] for row in rows] == [f"ollama:m{i:04}" for i in range(1200)]
    assert {(row["version"], row["owner"], row["config"]["name"] == row["model_id"]) for row in rows} == {
        (1, bob.id, True)
    }
    assert await ModelHistory.count().where(ModelHistory.action == "CREATED", ModelHistory.version == 1) == 1200


async def test_sync_updates_in_bulk_leave_locked_fields_alone_and_unchanged_rows_unwritten(provider_id):
    async with transaction():
        await writer.insert_models(new_models(provider_id, 1200), HistoryAction.CREATED, by=None, reason=None)
    await AiModel.update({AiModel.locked_fields: ["contextWindow"]}).where(AiModel.universal_model_id == "ollama:m0007")
    async with transaction():
        locked = await writer.lock_models_where(AiModel.provider == provider_id)
        changes = [
            ModelChange(row, {"contextWindow": 32768 if i < 1100 else 8192, "displayName": row["display_name"]})
            for i, row in enumerate(locked)
        ]
        with count_statements() as count:
            after = await writer.sync_models(changes, by=None, reason="provider listing")
    # the upsert and the history of each batch (1,099 rows change), then the revision and its event
    assert count.statements == 3 * 2 + REVISION_STATEMENTS
    rows = await rows_by_universal_id()
    assert rows["ollama:m0007"]["context_window"] == 8192 and rows["ollama:m0007"]["version"] == 1
    assert rows["ollama:m0008"]["context_window"] == 32768 and rows["ollama:m0008"]["version"] == 2
    assert rows["ollama:m1150"]["version"] == 1  # nothing changed: nothing written
    assert [row["version"] for row in after] == [rows[row["universal_model_id"]]["version"] for row in after]
    assert await history_of("ollama:m0008") == [(1, "CREATED"), (2, "SYNCED")]
    assert await ModelHistory.count().where(ModelHistory.action == "SYNCED") == 1099


async def test_sync_restores_only_what_sync_archived_with_the_enabled_it_had(provider_id):
    async with transaction():
        await writer.insert_models(new_models(provider_id, 4), HistoryAction.CREATED, by=None, reason=None)
        on, off, admin_archived, _ = await writer.lock_models_where(AiModel.provider == provider_id)
        [off] = await writer.update_models(
            [ModelChange(off, {"enabled": False})], HistoryAction.DISABLED, by=None, reason=None
        )
        await writer.archive_models([admin_archived], by=None, reason="retired by an admin")
    async with transaction():
        rows = await writer.lock_models([on["id"], off["id"]])
        archived = await writer.archive_models(rows, by=None, reason="gone from the listing", by_sync=True)
    assert [
        (row["status"], row["enabled"], row["archived_by_sync"], row["enabled_before_archive"]) for row in archived
    ] == [
        ("ARCHIVED", False, True, True),
        ("ARCHIVED", False, True, False),
    ]
    async with transaction():
        rows = await writer.lock_models([on["id"], off["id"], admin_archived["id"]])
        restored = await writer.restore_models(rows, by=None, reason="listed again", by_sync=True)
    assert [(row["status"], row["enabled"], row["archived_at"]) for row in restored] == [
        ("ACTIVE", True, None),
        ("ACTIVE", False, None),
        ("ARCHIVED", False, restored[2]["archived_at"]),  # an admin archived it: sync never restores it
    ]
    assert restored[2]["archived_at"] is not None and restored[2]["archived_by_sync"] is False
    assert await history_of(on["universal_model_id"]) == [(1, "CREATED"), (2, "ARCHIVED"), (3, "RESTORED")]
    assert await history_of(admin_archived["universal_model_id"]) == [(1, "CREATED"), (2, "ARCHIVED")]


async def test_an_admin_restore_of_a_sync_archived_model_leaves_it_disabled(provider_id):
    async with transaction():
        [row] = await writer.insert_models(new_models(provider_id, 1), HistoryAction.CREATED, by=None, reason=None)
        [row] = await writer.archive_models([row], by=None, reason=None, by_sync=True)
        [row] = await writer.restore_models([row], by=None, reason=None)
    assert (row["status"], row["enabled"], row["archived_by_sync"], row["enabled_before_archive"]) == (
        "ACTIVE",
        False,
        False,
        None,
    )


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"status": ModelStatus.ARCHIVED, "enabled": True}, "enabled"),
        ({"isDefault": True, "enabled": False}, "id"),
    ],
)
async def test_the_writer_refuses_what_the_rules_forbid_and_writes_nothing(provider_id, values, field):
    async with transaction():
        [row] = await writer.insert_models(new_models(provider_id, 1), HistoryAction.CREATED, by=None, reason=None)
    with pytest.raises(ValidationFailed) as refused:
        async with transaction():
            await writer.update_models([ModelChange(row, values)], HistoryAction.UPDATED, by=None, reason=None)
    assert [problem.field for problem in refused.value.fields] == [field]
    assert await AiModel.select(AiModel.version).first() == {"version": 1}


async def test_sync_cannot_set_what_it_does_not_own(provider_id):
    async with transaction():
        [row] = await writer.insert_models(new_models(provider_id, 1), HistoryAction.CREATED, by=None, reason=None)
        with pytest.raises(ValueError, match="enabled"):
            await writer.sync_models([ModelChange(row, {"enabled": False})], by=None, reason=None)


async def test_a_row_that_moved_under_an_unlocked_caller_is_contended_and_nothing_is_written(provider_id):
    async with transaction():
        [stale] = await writer.insert_models(new_models(provider_id, 1), HistoryAction.CREATED, by=None, reason=None)
    async with transaction():
        await writer.update_models(
            [ModelChange(stale, {"contextWindow": 1})], HistoryAction.UPDATED, by=None, reason=None
        )
    with pytest.raises(Contended):
        async with transaction():
            await writer.update_models(
                [ModelChange(stale, {"contextWindow": 2})], HistoryAction.UPDATED, by=None, reason=None
            )
    assert await AiModel.select(AiModel.version, AiModel.context_window).first() == {"version": 2, "context_window": 1}
    assert await ModelHistory.count() == 2
