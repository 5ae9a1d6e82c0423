"""Sync writes prices through the one writer: OpenRouter's pricing.overrides become tiers, with history."""

from __future__ import annotations

import httpx
import respx

from tables.prices import ModelPrice
from tests.catalog import price_now

SYNC = 'mutation { syncProvider(provider: "openrouter") { created updated models { universalModelId version } } }'
MODEL = """query { model(universalModelId: "openrouter:google/gemini-long") {
    version pricing { inputPerMillion cachedInputPerMillion tiers { minPromptTokens inputPerMillion outputPerMillion } }
    history(first: 1) { action changes { field } } } }"""


def listing(prompt: str) -> dict[str, object]:
    return {
        "data": [
            {
                "id": "google/gemini-long",
                "name": "Gemini Long",
                "context_length": 1048576,
                "architecture": {"input_modalities": ["text"], "output_modalities": ["text"]},
                "pricing": {
                    "prompt": prompt,
                    "completion": "0.00001",
                    "input_cache_read": "0.00000031",
                    "overrides": [{"min_prompt_tokens": 200001, "prompt": "0.0000025", "completion": "0.000015"}],
                },
            }
        ]
    }


async def test_openrouter_overrides_become_tiers_and_a_new_price_adds_a_row(client, admin_token):
    await client.data(
        'mutation { upsertProvider(input: {key: "openrouter", kind: OPENROUTER}) { id } }', token=admin_token
    )
    with respx.mock(assert_all_called=False) as router:
        route = router.get("https://openrouter.ai/api/v1/models")
        route.mock(return_value=httpx.Response(200, json=listing("0.00000125")))
        first = await client.data(SYNC, token=admin_token)
        assert first["syncProvider"]["created"] == 1
        model = (await client.data(MODEL, token=admin_token))["model"]
        assert model["pricing"]["tiers"] == [
            {"minPromptTokens": 200001, "inputPerMillion": "2.5", "outputPerMillion": "15"}
        ]
        assert model["pricing"]["cachedInputPerMillion"] == "0.31"
        route.mock(return_value=httpx.Response(200, json=listing("0.0000015")))
        second = await client.data(SYNC, token=admin_token)
    assert second["syncProvider"]["updated"] == 1
    model = (await client.data(MODEL, token=admin_token))["model"]
    assert model["version"] == 2 and model["history"][0]["action"] == "SYNCED"
    assert [c["field"] for c in model["history"][0]["changes"]] == ["pricing.inputPerMillion"]
    assert (await price_now("openrouter:google/gemini-long"))["input_price"] == 1.5
    assert await ModelPrice.count() == 2  # the first price stays, for what was billed at it
