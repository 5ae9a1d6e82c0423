"""Building a catalog through GraphQL, as an admin tool does, for the catalog tests."""

from __future__ import annotations

from typing import Any

from api.catalog.price_series import prices_in_force
from tables.catalog import AiModel
from tests.graphql import GraphQLClient

__all__ = ["CREATE", "MODEL_FIELDS", "add_provider", "create_model", "model_row", "price_now"]

MODEL_FIELDS = """
    id universalModelId modelId displayName description contextWindow maxOutputTokens
    supportsTools supportsVision capabilities speedTier costTier
    pricing { inputPerMillion outputPerMillion cachedInputPerMillion }
    status enabled isAvailable selectable isDefault lockedFields version createdAt updatedAt
    provider { key kind }
"""

CREATE = f"""
mutation($input: CreateModelInput!, $reason: String) {{
  createModel(input: $input, reason: $reason) {{ {MODEL_FIELDS} }}
}}
"""


async def add_provider(client: GraphQLClient, token: str, key: str = "openai", kind: str = "OPENAI") -> None:
    await client.data(
        "mutation($input: ProviderInput!) { upsertProvider(input: $input) { id } }",
        {"input": {"key": key, "kind": kind}},
        token=token,
    )


async def create_model(client: GraphQLClient, token: str, **fields: Any) -> dict[str, Any]:
    """Create a model (provider "openai" unless given) and return it; the request must succeed."""
    model = {"provider": "openai", "modelId": "gpt-4o", "displayName": "GPT-4o", **fields}
    data = await client.data(CREATE, {"input": model}, token=token)
    created: dict[str, Any] = data["createModel"]
    return created


def model_row(**fields: Any) -> dict[str, Any]:
    """A CreateModelInput with sensible values, overridden by `fields`."""
    return {
        "provider": "openai",
        "modelId": "gpt-4o",
        "displayName": "GPT-4o",
        "contextWindow": 128000,
        "maxOutputTokens": 16384,
        "supportsTools": True,
        "supportsVision": True,
        "capabilities": ["tools", "vision", "json"],
        "speedTier": "FAST",
        "costTier": "MEDIUM",
        "pricing": {"inputPerMillion": "2.5", "outputPerMillion": "10", "cachedInputPerMillion": "1.25"},
        **fields,
    }


async def price_now(universal_model_id: str) -> dict[str, Any]:
    """The price in force now of a model, as stored: its model_prices row's rates (empty when it has none)."""
    row = await AiModel.select(AiModel.id).where(AiModel.universal_model_id == universal_model_id).first()
    assert row is not None, universal_model_id
    price = (await prices_in_force([row["id"]])).get(row["id"])
    if price is None:
        return {}
    rates = price.rates
    return {
        "input_price": rates.input,
        "output_price": rates.output,
        "cached_input_price": rates.cached_input,
        "cache_write_price": rates.cache_write,
        "tiers": list(price.tiers),
        "windows": list(price.windows),
    }
