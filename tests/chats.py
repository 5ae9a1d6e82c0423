"""Chats and agents through GraphQL, as the chat front end and an admin tool call them."""

from __future__ import annotations

from typing import Any

from tests.catalog import add_provider, create_model
from tests.graphql import GraphQLClient

__all__ = [
    "AGENT_FIELDS",
    "CHAT_FIELDS",
    "CREATE_AGENT",
    "CREATE_CHAT",
    "archive",
    "catalog_of",
    "create_agent",
    "create_chat",
    "disable",
]

CHAT_FIELDS = """
    id title legacyModel createdAt updatedAt
    model { id universalModelId status selectable }
    agent { id name }
"""

AGENT_FIELDS = """
    id name description createdAt updatedAt
    models { id universalModelId }
    selectableModels { id universalModelId }
    defaultModel { id universalModelId }
"""

CREATE_CHAT = f"""
mutation($aiModelId: ID!, $title: String, $agentId: ID) {{
  createChat(aiModelId: $aiModelId, title: $title, agentId: $agentId) {{ {CHAT_FIELDS} }}
}}
"""

CREATE_AGENT = f"""
mutation($input: AgentInput!) {{ createAgent(input: $input) {{ {AGENT_FIELDS} }} }}
"""


async def catalog_of(client: GraphQLClient, admin_token: str, *universal_ids: str) -> dict[str, str]:
    """Create the models (providers as needed) and return their ids by universalModelId."""
    ids: dict[str, str] = {}
    providers: set[str] = set()
    for universal_id in universal_ids:
        provider, model_id = universal_id.split(":", 1)
        if provider not in providers:
            kind = provider.upper() if provider in ("openai", "anthropic", "google", "groq") else "OPENAI_COMPATIBLE"
            await add_provider(client, admin_token, provider, kind)
            providers.add(provider)
        model = await create_model(client, admin_token, provider=provider, modelId=model_id, displayName=model_id)
        ids[universal_id] = model["id"]
    return ids


async def create_chat(client: GraphQLClient, token: str, ai_model_id: str, **fields: Any) -> dict[str, Any]:
    """A chat of the token's user; the request must succeed."""
    data = await client.data(CREATE_CHAT, {"aiModelId": ai_model_id, **fields}, token=token)
    chat: dict[str, Any] = data["createChat"]
    return chat


async def create_agent(client: GraphQLClient, admin_token: str, **fields: Any) -> dict[str, Any]:
    """An agent; the request must succeed."""
    data = await client.data(CREATE_AGENT, {"input": {"name": "Coder", **fields}}, token=admin_token)
    agent: dict[str, Any] = data["createAgent"]
    return agent


async def archive(client: GraphQLClient, admin_token: str, model_id: str) -> None:
    await client.data("mutation($id: ID!) { archiveModel(id: $id) { id } }", {"id": model_id}, token=admin_token)


async def disable(client: GraphQLClient, admin_token: str, model_id: str) -> None:
    await client.data(
        "mutation($id: ID!) { setModelEnabled(id: $id, enabled: false) { id } }", {"id": model_id}, token=admin_token
    )
