"""shareLocalEndpoint: named users (or everyone) get the endpoint's models in their picker, and nothing more."""

from __future__ import annotations

import pytest

from tables.catalog import AiModel
from tables.endpoints import AuditLog, EndpointShare, LocalEndpoint
from tests.chats import CREATE_CHAT
from tests.endpoints import DISCOVER, ENDPOINT_FIELDS, HEALTH, SHARE, UPDATE, create_endpoint, discover, new_user
from tests.graphql import codes
from tests.model_server import ollama_server

SECRET = "sk-shared-box-0123456789f3a9"
ONE = f"query($id: ID!) {{ localEndpoint(id: $id) {{ {ENDPOINT_FIELDS} history {{ action }} }} }}"
SHARED = f"{{ sharedLocalEndpoints {{ {ENDPOINT_FIELDS} }} }}"
PICKER = "{ selectableModels { id universalModelId endpoint { id isOwn apiKeyHint } owner { username } } }"
DELETE = "mutation($id: ID!) { deleteLocalEndpoint(id: $id) }"


async def picker(client, token) -> list[str]:
    return [model["universalModelId"] for model in (await client.data(PICKER, token=token))["selectableModels"]]


@pytest.fixture
async def shared(client, member_token):
    """bob's Ollama with one model, shared with carol; dave is a user it is not shared with."""
    carol, dave = await new_user("carol"), await new_user("dave")
    async with ollama_server(["llama3.2"]) as server:
        endpoint = await create_endpoint(client, member_token, baseUrl=server.url, apiKey=SECRET)
        await discover(client, member_token, endpoint["id"])
    await client.data(SHARE, {"id": endpoint["id"], "usernames": ["carol"]}, token=member_token)
    model_id = str((await AiModel.select(AiModel.id).first())["id"])
    return {"endpoint": endpoint, "carol": carol, "dave": dave, "model": model_id}


async def test_a_shared_user_sees_the_endpoint_but_never_its_key_hint_shares_or_history(client, shared):
    response = await client.post(SHARED, token=shared["carol"])
    [seen] = response.json()["data"]["sharedLocalEndpoints"]
    assert (seen["id"], seen["isOwn"], seen["owner"]) == (shared["endpoint"]["id"], False, {"username": "bob"})
    assert (seen["hasApiKey"], seen["apiKeyHint"], seen["sharedWith"]) == (True, None, [])
    assert seen["availableModels"] == ["llama3.2"]
    one = await client.data(ONE, {"id": shared["endpoint"]["id"]}, token=shared["carol"])
    assert one["localEndpoint"]["history"] == []
    assert SECRET[-4:] not in response.text
    assert (await client.data("{ localEndpoints { id } }", token=shared["carol"]))["localEndpoints"] == []


async def test_the_owner_sees_whom_it_is_shared_with(client, member_token, shared):
    await new_user("erin")
    await client.data(SHARE, {"id": shared["endpoint"]["id"], "usernames": ["erin", "carol"]}, token=member_token)
    data = await client.data(ONE, {"id": shared["endpoint"]["id"]}, token=member_token)
    assert data["localEndpoint"]["sharedWith"] == [{"username": "carol"}, {"username": "erin"}]


async def test_its_models_join_the_shared_users_picker_and_their_chats(client, member_token, shared):
    universal = f"local-ollama/{shared['endpoint']['id']}:llama3.2"
    data = await client.data(PICKER, token=shared["carol"])
    [model] = data["selectableModels"]
    assert model["universalModelId"] == universal
    assert model["endpoint"] == {"id": shared["endpoint"]["id"], "isOwn": False, "apiKeyHint": None}
    assert model["owner"] == {"username": "bob"}
    chat = await client.data(CREATE_CHAT, {"aiModelId": shared["model"]}, token=shared["carol"])
    assert chat["createChat"]["model"]["universalModelId"] == universal
    assert (await LocalEndpoint.select(LocalEndpoint.last_used_at).first())["last_used_at"] is not None
    assert await picker(client, shared["dave"]) == []
    refused = await client(CREATE_CHAT, {"aiModelId": shared["model"]}, token=shared["dave"])
    assert codes(refused) == ["VALIDATION_FAILED"]


OWNER_ONLY = {
    "updateLocalEndpoint": (UPDATE, {"input": {"name": "carol's now"}}),
    "deleteLocalEndpoint": (DELETE, {}),
    "checkEndpointHealth": (HEALTH, {}),
    "discoverEndpointModels": (DISCOVER, {}),
    "shareLocalEndpoint": (SHARE, {"usernames": ["carol", "dave"], "everyone": True}),
}


@pytest.mark.parametrize("operation", list(OWNER_ONLY))
async def test_every_owner_only_operation_is_forbidden_for_a_shared_user(client, shared, operation):
    query, variables = OWNER_ONLY[operation]
    body = await client(query, {"id": shared["endpoint"]["id"], **variables}, token=shared["carol"])
    assert codes(body) == ["FORBIDDEN"]
    row = await LocalEndpoint.select().first()
    assert (row["name"], row["health_status"], row["shared_with_everyone"]) == ("My Ollama", "UNKNOWN", False)
    assert await EndpointShare.count() == 1
    for_dave = await client(query, {"id": shared["endpoint"]["id"], **variables}, token=shared["dave"])
    assert codes(for_dave) == ["NOT_FOUND"]


async def test_unsharing_takes_it_and_its_models_away_at_once(client, member_token, shared):
    chat = (await client.data(CREATE_CHAT, {"aiModelId": shared["model"]}, token=shared["carol"]))["createChat"]
    await client.data(SHARE, {"id": shared["endpoint"]["id"], "usernames": []}, token=member_token)
    assert await picker(client, shared["carol"]) == []
    assert (await client.data(SHARED, token=shared["carol"]))["sharedLocalEndpoints"] == []
    assert codes(await client(ONE, {"id": shared["endpoint"]["id"]}, token=shared["carol"])) == ["NOT_FOUND"]
    view = await client.data("query($id: ID!) { chat(id: $id) { model { id } } }", {"id": chat["id"]}, shared["carol"])
    assert view["chat"]["model"] is None  # the chat stays; the model is no longer theirs to see
    refused = await client(CREATE_CHAT, {"aiModelId": shared["model"]}, token=shared["carol"])
    assert codes(refused) == ["VALIDATION_FAILED"]
    assert len(await picker(client, member_token)) == 1  # the owner keeps them


async def test_sharing_with_everyone_reaches_every_user_until_it_is_taken_back(client, member_token, shared):
    await client.data(SHARE, {"id": shared["endpoint"]["id"], "usernames": [], "everyone": True}, token=member_token)
    assert len(await picker(client, shared["dave"])) == 1
    data = await client.data(SHARED, token=shared["dave"])
    assert data["sharedLocalEndpoints"][0]["sharedWithEveryone"] is True
    assert codes(await client(HEALTH, {"id": shared["endpoint"]["id"]}, token=shared["dave"])) == ["FORBIDDEN"]
    await client.data(SHARE, {"id": shared["endpoint"]["id"], "usernames": []}, token=member_token)
    assert await picker(client, shared["dave"]) == []


async def test_unknown_usernames_are_named_and_nothing_changes(client, member_token, shared):
    body = await client(
        SHARE, {"id": shared["endpoint"]["id"], "usernames": ["dave", "nobody", "ghost"]}, token=member_token
    )
    assert codes(body) == ["VALIDATION_FAILED"]
    assert body["errors"][0]["extensions"]["fields"] == [
        {"field": "usernames", "message": "no such users: nobody, ghost"}
    ]
    assert await EndpointShare.count() == 1


async def test_the_owner_in_the_list_and_repeats_are_ignored(client, member_token, shared):
    data = await client.data(
        SHARE, {"id": shared["endpoint"]["id"], "usernames": ["bob", "carol", "carol "]}, token=member_token
    )
    assert data["shareLocalEndpoint"]["sharedWith"] == [{"username": "carol"}]
    assert await EndpointShare.count() == 1


async def test_each_change_of_the_share_list_is_audited_once(client, member_token, shared):
    endpoint_id = shared["endpoint"]["id"]
    await client.data(SHARE, {"id": endpoint_id, "usernames": ["carol"]}, token=member_token)  # no change
    await client.data(SHARE, {"id": endpoint_id, "usernames": ["dave"], "everyone": True}, token=member_token)
    rows = await AuditLog.select().where(AuditLog.action == "SHARED").order_by(AuditLog.id).output(load_json=True)
    assert [row["changes"] for row in rows] == [
        [{"field": "sharedWith", "oldValue": [], "newValue": ["carol"]}],
        [
            {"field": "sharedWith", "oldValue": ["carol"], "newValue": ["dave"]},
            {"field": "sharedWithEveryone", "oldValue": False, "newValue": True},
        ],
    ]
