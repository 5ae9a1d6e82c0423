"""Agents through GraphQL: admins write them, everyone signed in reads them and their selectable models."""

from __future__ import annotations

import pytest

from tables.chats import Agent, AgentModel, Chat
from tests.chats import AGENT_FIELDS, CREATE_AGENT, archive, catalog_of, create_agent, create_chat, disable
from tests.graphql import codes

UPDATE = f"""
mutation($id: ID!, $input: AgentInput!) {{ updateAgent(id: $id, input: $input) {{ {AGENT_FIELDS} }} }}
"""
DELETE = "mutation($id: ID!) { deleteAgent(id: $id) }"
AGENT = f"query($id: ID!) {{ agent(id: $id) {{ {AGENT_FIELDS} }} }}"
AGENTS = f"{{ agents {{ {AGENT_FIELDS} }} }}"


@pytest.fixture
async def models(client, admin_token):
    return await catalog_of(client, admin_token, "openai:gpt-4o", "openai:gpt-4o-mini", "anthropic:claude")


def _universal_ids(models):
    return [model["universalModelId"] for model in models]


def _fields_of(body):
    assert codes(body) == ["VALIDATION_FAILED"], body
    return [problem["field"] for problem in body["errors"][0]["extensions"]["fields"]]


async def test_an_admin_creates_an_agent_that_members_read(client, admin_token, member_token, models):
    agent = await create_agent(
        client,
        admin_token,
        name="  Coder ",
        description="Writes code.\nReviews it too.",
        modelIds=[models["openai:gpt-4o"], models["anthropic:claude"], models["openai:gpt-4o"]],
        defaultModelId=models["anthropic:claude"],
    )
    assert agent["name"] == "Coder" and agent["description"] == "Writes code.\nReviews it too."
    assert _universal_ids(agent["models"]) == ["anthropic:claude", "openai:gpt-4o"]
    assert agent["defaultModel"] == {"id": models["anthropic:claude"], "universalModelId": "anthropic:claude"}
    read = await client.data(AGENT, {"id": agent["id"]}, token=member_token)
    assert read["agent"] == agent
    listed = await client.data(AGENTS, token=member_token)
    assert listed["agents"] == [agent]
    links = await AgentModel.select(AgentModel.ai_model).where(AgentModel.agent == int(agent["id"]))
    assert sorted(link["ai_model"] for link in links) == sorted(
        [int(models["openai:gpt-4o"]), int(models["anthropic:claude"])]
    )


async def test_agents_are_listed_by_name(client, admin_token, member_token, models):
    for name in ("Writer", "Coder", "Analyst"):
        await create_agent(client, admin_token, name=name, modelIds=[models["openai:gpt-4o"]])
    listed = await client.data("{ agents { name } }", token=member_token)
    assert [agent["name"] for agent in listed["agents"]] == ["Analyst", "Coder", "Writer"]


async def test_selectable_models_drop_archived_and_disabled_ones(client, admin_token, member_token, models):
    agent = await create_agent(client, admin_token, modelIds=list(models.values()))
    await archive(client, admin_token, models["openai:gpt-4o"])
    await disable(client, admin_token, models["anthropic:claude"])
    read = (await client.data(AGENT, {"id": agent["id"]}, token=member_token))["agent"]
    assert _universal_ids(read["models"]) == ["anthropic:claude", "openai:gpt-4o", "openai:gpt-4o-mini"]
    assert _universal_ids(read["selectableModels"]) == ["openai:gpt-4o-mini"]


async def test_an_absent_agent_is_null(client, member_token):
    assert (await client.data(AGENT, {"id": "99999"}, token=member_token))["agent"] is None
    assert (await client.data(AGENT, {"id": "99999999999999999999"}, token=member_token))["agent"] is None
    assert codes(await client(AGENT, {"id": "x"}, token=member_token)) == ["VALIDATION_FAILED"]


WRITES = {
    "createAgent": (CREATE_AGENT, lambda agent, model: {"input": {"name": "X", "modelIds": [model]}}),
    "updateAgent": (UPDATE, lambda agent, model: {"id": agent, "input": {"name": "X", "modelIds": [model]}}),
    "deleteAgent": (DELETE, lambda agent, model: {"id": agent}),
}


@pytest.mark.parametrize("operation", WRITES)
async def test_members_cannot_write_agents(client, admin_token, member_token, models, operation):
    agent = await create_agent(client, admin_token, modelIds=[models["openai:gpt-4o"]])
    document, variables = WRITES[operation]
    body = await client(document, variables(agent["id"], models["openai:gpt-4o"]), token=member_token)
    assert codes(body) == ["FORBIDDEN"]
    anonymous = await client(document, variables(agent["id"], models["openai:gpt-4o"]))
    assert codes(anonymous) == ["UNAUTHENTICATED"]
    assert await Agent.select(Agent.name) == [{"name": "Coder"}]


@pytest.mark.parametrize("document", [AGENTS, AGENT])
async def test_reading_agents_needs_a_signed_in_caller(client, document):
    body = await client(document, {"id": "1"} if "$id" in document else None)
    assert codes(body) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"name": ""}, ["name"]),
        ({"name": "   "}, ["name"]),
        ({"name": "x" * 201}, ["name"]),
        ({"name": "nul\x00"}, ["name"]),
        ({"name": "tab\tin a name"}, ["name"]),
        ({"description": "x" * 10_001}, ["description"]),
        ({"description": "escape \x1b[31m"}, ["description"]),
        ({"modelIds": []}, ["modelIds"]),
        ({"modelIds": ["x"]}, ["modelIds"]),
        ({"modelIds": ["99999"]}, ["modelIds"]),
        ({"modelIds": ["99999999999999999999"]}, ["modelIds"]),
        ({"modelIds": ["1"] * 501}, ["modelIds"]),
        ({"defaultModelId": "99999"}, ["defaultModelId"]),
        ({"defaultModelId": "x"}, ["defaultModelId"]),
        ({"name": "", "modelIds": [], "defaultModelId": "5"}, ["name", "modelIds", "defaultModelId"]),
    ],
)
async def test_create_agent_refuses_bad_input_naming_every_field(client, admin_token, models, change, fields):
    agent = {"name": "Coder", "modelIds": [models["openai:gpt-4o"]], **change}
    body = await client(CREATE_AGENT, {"input": agent}, token=admin_token)
    assert _fields_of(body) == fields
    assert await Agent.count() == 0 and await AgentModel.count() == 0


async def test_a_default_outside_the_models_is_refused(client, admin_token, models):
    agent = {"name": "Coder", "modelIds": [models["openai:gpt-4o"]], "defaultModelId": models["anthropic:claude"]}
    assert _fields_of(await client(CREATE_AGENT, {"input": agent}, token=admin_token)) == ["defaultModelId"]


async def test_agent_names_are_unique(client, admin_token, models):
    await create_agent(client, admin_token, modelIds=[models["openai:gpt-4o"]])
    again = await client(CREATE_AGENT, {"input": {"name": "Coder", "modelIds": [models["openai:gpt-4o"]]}}, admin_token)
    assert _fields_of(again) == ["name"] and "already exists" in again["errors"][0]["message"]
    other = await create_agent(client, admin_token, name="Writer", modelIds=[models["openai:gpt-4o"]])
    rename = await client(
        UPDATE, {"id": other["id"], "input": {"name": "Coder", "modelIds": [models["openai:gpt-4o"]]}}, admin_token
    )
    assert _fields_of(rename) == ["name"]
    assert await Agent.count() == 2


async def test_an_archived_model_cannot_join_an_agent_but_stays_in_one(client, admin_token, models):
    await archive(client, admin_token, models["openai:gpt-4o"])
    body = await client(CREATE_AGENT, {"input": {"name": "Coder", "modelIds": [models["openai:gpt-4o"]]}}, admin_token)
    assert _fields_of(body) == ["modelIds"] and "archived" in body["errors"][0]["message"]
    agent = await create_agent(client, admin_token, modelIds=[models["anthropic:claude"]])
    await archive(client, admin_token, models["anthropic:claude"])
    kept = {"name": "Coder 2", "modelIds": [models["anthropic:claude"], models["openai:gpt-4o-mini"]]}
    updated = (await client.data(UPDATE, {"id": agent["id"], "input": kept}, token=admin_token))["updateAgent"]
    assert _universal_ids(updated["models"]) == ["anthropic:claude", "openai:gpt-4o-mini"]
    assert _universal_ids(updated["selectableModels"]) == ["openai:gpt-4o-mini"]


async def test_update_agent_replaces_name_and_models_and_keeps_what_is_left_out(client, admin_token, models):
    agent = await create_agent(
        client,
        admin_token,
        description="Writes code.",
        modelIds=[models["openai:gpt-4o"], models["anthropic:claude"]],
        defaultModelId=models["anthropic:claude"],
    )
    change = {"name": "Senior coder", "modelIds": [models["anthropic:claude"], models["openai:gpt-4o-mini"]]}
    updated = (await client.data(UPDATE, {"id": agent["id"], "input": change}, token=admin_token))["updateAgent"]
    assert updated["name"] == "Senior coder" and updated["description"] == "Writes code."
    assert _universal_ids(updated["models"]) == ["anthropic:claude", "openai:gpt-4o-mini"]
    assert updated["defaultModel"]["universalModelId"] == "anthropic:claude"
    assert updated["createdAt"] == agent["createdAt"] and updated["updatedAt"] >= agent["updatedAt"]
    # The default left out is cleared once it is no longer one of the models.
    change = {"name": "Senior coder", "modelIds": [models["openai:gpt-4o-mini"]], "description": None}
    updated = (await client.data(UPDATE, {"id": agent["id"], "input": change}, token=admin_token))["updateAgent"]
    assert updated["defaultModel"] is None and updated["description"] is None
    assert await AgentModel.count() == 1
    change = {**change, "defaultModelId": models["openai:gpt-4o-mini"]}
    updated = (await client.data(UPDATE, {"id": agent["id"], "input": change}, token=admin_token))["updateAgent"]
    assert updated["defaultModel"]["universalModelId"] == "openai:gpt-4o-mini"


@pytest.mark.parametrize(("agent_id", "code"), [("99999", "NOT_FOUND"), ("x", "VALIDATION_FAILED")])
@pytest.mark.parametrize("operation", ["updateAgent", "deleteAgent"])
async def test_writing_an_agent_that_does_not_exist(client, admin_token, models, agent_id, code, operation):
    document, variables = WRITES[operation]
    assert codes(await client(document, variables(agent_id, models["openai:gpt-4o"]), token=admin_token)) == [code]


async def test_deleting_an_agent_leaves_its_chats_with_their_model(client, admin_token, member_token, models):
    agent = await create_agent(client, admin_token, modelIds=[models["openai:gpt-4o"]])
    chat = await create_chat(client, member_token, models["openai:gpt-4o"], agentId=agent["id"])
    assert (await client.data(DELETE, {"id": agent["id"]}, token=admin_token))["deleteAgent"] is True
    row = await Chat.select(Chat.agent, Chat.ai_model).where(Chat.id == int(chat["id"])).first()
    assert row == {"agent": None, "ai_model": int(models["openai:gpt-4o"])}
    assert await AgentModel.count() == 0
    assert codes(await client(DELETE, {"id": agent["id"]}, token=admin_token)) == ["NOT_FOUND"]
