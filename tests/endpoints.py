"""Local endpoints through GraphQL, as the chat front end calls them, for the endpoint tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from api.endpoints import probe, url_policy
from api.endpoints.probe import ProbeLimits
from api.users import service as users
from domain.choices import Role
from tables.endpoints import LocalEndpoint
from tests.graphql import GraphQLClient

__all__ = [
    "CREATE",
    "DISCOVER",
    "ENDPOINT_FIELDS",
    "HEALTH",
    "SHARE",
    "UPDATE",
    "create_endpoint",
    "discover",
    "fake_dns",
    "new_user",
    "quick_probes",
    "ready_for_another_probe",
]

ENDPOINT_FIELDS = """
    id name baseUrl endpointType isActive hasApiKey apiKeyHint healthStatus lastHealthCheck
    lastResponseTimeMs lastError availableModels lastModelDiscovery lastUsedAt createdAt updatedAt
    isOwn sharedWithEveryone owner { username } sharedWith { username }
"""

CREATE = f"""
mutation($input: LocalEndpointInput!) {{ createLocalEndpoint(input: $input) {{ {ENDPOINT_FIELDS} }} }}
"""
UPDATE = f"""
mutation($id: ID!, $input: LocalEndpointUpdate!) {{
  updateLocalEndpoint(id: $id, input: $input) {{ {ENDPOINT_FIELDS} }}
}}
"""
HEALTH = """
mutation($id: ID!) { checkEndpointHealth(id: $id) { status responseTimeMs errorMessage lastChecked availableModels } }
"""
DISCOVER = f"mutation($id: ID!) {{ discoverEndpointModels(id: $id) {{ {ENDPOINT_FIELDS} }} }}"
SHARE = f"""
mutation($id: ID!, $usernames: [String!]!, $everyone: Boolean) {{
  shareLocalEndpoint(id: $id, usernames: $usernames, everyone: $everyone) {{ {ENDPOINT_FIELDS} }}
}}
"""


async def new_user(username: str, role: Role = Role.MEMBER) -> str:
    """Another user; their token."""
    _, token = await users.create_user(username, role)
    return token


async def create_endpoint(client: GraphQLClient, token: str, **fields: Any) -> dict[str, Any]:
    """An endpoint of the token's user (an Ollama on 127.0.0.1 unless given); the request must succeed."""
    endpoint = {"name": "My Ollama", "baseUrl": "http://127.0.0.1:11434", **fields}
    data = await client.data(CREATE, {"input": endpoint}, token=token)
    created: dict[str, Any] = data["createLocalEndpoint"]
    return created


async def ready_for_another_probe(endpoint_id: str) -> None:
    """Let the next health check or discovery of the endpoint through its rate limit at once."""
    await LocalEndpoint.update({LocalEndpoint.next_health_check_at: None, LocalEndpoint.next_discovery_at: None}).where(
        LocalEndpoint.id == int(endpoint_id)
    )


async def discover(client: GraphQLClient, token: str, endpoint_id: str) -> dict[str, Any]:
    """Run a discovery (past the rate limit); the request must succeed."""
    await ready_for_another_probe(endpoint_id)
    data = await client.data(DISCOVER, {"id": endpoint_id}, token=token)
    found: dict[str, Any] = data["discoverEndpointModels"]
    return found


@contextmanager
def fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str] | list[list[str]]]) -> Iterator[list[str]]:
    """Answer these names with these addresses (a list of lists: one answer per lookup, in turn); others fail.

    No test looks a name up in real DNS; the names asked are recorded.
    """
    asked: list[str] = []
    turns = {name: list(value) for name, value in answers.items()}

    async def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        answer = turns.get(host)
        if not answer:
            raise OSError(f"{host} is not in this test's DNS")
        if isinstance(answer[0], list):
            current = answer.pop(0) if len(answer) > 1 else answer[0]
            return list(current)
        return [str(address) for address in answer]

    monkeypatch.setattr(url_policy, "resolve_host", resolve)
    yield asked


def quick_probes(monkeypatch: pytest.MonkeyPatch, total_seconds: float = 0.5) -> ProbeLimits:
    """Probes bounded at a fraction of a second, so a hanging server costs the suite little."""
    limits = ProbeLimits(connect_seconds=total_seconds, total_seconds=total_seconds)
    monkeypatch.setattr(probe, "LIMITS", limits)
    return limits
