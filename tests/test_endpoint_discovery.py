"""discoverEndpointModels: an endpoint's models become its owner's private models, seen by no one else."""

from __future__ import annotations

from api.endpoints.rules import MAX_MODELS_PER_ENDPOINT
from tables.catalog import AiModel, ModelHistory, Provider
from tables.endpoints import AuditLog, LocalEndpoint
from tests.catalog import CREATE as CREATE_MODEL
from tests.chats import CREATE_CHAT
from tests.endpoints import DISCOVER, UPDATE, create_endpoint, discover, fake_dns
from tests.graphql import codes
from tests.model_server import ModelServer, Reply, ollama_server, openai_server

PICKER = "{ selectableModels { id universalModelId modelId owner { username } endpoint { id name isOwn } } }"
MODEL_FIELDS = """
    id universalModelId modelId displayName contextWindow capabilities status enabled selectable
    pricing { inputPerMillion outputPerMillion }
    provider { key kind } owner { username } endpoint { id name }
"""
BY_ID = f"query($id: ID) {{ model(id: $id) {{ {MODEL_FIELDS} }} }}"


async def picker(client, token) -> list[str]:
    data = await client.data(PICKER, token=token)
    return [model["universalModelId"] for model in data["selectableModels"]]


async def test_discovery_lists_the_models_into_the_owners_private_models(client, member_token):
    async with ollama_server() as server:
        endpoint = await create_endpoint(client, member_token, baseUrl=server.url)
        found = await discover(client, member_token, endpoint["id"])
    namespace = f"local-ollama/{endpoint['id']}"
    assert found["availableModels"] == ["deepseek-r1", "llama3.2", "qwen3:8b"]  # the embedding model is not chat
    assert found["lastModelDiscovery"] is not None
    assert await picker(client, member_token) == [
        f"{namespace}:deepseek-r1",
        f"{namespace}:llama3.2",
        f"{namespace}:qwen3:8b",
    ]
    rows = await AiModel.select().order_by(AiModel.universal_model_id).output(load_json=True)
    owner = (await LocalEndpoint.select(LocalEndpoint.owner).first())["owner"]
    assert all(row["owner"] == owner and row["endpoint"] == int(endpoint["id"]) for row in rows)
    llama = await client.data(BY_ID, {"id": str(rows[1]["id"])}, token=member_token)
    assert llama["model"] == {
        "id": str(rows[1]["id"]),
        "universalModelId": f"{namespace}:llama3.2",
        "modelId": "llama3.2",
        "displayName": llama["model"]["displayName"],
        "contextWindow": 8192,  # the show answer's llama.context_length
        "capabilities": llama["model"]["capabilities"],
        "status": "ACTIVE",
        "enabled": True,
        "selectable": True,
        "pricing": {"inputPerMillion": "0", "outputPerMillion": "0"},  # one's own machine costs nothing per token
        "provider": {"key": "local-ollama", "kind": "OLLAMA"},
        "owner": {"username": "bob"},
        "endpoint": {"id": endpoint["id"], "name": "My Ollama"},
    }
    assert await ModelHistory.count() == 3  # one CREATED row each, written by the one writer


async def test_private_models_are_hidden_from_everyone_else(client, member_token, admin_token):
    async with ollama_server(["llama3.2"]) as server:
        endpoint = await create_endpoint(client, member_token, baseUrl=server.url)
        await discover(client, member_token, endpoint["id"])
    model_id = str((await AiModel.select(AiModel.id).first())["id"])
    universal = f"local-ollama/{endpoint['id']}:llama3.2"
    assert await picker(client, admin_token) == []
    everything = await client.data("{ models { totalCount nodes { id } } }", token=admin_token)
    assert everything["models"] == {"totalCount": 0, "nodes": []}
    assert (await client.data(BY_ID, {"id": model_id}, token=admin_token))["model"] is None
    by_universal = "query($u: String) { model(universalModelId: $u) { id } }"
    assert (await client.data(by_universal, {"u": universal}, token=admin_token))["model"] is None
    history = await client(
        "query($id: ID!) { modelHistory(modelId: $id) { totalCount } }", {"id": model_id}, admin_token
    )
    assert codes(history) == ["NOT_FOUND"]
    changes = await client.data("{ catalogChanges { totalCount } }", token=admin_token)
    assert changes["catalogChanges"]["totalCount"] == 0
    mine = await client.data("{ catalogChanges { totalCount } }", token=member_token)
    assert mine["catalogChanges"]["totalCount"] == 1
    providers = await client.data("{ providers { key modelCount } }", token=admin_token)
    assert providers["providers"] == [{"key": "local-ollama", "modelCount": 0}]  # public models only
    export = await client.data("{ exportCatalog }", token=admin_token)
    assert export["exportCatalog"]["models"] == []
    chat = await client(CREATE_CHAT, {"aiModelId": model_id}, token=admin_token)
    assert codes(chat) == ["VALIDATION_FAILED"]


async def test_the_owner_chats_on_a_private_model_and_the_endpoint_notes_its_use(client, member_token):
    async with ollama_server(["llama3.2"]) as server:
        endpoint = await create_endpoint(client, member_token, baseUrl=server.url)
        await discover(client, member_token, endpoint["id"])
    model_id = str((await AiModel.select(AiModel.id).first())["id"])
    data = await client.data(CREATE_CHAT, {"aiModelId": model_id, "title": "local"}, token=member_token)
    assert data["createChat"]["model"]["id"] == model_id
    used = await client.data("{ localEndpoints { lastUsedAt } }", token=member_token)
    assert used["localEndpoints"][0]["lastUsedAt"] is not None


async def test_vanished_models_are_archived_and_returning_ones_restored(client, member_token):
    async with ModelServer() as server:
        endpoint = await create_endpoint(client, member_token, baseUrl=server.url + "/v1")
        namespace = f"local-openai-compatible/{endpoint['id']}"

        def lists(*model_ids: str) -> None:
            server.routes[("GET", "/v1/models")] = Reply.json({"data": [{"id": m} for m in model_ids]})

        lists("qwen2.5-7b", "mistral-7b")
        await discover(client, member_token, endpoint["id"])
        lists("qwen2.5-7b")
        found = await discover(client, member_token, endpoint["id"])
        assert found["availableModels"] == ["qwen2.5-7b"]
        assert await picker(client, member_token) == [f"{namespace}:qwen2.5-7b"]
        gone = await AiModel.select().where(AiModel.model_id == "mistral-7b").first()
        assert (gone["status"], gone["enabled"], gone["archived_by_sync"]) == ("ARCHIVED", False, True)
        lists("qwen2.5-7b", "mistral-7b")
        await discover(client, member_token, endpoint["id"])
        assert await picker(client, member_token) == [f"{namespace}:mistral-7b", f"{namespace}:qwen2.5-7b"]
        await discover(client, member_token, endpoint["id"])  # nothing changed
    rows = await AuditLog.select().where(AuditLog.action == "DISCOVERED").order_by(AuditLog.id).output(load_json=True)
    assert [{c["field"]: c["newValue"] for c in row["changes"]} for row in rows] == [
        {"availableModels": ["mistral-7b", "qwen2.5-7b"], "models.created": ["mistral-7b", "qwen2.5-7b"]},
        {"availableModels": ["qwen2.5-7b"], "models.archived": ["mistral-7b"]},
        {"availableModels": ["mistral-7b", "qwen2.5-7b"], "models.restored": ["mistral-7b"]},
    ]
    assert await AiModel.count() == 2  # never a second row for a model that came back


async def test_a_failed_listing_changes_nothing(client, member_token):
    async with ollama_server(["llama3.2"]) as server:
        endpoint = await create_endpoint(client, member_token, baseUrl=server.url)
        await discover(client, member_token, endpoint["id"])
        server.routes[("GET", "/api/tags")] = Reply(500, b"UPSTREAM-STACKTRACE")
        await LocalEndpoint.update({LocalEndpoint.next_discovery_at: None}).where(
            LocalEndpoint.id == int(endpoint["id"])
        )
        response = await client.post(DISCOVER, {"id": endpoint["id"]}, token=member_token)
    assert codes(response.json()) == ["PROVIDER_ERROR"]
    assert response.json()["errors"][0]["message"] == "server error (HTTP 500)"
    assert "UPSTREAM" not in response.text
    assert len(await picker(client, member_token)) == 1  # a failed fetch is never "no models"
    assert (await LocalEndpoint.select().output(load_json=True).first())["available_models"] == ["llama3.2"]


async def test_discovery_is_rate_limited(client, member_token):
    async with ollama_server(["llama3.2"]) as server:
        endpoint = await create_endpoint(client, member_token, baseUrl=server.url)
        await client.data(DISCOVER, {"id": endpoint["id"]}, token=member_token)
        again = await client(DISCOVER, {"id": endpoint["id"]}, token=member_token)
    assert codes(again) == ["RATE_LIMITED"]
    assert again["errors"][0]["extensions"]["retryAfter"] >= 1


async def test_a_blocked_address_is_never_listed(client, member_token, monkeypatch):
    async with ollama_server() as server:
        with fake_dns(monkeypatch, {"flip.test": [["127.0.0.1"], ["100.100.100.200"]]}):
            endpoint = await create_endpoint(client, member_token, baseUrl=f"http://flip.test:{server.port}")
            body = await client(DISCOVER, {"id": endpoint["id"]}, token=member_token)
    assert codes(body) == ["BLOCKED_URL"]
    assert server.requests == [] and await AiModel.count() == 0


async def test_turning_an_endpoint_off_takes_its_models_out_of_the_picker(client, member_token):
    async with ollama_server(["llama3.2"]) as server:
        endpoint = await create_endpoint(client, member_token, baseUrl=server.url)
        await discover(client, member_token, endpoint["id"])
    await client.data(UPDATE, {"id": endpoint["id"], "input": {"isActive": False}}, token=member_token)
    assert await picker(client, member_token) == []
    await client.data(UPDATE, {"id": endpoint["id"], "input": {"isActive": True}}, token=member_token)
    assert len(await picker(client, member_token)) == 1


async def test_deleting_an_endpoint_archives_its_models_and_chats_keep_them(client, member_token):
    async with ollama_server(["llama3.2"]) as server:
        endpoint = await create_endpoint(client, member_token, baseUrl=server.url)
        await discover(client, member_token, endpoint["id"])
    model_id = str((await AiModel.select(AiModel.id).first())["id"])
    chat = (await client.data(CREATE_CHAT, {"aiModelId": model_id}, token=member_token))["createChat"]
    await client.data("mutation($id: ID!) { deleteLocalEndpoint(id: $id) }", {"id": endpoint["id"]}, member_token)
    assert await picker(client, member_token) == []
    row = await AiModel.select().first()
    assert (row["status"], row["endpoint"], row["archived_by_sync"]) == ("ARCHIVED", None, False)
    data = await client.data(
        "query($id: ID!) { chat(id: $id) { model { id status } } }", {"id": chat["id"]}, member_token
    )
    assert data["chat"]["model"] == {"id": model_id, "status": "ARCHIVED"}
    actions = await ModelHistory.select(ModelHistory.action).order_by(ModelHistory.id)
    assert [entry["action"] for entry in actions] == ["CREATED", "ARCHIVED"]


async def test_a_new_endpoint_never_takes_a_deleted_ones_ids(client, member_token):
    async with ollama_server(["llama3.2"]) as server:
        first = await create_endpoint(client, member_token, baseUrl=server.url)
        await discover(client, member_token, first["id"])
        await client.data("mutation($id: ID!) { deleteLocalEndpoint(id: $id) }", {"id": first["id"]}, member_token)
        second = await create_endpoint(client, member_token, baseUrl=server.url)
        await discover(client, member_token, second["id"])
    assert int(second["id"]) > int(first["id"])
    assert len(await picker(client, member_token)) == 1


async def test_private_ids_cannot_be_taken_by_the_public_catalog(client, admin_token):
    upsert = "mutation($input: ProviderInput!) { upsertProvider(input: $input) { id } }"
    body = await client(upsert, {"input": {"key": "local-ollama", "kind": "OLLAMA"}}, token=admin_token)
    assert codes(body) == ["VALIDATION_FAILED"]
    await client.data(upsert, {"input": {"key": "ollama", "kind": "OLLAMA"}}, token=admin_token)
    squat = {
        "provider": "ollama",
        "modelId": "llama3.2",
        "displayName": "x",
        "universalModelId": "local-ollama/1:llama3.2",
    }
    body = await client(CREATE_MODEL, {"input": squat}, token=admin_token)
    assert codes(body) == ["VALIDATION_FAILED"]
    assert await Provider.count() == 1


async def test_an_openai_compatible_endpoint_lists_its_models_too(client, member_token):
    async with openai_server(["Qwen/Qwen2.5-7B-Instruct", "nomic-embed-text-v1.5"]) as server:
        endpoint = await create_endpoint(
            client, member_token, name="llama.cpp", baseUrl=server.url + "/v1", endpointType="CUSTOM"
        )
        found = await discover(client, member_token, endpoint["id"])
    assert found["availableModels"] == ["Qwen/Qwen2.5-7B-Instruct"]
    assert await picker(client, member_token) == [f"local-openai-compatible/{endpoint['id']}:Qwen/Qwen2.5-7B-Instruct"]


async def test_a_listing_too_long_for_a_picker_is_refused(client, member_token):
    async with openai_server([f"model-{n}" for n in range(MAX_MODELS_PER_ENDPOINT + 1)]) as server:
        endpoint = await create_endpoint(client, member_token, baseUrl=server.url + "/v1")
        body = await client(DISCOVER, {"id": endpoint["id"]}, token=member_token)
    assert codes(body) == ["PROVIDER_ERROR"]
    assert await AiModel.count() == 0
