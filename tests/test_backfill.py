"""The legacy backfill: every form of model string found in the wild, in batches, idempotent and resumable."""

from __future__ import annotations

import pytest

from api.chats.backfill import LegacyCatalog, Unmapped, backfill_chats, legacy_key, resolve
from api.database import count_statements
from api.errors import ValidationFailed
from tables.catalog import Provider
from tables.chats import Chat
from tables.users import User
from tests.chats import archive, catalog_of
from tests.commands import cli

# A catalog as load_catalog reads it: providers by id and key, models with their lifecycle.
PROVIDERS = [
    {"id": 1, "key": "openai"},
    {"id": 2, "key": "anthropic"},
    {"id": 3, "key": "google"},
    {"id": 4, "key": "openrouter"},
    {"id": 5, "key": "ollama"},
]
MODELS = [
    (10, 1, "gpt-4o-mini", "openai:gpt-4o-mini"),
    (11, 1, "gpt-4o", "openai:gpt-4o"),
    (12, 2, "claude-3-haiku", "anthropic:claude-3-haiku"),
    (13, 3, "gemini-1.5-pro", "google:gemini-1.5-pro"),
    (14, 4, "anthropic/claude-3-haiku", "openrouter:anthropic/claude-3-haiku"),
    (15, 5, "llama3.2:3b", "ollama:llama3.2:3b"),
    (16, 1, "GPT-X", "openai:GPT-X"),
    (17, 1, "gpt-x", "openai:gpt-x"),
    (18, 1, "o1", "openai:o1"),
    (19, 1, "gpt-4o", "openai:gpt-4o-custom"),  # a duplicate: same model id, its own universal id
]
CATALOG = LegacyCatalog.build(
    PROVIDERS,
    [
        {
            "id": row_id,
            "provider": provider,
            "model_id": model_id,
            "universal_model_id": universal,
            "status": "ARCHIVED" if model_id == "o1" else "ACTIVE",
            "enabled": model_id != "o1",
            "is_available": True,
        }
        for row_id, provider, model_id, universal in MODELS
    ],
)


@pytest.mark.parametrize(
    ("provider", "name", "expected"),
    [
        # provider and model apart
        ("openai", "gpt-4o-mini", 10),
        (" OpenAI ", "  GPT-4o-Mini ", 10),
        ("OPENAI", "gpt-4o-mini\t", 10),
        ("openai", "openai/gpt-4o-mini", 10),  # the provider said twice
        ("openai", "openai:gpt-4o-mini", 10),
        ("gemini", "gemini-1.5-pro", 13),  # Gemini's API is provider "google"
        ("openrouter", "anthropic/claude-3-haiku", 14),  # a model id with a slash of its own
        ("ollama", "llama3.2:3b", 15),  # a model id with a tag
        ("openai", "o1", 18),  # archived: old chats still used it
        # one string
        (None, "openai/gpt-4o-mini", 10),
        (None, "openai:gpt-4o-mini", 10),
        ("", " OpenAI / GPT-4o-mini ", 10),
        (None, "openai : gpt-4o-mini", 10),
        (None, "openai:gpt-4o-custom", 19),  # a universalModelId as it is
        (None, "openrouter/anthropic/claude-3-haiku", 14),
        (None, "openrouter:anthropic/claude-3-haiku", 14),
        (None, "anthropic/claude-3-haiku", 12),  # anthropic's own, not openrouter's copy
        (None, "ollama:llama3.2:3b", 15),
        # a provider's numeric id
        ("1", "gpt-4o-mini", 10),
        (" 2 ", "claude-3-haiku", 12),
        (None, "2/claude-3-haiku", 12),
        (None, "2:claude-3-haiku", 12),
        # letter case picks the exact spelling, else the one match
        ("openai", "GPT-X", 16),
        ("openai", "gpt-x", 17),
        ("openai", "Gpt-X", Unmapped.AMBIGUOUS),
        ("openai", "gpt-4o", 11),
        # never guessed from the model id alone
        ("anthropic", "gpt-4o-mini", Unmapped.PROVIDER_MISMATCH),
        ("2", "gpt-4o-mini", Unmapped.PROVIDER_MISMATCH),
        ("anthropic", "openai/gpt-4o-mini", Unmapped.PROVIDER_MISMATCH),
        (None, "google/claude-3-haiku", Unmapped.PROVIDER_MISMATCH),
        (None, "gpt-4o-mini", Unmapped.NO_PROVIDER),
        ("", "gpt-4o-mini", Unmapped.NO_PROVIDER),
        (None, "llama3.2:3b", Unmapped.NO_PROVIDER),  # not provider "llama3.2"
        # unknown
        ("azure", "gpt-4o-mini", Unmapped.UNKNOWN_PROVIDER),
        ("99", "gpt-4o-mini", Unmapped.UNKNOWN_PROVIDER),
        (None, "mystery/gpt-4o-mini", Unmapped.UNKNOWN_PROVIDER),
        ("openai", "gpt-5-turbo", Unmapped.UNKNOWN_MODEL),
        (None, "openai/gpt-5-turbo", Unmapped.UNKNOWN_MODEL),
        ("openai", None, Unmapped.EMPTY),
        ("openai", "   ", Unmapped.EMPTY),
        (None, None, Unmapped.EMPTY),
        ("", "", Unmapped.EMPTY),
    ],
)
def test_resolve_maps_every_legacy_form(provider, name, expected):
    assert resolve(provider, name, CATALOG) == expected


@pytest.mark.parametrize(
    ("provider", "name", "key"),
    [
        (" OpenAI ", "GPT-5", "openai/gpt-5"),
        (None, "Mystery/Model", "mystery/model"),
        ("azure", None, "azure"),
        (None, "  ", "(empty)"),
    ],
)
def test_legacy_strings_are_reported_in_one_form(provider, name, key):
    assert legacy_key(provider, name) == key


# (model_provider, model_name, the universalModelId it maps to, or why not)
LEGACY_CHATS = [
    ("openai", "gpt-4o-mini", "openai:gpt-4o-mini"),
    ("OpenAI", " GPT-4o-Mini ", "openai:gpt-4o-mini"),
    (None, "openai/gpt-4o-mini", "openai:gpt-4o-mini"),
    (None, "openai:gpt-4o", "openai:gpt-4o"),
    ("{openai}", "gpt-4o", "openai:gpt-4o"),  # the provider's numeric id, filled in below
    (None, "{anthropic}/claude-3-haiku", "anthropic:claude-3-haiku"),
    ("gemini", "gemini-1.5-pro", "google:gemini-1.5-pro"),
    ("openai", "gpt-3.5-turbo", "openai:gpt-3.5-turbo"),  # archived before the backfill
    ("anthropic", "gpt-4o-mini", Unmapped.PROVIDER_MISMATCH),
    ("anthropic", "gpt-4o-mini", Unmapped.PROVIDER_MISMATCH),
    (None, "gpt-4o-mini", Unmapped.NO_PROVIDER),
    ("azure", "gpt-4o", Unmapped.UNKNOWN_PROVIDER),
    ("openai", "gpt-5-ultra", Unmapped.UNKNOWN_MODEL),
    ("OPENAI", "GPT-5-Ultra", Unmapped.UNKNOWN_MODEL),
    ("openai", "", Unmapped.EMPTY),
]


@pytest.fixture
async def legacy(client, admin_token, member_token):
    """The catalog, and bob's chats from before models had rows; their ids in LEGACY_CHATS order."""
    models = await catalog_of(
        client,
        admin_token,
        "openai:gpt-4o-mini",
        "openai:gpt-4o",
        "openai:gpt-3.5-turbo",
        "anthropic:claude-3-haiku",
        "google:gemini-1.5-pro",
    )
    await archive(client, admin_token, models["openai:gpt-3.5-turbo"])
    providers = {row["key"]: str(row["id"]) for row in await Provider.select(Provider.id, Provider.key)}
    bob = (await User.select(User.id).where(User.username == "bob").first())["id"]
    rows = [
        Chat(owner=bob, title=f"legacy {i}", model_provider=_filled(p, providers), model_name=_filled(n, providers))
        for i, (p, n, _) in enumerate(LEGACY_CHATS)
    ]
    inserted = await Chat.insert(*rows).returning(Chat.id)
    return models, [row["id"] for row in inserted]


def _filled(text, providers):
    return text.format(**providers) if text else text


async def _models_by_chat(chat_ids):
    rows = await Chat.select(Chat.id, Chat.ai_model).where(Chat.id.is_in(chat_ids))
    return {row["id"]: row["ai_model"] for row in rows}


EXPECTED_GROUPS = [
    (Unmapped.PROVIDER_MISMATCH, "anthropic/gpt-4o-mini", 2),
    (Unmapped.UNKNOWN_MODEL, "openai/gpt-5-ultra", 2),
]


async def test_the_backfill_maps_a_messy_legacy_table_and_reports_the_rest(client, member_token, legacy):
    models, chat_ids = legacy
    report = await backfill_chats(batch_size=4)
    linked = await _models_by_chat(chat_ids)
    for chat_id, (_, _, expected) in zip(chat_ids, LEGACY_CHATS, strict=True):
        wanted = None if isinstance(expected, Unmapped) else int(models[expected])
        assert linked[chat_id] == wanted, (chat_id, expected)
    assert (report.examined, report.mapped, report.unmapped) == (15, 8, 7)
    assert report.not_selectable == 1 and report.already_linked == 0 and report.batches == 4
    groups = report.unmapped_groups()
    assert groups[:2] == EXPECTED_GROUPS
    assert sorted(groups[2:]) == sorted(
        [
            (Unmapped.NO_PROVIDER, "gpt-4o-mini", 1),
            (Unmapped.UNKNOWN_PROVIDER, "azure/gpt-4o", 1),
            (Unmapped.EMPTY, "openai", 1),
        ]
    )
    data = await client.data("{ chats { title legacyModel model { universalModelId } } }", token=member_token)
    shown = {chat["title"]: (chat["legacyModel"], chat["model"]) for chat in data["chats"]}
    assert shown["legacy 1"] == (None, {"universalModelId": "openai:gpt-4o-mini"})
    assert shown["legacy 13"] == ("OPENAI/GPT-5-Ultra", None)


async def test_running_the_backfill_again_changes_nothing(legacy):
    _, chat_ids = legacy
    first = await backfill_chats(batch_size=5)
    before = await _models_by_chat(chat_ids)
    again = await backfill_chats(batch_size=5)
    assert await _models_by_chat(chat_ids) == before
    assert (again.examined, again.mapped, again.unmapped, again.already_linked) == (7, 0, 7, 8)
    assert again.unmapped_groups() == first.unmapped_groups()


async def test_a_dry_run_reports_what_it_would_map_and_writes_nothing(legacy):
    _, chat_ids = legacy
    report = await backfill_chats(dry_run=True, batch_size=2)
    assert (report.examined, report.mapped, report.unmapped) == (15, 8, 7) and report.dry_run
    assert set((await _models_by_chat(chat_ids)).values()) == {None}


async def test_an_interrupted_backfill_resumes_where_it_stopped(legacy):
    models, chat_ids = legacy

    def stop_after_the_first_batch(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        await backfill_chats(batch_size=3, progress=stop_after_the_first_batch)
    partly = await _models_by_chat(chat_ids)
    assert [partly[chat_id] for chat_id in chat_ids[:3]] == [int(models["openai:gpt-4o-mini"])] * 3
    assert set(partly[chat_id] for chat_id in chat_ids[3:]) == {None}
    rest = await backfill_chats(batch_size=3)
    assert (rest.already_linked, rest.mapped, rest.unmapped) == (3, 5, 7)


async def test_a_chat_that_has_a_model_keeps_it(legacy):
    models, chat_ids = legacy
    chosen = int(models["openai:gpt-4o"])
    await Chat.update({Chat.ai_model: chosen}).where(Chat.id == chat_ids[0])  # legacy says gpt-4o-mini
    report = await backfill_chats()
    assert (await _models_by_chat(chat_ids[:1])) == {chat_ids[0]: chosen}
    assert report.already_linked == 1 and report.examined == 14


async def test_admins_find_the_backfilled_chats_on_archived_models(client, admin_token, legacy):
    await backfill_chats()
    query = """{ models(filter: {hasChats: true, status: ARCHIVED}) { nodes { universalModelId chatCount } } }"""
    data = await client.data(query, token=admin_token)
    assert data["models"]["nodes"] == [{"universalModelId": "openai:gpt-3.5-turbo", "chatCount": 1}]


async def test_the_backfill_takes_a_few_statements_per_batch(legacy):
    bob = (await User.select(User.id).where(User.username == "bob").first())["id"]
    await Chat.insert(
        *(Chat(owner=bob, model_provider="openai", model_name=f"gpt-4o{'-mini' * (i % 2)}") for i in range(985))
    )
    with count_statements() as count:
        report = await backfill_chats(batch_size=100)
    assert report.examined == 1000 and report.batches == 10
    # the catalog (2), the counts (2), then per batch a read and one UPDATE, and the last, empty read
    assert count.statements <= 4 + 2 * report.batches + 1


@pytest.mark.parametrize("batch_size", [0, -1, 10_001])
async def test_a_batch_size_out_of_bounds_is_refused(batch_size):
    with pytest.raises(ValidationFailed):
        await backfill_chats(batch_size=batch_size)


WIDE = {"COLUMNS": "200"}  # rich would wrap the tables at 80 columns in a pipe


def _rows(table_text):
    """The cells of each row of the rich tables printed."""
    return [[cell.strip() for cell in line.split("│")[1:-1]] for line in table_text.splitlines() if "│" in line]


async def test_the_command_reports_groups_and_a_summary_and_can_be_run_again(legacy):
    _, chat_ids = legacy
    dry = cli("backfill-chats", "--dry-run", env=WIDE)
    assert dry.returncode == 0, dry.stderr
    assert ["would be mapped", "8"] in _rows(dry.stdout) and "dry run: nothing was written" in dry.stderr
    assert set((await _models_by_chat(chat_ids)).values()) == {None}
    real = cli("backfill-chats", "--batch-size", "4", env=WIDE)
    assert real.returncode == 0, real.stderr
    rows = _rows(real.stdout)
    assert rows[:2] == [
        ["the model is another provider's", "anthropic/gpt-4o-mini", "2"],
        ["no such model at the provider", "openai/gpt-5-ultra", "2"],
    ]
    assert sorted(rows[2:5]) == [
        ["no model named", "openai", "1"],
        ["no provider named", "gpt-4o-mini", "1"],
        ["unknown provider", "azure/gpt-4o", "1"],
    ]
    assert rows[5:] == [
        ["examined (no model, a legacy string)", "15"],
        ["mapped", "8"],
        ["of them on an archived, disabled or unavailable model", "1"],
        ["could not be mapped", "7"],
        ["already had a model", "0"],
    ]
    assert "4 batches" in real.stderr
    again = cli("backfill-chats", env=WIDE)
    assert again.returncode == 0, again.stderr
    assert _rows(again.stdout)[5:7] == [["examined (no model, a legacy string)", "7"], ["mapped", "0"]]
    assert ["already had a model", "8"] in _rows(again.stdout)


@pytest.mark.parametrize("batch_size", ["0", "10001", "many"])
def test_the_command_refuses_a_bad_batch_size(batch_size):
    result = cli("backfill-chats", "--batch-size", batch_size)
    assert result.returncode == 2 and "--batch-size" in result.stderr
