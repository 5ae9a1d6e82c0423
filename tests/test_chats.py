"""Chats through GraphQL: on a selectable model, the owner's alone, and kept when their model goes."""

from __future__ import annotations

import asyncio
import json

import pytest

from api.database import count_statements
from api.users import service as users
from domain.choices import Role
from tables.catalog import AiModel
from tables.chats import Chat
from tables.users import User
from tests.chats import CHAT_FIELDS, CREATE_CHAT, archive, catalog_of, create_agent, create_chat, disable
from tests.graphql import codes

SET_MODEL = f"""
mutation($chatId: ID!, $aiModelId: ID!) {{ setChatModel(chatId: $chatId, aiModelId: $aiModelId) {{ {CHAT_FIELDS} }} }}
"""
CHAT = f"query($id: ID!) {{ chat(id: $id) {{ {CHAT_FIELDS} }} }}"
CHATS = f"query($first: Int, $after: ID) {{ chats(first: $first, after: $after) {{ {CHAT_FIELDS} }} }}"
DELETE = "mutation($id: ID!) { deleteChat(id: $id) }"


@pytest.fixture
async def models(client, admin_token):
    return await catalog_of(client, admin_token, "openai:gpt-4o", "openai:gpt-4o-mini", "anthropic:claude")


async def _user_id(username: str) -> int:
    row = await User.select(User.id).where(User.username == username).first()
    return int(row["id"])


def _field_of(body):
    assert codes(body) == ["VALIDATION_FAILED"], body
    return [problem["field"] for problem in body["errors"][0]["extensions"]["fields"]]


async def test_a_member_starts_a_chat_on_a_selectable_model(client, member_token, models):
    chat = await create_chat(client, member_token, models["openai:gpt-4o"], title="  Trip to Rome ")
    assert chat["title"] == "Trip to Rome"
    assert chat["model"] == {
        "id": models["openai:gpt-4o"],
        "universalModelId": "openai:gpt-4o",
        "status": "ACTIVE",
        "selectable": True,
    }
    assert chat["agent"] is None and chat["legacyModel"] is None
    row = await Chat.select().where(Chat.id == int(chat["id"])).first()
    assert row["owner"] == await _user_id("bob") and row["ai_model"] == int(models["openai:gpt-4o"])


async def test_a_blank_title_is_no_title(client, member_token, models):
    chat = await create_chat(client, member_token, models["openai:gpt-4o"], title="   ")
    assert chat["title"] is None


async def test_chats_lists_the_callers_own_newest_first_in_pages(client, admin_token, member_token, models):
    mine = [(await create_chat(client, member_token, models["openai:gpt-4o"], title=f"c{i}"))["id"] for i in range(5)]
    await create_chat(client, admin_token, models["openai:gpt-4o"], title="alice's")
    everything = await client.data(CHATS, token=member_token)
    assert [chat["id"] for chat in everything["chats"]] == mine[::-1]
    first = await client.data(CHATS, {"first": 2}, token=member_token)
    assert [chat["id"] for chat in first["chats"]] == mine[:2:-1]
    rest = await client.data(CHATS, {"first": 10, "after": first["chats"][-1]["id"]}, token=member_token)
    assert [chat["id"] for chat in rest["chats"]] == mine[2::-1]
    admins = await client.data(CHATS, token=admin_token)
    assert [chat["title"] for chat in admins["chats"]] == ["alice's"]


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"aiModelId": "abc"}, "aiModelId"),
        ({"aiModelId": "-1"}, "aiModelId"),
        ({"aiModelId": "99999"}, "aiModelId"),
        ({"aiModelId": "99999999999999999999"}, "aiModelId"),
        ({"title": "x" * 201}, "title"),
        ({"title": "nul\x00inside"}, "title"),
        ({"title": "bell\x07"}, "title"),
        ({"title": "two\nlines"}, "title"),
        ({"title": "\ud800"}, "title"),
        ({"agentId": "x"}, "agentId"),
        ({"agentId": "99999"}, "agentId"),
        ({"agentId": "99999999999999999999"}, "agentId"),
    ],
)
async def test_create_chat_refuses_bad_input_naming_the_field(client, member_token, models, variables, field):
    # json.dumps escapes a lone surrogate as "\\ud800", as a browser's JSON.stringify does.
    request = {"query": CREATE_CHAT, "variables": {"aiModelId": models["openai:gpt-4o"], **variables}}
    response = await client.http.post(
        "/graphql",
        content=json.dumps(request),
        headers={"Authorization": f"Bearer {member_token}", "Content-Type": "application/json"},
    )
    body = response.json()
    assert _field_of(body) == [field]
    assert await Chat.count() == 0


@pytest.mark.parametrize("make_unselectable", [archive, disable])
async def test_a_chat_cannot_start_on_a_model_that_is_not_selectable(
    client, admin_token, member_token, models, make_unselectable
):
    await make_unselectable(client, admin_token, models["openai:gpt-4o"])
    body = await client(CREATE_CHAT, {"aiModelId": models["openai:gpt-4o"]}, token=member_token)
    assert _field_of(body) == ["aiModelId"]
    assert "not selectable" in body["errors"][0]["message"]
    assert await Chat.count() == 0


async def test_a_chat_with_an_agent_must_use_one_of_its_models(client, admin_token, member_token, models):
    agent = await create_agent(client, admin_token, modelIds=[models["openai:gpt-4o"], models["anthropic:claude"]])
    chat = await create_chat(client, member_token, models["anthropic:claude"], agentId=agent["id"])
    assert chat["agent"] == {"id": agent["id"], "name": "Coder"}
    body = await client(CREATE_CHAT, {"aiModelId": models["openai:gpt-4o-mini"], "agentId": agent["id"]}, member_token)
    assert _field_of(body) == ["aiModelId"] and "agent's models" in body["errors"][0]["message"]
    moved = await client(SET_MODEL, {"chatId": chat["id"], "aiModelId": models["openai:gpt-4o-mini"]}, member_token)
    assert _field_of(moved) == ["aiModelId"]
    ok = await client.data(SET_MODEL, {"chatId": chat["id"], "aiModelId": models["openai:gpt-4o"]}, member_token)
    assert ok["setChatModel"]["model"]["universalModelId"] == "openai:gpt-4o"


async def test_set_chat_model_moves_the_chat_and_touches_updated_at(client, member_token, models):
    chat = await create_chat(client, member_token, models["openai:gpt-4o"])
    data = await client.data(SET_MODEL, {"chatId": chat["id"], "aiModelId": models["anthropic:claude"]}, member_token)
    moved = data["setChatModel"]
    assert moved["model"]["universalModelId"] == "anthropic:claude"
    assert moved["updatedAt"] >= chat["updatedAt"] and moved["createdAt"] == chat["createdAt"]
    row = await Chat.select(Chat.ai_model).where(Chat.id == int(chat["id"])).first()
    assert row["ai_model"] == int(models["anthropic:claude"])


@pytest.mark.parametrize(
    ("model", "field"),
    [("archived", "aiModelId"), ("disabled", "aiModelId"), ("99999", "aiModelId"), ("x", "aiModelId")],
)
async def test_set_chat_model_refuses_a_model_the_caller_cannot_select(
    client, admin_token, member_token, models, model, field
):
    chat = await create_chat(client, member_token, models["openai:gpt-4o"])
    if model == "archived":
        await archive(client, admin_token, models["anthropic:claude"])
        model = models["anthropic:claude"]
    elif model == "disabled":
        await disable(client, admin_token, models["anthropic:claude"])
        model = models["anthropic:claude"]
    body = await client(SET_MODEL, {"chatId": chat["id"], "aiModelId": model}, token=member_token)
    assert _field_of(body) == [field]
    row = await Chat.select(Chat.ai_model).where(Chat.id == int(chat["id"])).first()
    assert row["ai_model"] == int(models["openai:gpt-4o"])


async def test_delete_chat_deletes_the_owners_chat_once(client, member_token, models):
    chat = await create_chat(client, member_token, models["openai:gpt-4o"])
    assert (await client.data(DELETE, {"id": chat["id"]}, token=member_token))["deleteChat"] is True
    assert await Chat.count() == 0
    assert codes(await client(DELETE, {"id": chat["id"]}, token=member_token)) == ["NOT_FOUND"]
    assert codes(await client(CHAT, {"id": chat["id"]}, token=member_token)) == ["NOT_FOUND"]


OPERATIONS = {
    "chat": (CHAT, lambda chat, models: {"id": chat}),
    "setChatModel": (SET_MODEL, lambda chat, models: {"chatId": chat, "aiModelId": models["anthropic:claude"]}),
    "deleteChat": (DELETE, lambda chat, models: {"id": chat}),
}


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("caller", ["another member", "an admin"])
async def test_another_users_chat_is_not_found(client, admin_token, member_token, models, operation, caller):
    chat = await create_chat(client, member_token, models["openai:gpt-4o"], title="bob's")
    _, carol = await users.create_user("carol", Role.MEMBER)
    token = admin_token if caller == "an admin" else carol
    document, variables = OPERATIONS[operation]
    body = await client(document, variables(chat["id"], models), token=token)
    assert codes(body) == ["NOT_FOUND"]
    missing = await client(document, variables("99999", models), token=token)
    assert missing["errors"][0]["message"].replace("99999", chat["id"]) == body["errors"][0]["message"]
    row = await Chat.select().where(Chat.id == int(chat["id"])).first()
    assert row["ai_model"] == int(models["openai:gpt-4o"]) and row["title"] == "bob's"


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize(("chat_id", "code"), [("abc", "VALIDATION_FAILED"), ("99999999999999999999", "NOT_FOUND")])
async def test_a_chat_id_that_no_chat_can_have(client, member_token, models, operation, chat_id, code):
    document, variables = OPERATIONS[operation]
    assert codes(await client(document, variables(chat_id, models), token=member_token)) == [code]


@pytest.mark.parametrize(
    "document",
    [CHATS, CHAT, DELETE, SET_MODEL, CREATE_CHAT],
)
async def test_chats_need_a_signed_in_caller(client, models, document):
    variables = {"id": "1", "chatId": "1", "aiModelId": models["openai:gpt-4o"]}
    wanted = {name for name in variables if f"${name}" in document}
    body = await client(document, {name: variables[name] for name in wanted})
    assert codes(body) == ["UNAUTHENTICATED"]


async def test_an_archived_model_keeps_its_chats_and_admins_find_them(client, admin_token, member_token, models):
    chat = await create_chat(client, member_token, models["openai:gpt-4o"])
    await create_chat(client, member_token, models["anthropic:claude"])
    await archive(client, admin_token, models["openai:gpt-4o"])
    kept = await client.data(CHAT, {"id": chat["id"]}, token=member_token)
    assert kept["chat"]["model"] == {
        "id": models["openai:gpt-4o"],
        "universalModelId": "openai:gpt-4o",
        "status": "ARCHIVED",
        "selectable": False,
    }
    query = """query($filter: ModelFilter) {
        models(filter: $filter) { totalCount nodes { universalModelId chatCount } } }"""
    archived = await client.data(query, {"filter": {"hasChats": True, "status": "ARCHIVED"}}, token=admin_token)
    assert archived["models"] == {"totalCount": 1, "nodes": [{"universalModelId": "openai:gpt-4o", "chatCount": 1}]}
    used = await client.data(query, {"filter": {"hasChats": True}}, token=admin_token)
    assert [node["universalModelId"] for node in used["models"]["nodes"]] == ["anthropic:claude", "openai:gpt-4o"]
    unused = await client.data(query, {"filter": {"hasChats": False}}, token=admin_token)
    assert unused["models"]["nodes"] == [{"universalModelId": "openai:gpt-4o-mini", "chatCount": 0}]


async def test_a_deleted_model_leaves_its_chats_with_no_model(client, admin_token, member_token, models):
    chat = await create_chat(client, member_token, models["openai:gpt-4o"], title="kept")
    agent = await create_agent(
        client, admin_token, modelIds=[models["openai:gpt-4o"]], defaultModelId=models["openai:gpt-4o"]
    )
    # No mutation deletes a model; the database's foreign keys are what is tested here.
    await AiModel.raw("DELETE FROM ai_models WHERE id = {}", int(models["openai:gpt-4o"]))
    data = await client.data(CHAT, {"id": chat["id"]}, token=member_token)
    assert data["chat"]["model"] is None and data["chat"]["title"] == "kept"
    assert data["chat"]["legacyModel"] is None
    row = await Chat.select(Chat.ai_model).where(Chat.id == int(chat["id"])).first()
    assert row == {"ai_model": None}
    agents = await client.data("{ agents { id models { id } defaultModel { id } } }", token=member_token)
    assert agents["agents"] == [{"id": agent["id"], "models": [], "defaultModel": None}]


async def test_the_database_refuses_a_chat_on_a_model_that_does_not_exist(member_token):
    bob = await _user_id("bob")
    # sqlite3 and asyncpg raise different classes; both name the foreign key.
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        await Chat.insert(Chat(owner=bob, ai_model=99999))


async def test_an_unmapped_legacy_chat_shows_its_legacy_model(client, member_token):
    bob = await _user_id("bob")
    await Chat.insert(
        Chat(owner=bob, title="old", model_provider=" openai ", model_name="gpt-3.5-turbo"),
        Chat(owner=bob, title="older", model_name="2/claude-instant"),
    )
    data = await client.data(CHATS, token=member_token)
    assert [(chat["title"], chat["legacyModel"], chat["model"]) for chat in data["chats"]] == [
        ("older", "2/claude-instant", None),
        ("old", "openai/gpt-3.5-turbo", None),
    ]


async def test_a_page_of_chats_takes_a_fixed_number_of_statements(client, admin_token, member_token, models):
    agent = await create_agent(client, admin_token, modelIds=list(models.values()))
    query = """query($first: Int) { chats(first: $first) { id model { universalModelId provider { key } }
        agent { name selectableModels { id } defaultModel { id } } } }"""

    async def statements(first):
        with count_statements() as count:
            data = await client.data(query, {"first": first}, token=member_token)
        assert len(data["chats"]) == min(first, await Chat.count())
        return count.statements

    await create_chat(client, member_token, models["openai:gpt-4o"], agentId=agent["id"])
    small = await statements(1)
    bob = await _user_id("bob")
    ids = [int(model_id) for model_id in models.values()]
    await Chat.insert(*(Chat(owner=bob, ai_model=ids[i % 3], agent=int(agent["id"])) for i in range(300)))
    large = await statements(300)
    # the token, the page, then one batch each for models, providers, agents and their models
    assert small == large <= 8


async def test_concurrent_chat_writes_on_one_model_all_succeed(client, member_token, models):
    chat = await create_chat(client, member_token, models["openai:gpt-4o"])
    targets = [models["anthropic:claude"], models["openai:gpt-4o-mini"]] * 4
    bodies = await asyncio.gather(
        *(client(CREATE_CHAT, {"aiModelId": models["openai:gpt-4o"]}, token=member_token) for _ in range(8)),
        *(client(SET_MODEL, {"chatId": chat["id"], "aiModelId": target}, token=member_token) for target in targets),
    )
    assert all("errors" not in body for body in bodies), bodies
    assert await Chat.count() == 9
