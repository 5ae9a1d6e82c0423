"""A small GraphQL client over httpx, as the SPA and admin tools call the service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

__all__ = ["GraphQLClient", "codes"]


@dataclass
class GraphQLClient:
    http: httpx.AsyncClient

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None, **extra: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body: dict[str, Any] = {"query": query, **extra}
        if variables is not None:
            body["variables"] = variables
        return await self.http.post("/graphql", json=body, headers=headers)

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        """The response body of a request that must reach GraphQL (HTTP 200)."""
        response = await self.post(query, variables, token, **extra)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None) -> Any:
        """The data of a request that must succeed without errors."""
        body = await self(query, variables, token)
        assert "errors" not in body, body["errors"]
        return body["data"]


def codes(body: dict[str, Any]) -> list[str]:
    """The extensions.code of each error in a response body."""
    return [error.get("extensions", {}).get("code") for error in body.get("errors", [])]
