"""Deterministic, LiteLLM-shaped price file for benchmarks of the catalog import.

``litellm_price_file()`` builds the kind of JSON object found in LiteLLM's
``model_prices_and_context_window.json``: one object keyed by model name, where key order is the row
order, with ``sample_spec`` first. The rows have the size and mode mix of a mid-2026 copy of the real file
(2,985 keys; see section 9 of ``provider-shapes.md``). The values are random but realistic. Prices are
per-token JSON floats such as ``2.5e-06``, optional fields are left out (never ``null``), and the legacy
``max_tokens`` is present.

The real file also has traps, so the generated one has them too, among its chat rows:

* about 10 rows with a zero context window (``max_input_tokens: 0``),
* about 5 rows priced at ``0.03`` per token or more (30,000 USD per million: a per-1K price pasted as a
  per-token one),
* about 20 models that appear under two keys with the same ``litellm_provider``, e.g. ``deepseek-chat`` and
  ``deepseek/deepseek-chat``,
* some limits written as floats (``128000.0``), some rows with no limits or no prices, and about 3% of the
  rows with a ``deprecation_date`` in the past or the future.

Run ``python bench/litellm_file.py OUT.json [KEYS] [SEED]`` to write a file and print its mode counts.
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

__all__ = ["REAL_KEY_COUNT", "REAL_MODE_COUNTS", "litellm_price_file"]

REAL_KEY_COUNT = 2985
"""Keys in the mid-2026 copy of LiteLLM's file, ``sample_spec`` included."""

REAL_MODE_COUNTS: dict[str | None, int] = {
    "chat": 2285,
    "image_generation": 209,
    "embedding": 124,
    "responses": 85,
    "audio_transcription": 62,
    "completion": 36,
    "image_edit": 31,
    "realtime": 28,
    "audio_speech": 27,
    "rerank": 25,
    "video_generation": 25,
    "search": 18,
    "ocr": 13,
    "moderation": 5,
    None: 9,
}
"""``mode`` tally of the real file (``None``: rows without ``mode``). ``sample_spec`` is not counted."""

# The tally above covers 2,982 rows. With sample_spec that makes 2,983 of the 2,985 keys. The two keys
# left over get a mode that is not in the tally, so every tallied count comes out exact at full size.
_OTHER_MODE = "vector_store"
_OTHER_COUNT = REAL_KEY_COUNT - 1 - sum(REAL_MODE_COUNTS.values())

_ZERO_CONTEXT_ROWS = 10
_UNITS_MISTAKE_ROWS = 5
_DUPLICATE_PAIRS = 20
_DEPRECATED_SHARE = 0.03

_SAMPLE_SPEC: dict[str, object] = {
    "code_interpreter_cost_per_session": 0.0,
    "computer_use_input_cost_per_1k_tokens": 0.0,
    "computer_use_output_cost_per_1k_tokens": 0.0,
    "deprecation_date": "date when the model becomes deprecated in the format YYYY-MM-DD",
    "file_search_cost_per_1k_calls": 0.0,
    "file_search_cost_per_gb_per_day": 0.0,
    "input_cost_per_audio_token": 0.0,
    "input_cost_per_token": 0.0,
    "litellm_provider": "one of https://docs.litellm.ai/docs/providers",
    "max_input_tokens": "max input tokens, if the provider specifies it. if not default to max_tokens",
    "max_output_tokens": "max output tokens, if the provider specifies it. if not default to max_tokens",
    "max_tokens": (
        "LEGACY parameter. set to max_output_tokens if provider specifies it. "
        "IF not set to max_input_tokens, if provider specifies it."
    ),
    "mode": (
        "one of: chat, embedding, completion, image_generation, audio_transcription, audio_speech, "
        "image_generation, moderation, rerank, search"
    ),
    "output_cost_per_reasoning_token": 0.0,
    "output_cost_per_token": 0.0,
    "search_context_cost_per_query": {
        "search_context_size_high": 0.0,
        "search_context_size_low": 0.0,
        "search_context_size_medium": 0.0,
    },
    "supported_regions": ["global", "us-west-2", "eu-west-1", "ap-southeast-1", "ap-northeast-1"],
    "supports_audio_input": True,
    "supports_audio_output": True,
    "supports_function_calling": True,
    "supports_parallel_function_calling": True,
    "supports_prompt_caching": True,
    "supports_reasoning": True,
    "supports_response_schema": True,
    "supports_system_messages": True,
    "supports_vision": True,
    "supports_web_search": True,
    "vector_store_cost_per_gb_per_day": 0.0,
}

# Chat providers: (litellm_provider, key templates, families, relative weight). ``{f}`` is the family and
# ``{n}`` a running number; a bare template (no "/") gives keys like ``gpt-4.1-12``.
_CHAT_PROVIDERS: tuple[tuple[str, tuple[str, ...], tuple[str, ...], int], ...] = (
    ("openai", ("{f}-{n}",), ("gpt-4o", "gpt-4.1", "gpt-5", "gpt-5-mini", "o3", "o4-mini", "gpt-3.5-turbo"), 9),
    ("azure", ("azure/{f}-{n}", "azure/eu/{f}-{n}", "azure/us/{f}-{n}"), ("gpt-4o", "gpt-4.1", "gpt-5", "o3"), 12),
    ("azure_ai", ("azure_ai/{f}-{n}",), ("Llama-3.3-70B-Instruct", "mistral-large", "Phi-4", "DeepSeek-R1"), 5),
    ("anthropic", ("{f}-{n}",), ("claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5", "claude-3-7-sonnet"), 5),
    (
        "bedrock",
        ("bedrock/us-east-1/{f}-{n}", "bedrock/eu-west-1/{f}-{n}", "{f}-{n}-v1:0"),
        ("anthropic.claude-3-5-sonnet", "meta.llama3-1-70b-instruct", "mistral.mistral-large", "cohere.command-r"),
        10,
    ),
    (
        "bedrock_converse",
        ("us.{f}-{n}-v1:0", "eu.{f}-{n}-v1:0", "global.{f}-{n}-v1:0"),
        ("amazon.nova-pro", "amazon.nova-lite", "anthropic.claude-sonnet-4", "meta.llama4-scout"),
        9,
    ),
    ("vertex_ai-language-models", ("{f}-{n}",), ("gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.0-flash"), 7),
    ("vertex_ai", ("vertex_ai/{f}-{n}",), ("claude-sonnet-4", "llama-4-maverick", "mistral-small", "qwen3"), 4),
    ("gemini", ("gemini/{f}-{n}",), ("gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.0-flash", "gemma-3"), 6),
    ("groq", ("groq/{f}-{n}",), ("llama-3.3-70b-versatile", "llama-3.1-8b-instant", "qwen3-32b"), 3),
    ("mistral", ("mistral/{f}-{n}",), ("mistral-large", "mistral-medium", "mistral-small", "codestral"), 4),
    ("openrouter", ("openrouter/{f}-{n}",), ("anthropic/claude-sonnet", "openai/gpt-4o", "google/gemini-2.5"), 9),
    ("together_ai", ("together_ai/{f}-{n}",), ("meta-llama/Llama-3.3-70B", "Qwen/Qwen3-235B", "deepseek-ai/R1"), 5),
    (
        "fireworks_ai",
        ("fireworks_ai/accounts/fireworks/models/{f}-{n}", "fireworks_ai/{f}-{n}"),
        ("llama-v3p1-70b-instruct", "qwen2p5-72b-instruct", "glm-4p7", "kimi-k2p6"),
        5,
    ),
    ("deepinfra", ("deepinfra/{f}-{n}",), ("meta-llama/Llama-3.3-70B-Instruct", "Qwen/Qwen3-32B", "google/gemma-3"), 5),
    ("ollama", ("ollama/{f}-{n}", "ollama/{f}:{n}b"), ("llama3", "mistral", "qwen3", "deepseek-r1"), 3),
    ("deepseek", ("deepseek/{f}-{n}",), ("deepseek-chat", "deepseek-reasoner", "deepseek-v3"), 1),
    ("xai", ("xai/{f}-{n}",), ("grok-3", "grok-4", "grok-code-fast"), 2),
    ("perplexity", ("perplexity/{f}-{n}",), ("sonar", "sonar-pro", "sonar-reasoning"), 2),
    ("cohere_chat", ("{f}-{n}",), ("command-r", "command-r-plus", "command-a"), 1),
    ("databricks", ("databricks/{f}-{n}",), ("databricks-claude-sonnet", "databricks-meta-llama-3-3-70b"), 2),
    ("sambanova", ("sambanova/{f}-{n}",), ("Meta-Llama-3.3-70B-Instruct", "DeepSeek-V3.1", "Qwen3-32B"), 2),
    ("cerebras", ("cerebras/{f}-{n}",), ("llama3.1-8b", "gpt-oss-120b", "qwen-3-32b"), 1),
    ("watsonx", ("watsonx/{f}-{n}",), ("ibm/granite-3-8b-instruct", "meta-llama/llama-3-3-70b-instruct"), 2),
    ("moonshot", ("moonshot/{f}-{n}",), ("kimi-k2", "moonshot-v1-128k"), 1),
    ("dashscope", ("dashscope/{f}-{n}",), ("qwen-max", "qwen-plus", "qwen3-coder"), 2),
    ("nscale", ("nscale/{f}-{n}",), ("meta-llama/Llama-3.1-8B-Instruct", "Qwen/QwQ-32B"), 1),
    ("oci", ("oci/{f}-{n}",), ("meta.llama-3.3-70b-instruct", "cohere.command-a", "xai.grok-4"), 2),
    ("snowflake", ("snowflake/{f}-{n}",), ("claude-sonnet-4-5", "llama3.1-70b"), 1),
    ("volcengine", ("volcengine/{f}-{n}",), ("doubao-seed-1-6", "deepseek-v3-1"), 1),
)

# Providers whose models are also listed under a bare key (``deepseek-chat`` and ``deepseek/deepseek-chat``).
_DUPLICATE_PROVIDERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("deepseek", ("deepseek-chat", "deepseek-reasoner", "deepseek-coder")),
    ("mistral", ("mistral-large-latest", "mistral-small-latest", "codestral-latest", "open-mistral-nemo")),
    ("xai", ("grok-3", "grok-3-mini", "grok-4", "grok-2-vision")),
    ("groq", ("llama3-70b-8192", "llama3-8b-8192", "gemma2-9b-it")),
    ("perplexity", ("sonar", "sonar-pro", "sonar-deep-research")),
    ("cerebras", ("llama3.1-70b", "qwen-3-32b")),
    ("sambanova", ("Meta-Llama-3.1-405B-Instruct", "QwQ-32B")),
)

# Per-million input prices (USD) the generator draws from, and output/input ratios.
_PER_MILLION_PRICES = tuple(
    "0.02 0.04 0.05 0.06 0.075 0.1 0.15 0.2 0.25 0.27 0.28 0.3 0.35 0.4 0.5 0.59 0.6 0.8 0.85 0.9 "
    "1 1.1 1.25 1.5 1.75 2 2.5 3 3.5 5 10 15 30 75".split()
)
_OUTPUT_RATIOS = (1, 1, 2, 3, 4, 4, 5, 8)
_CONTEXT_WINDOWS = (8192, 16385, 32768, 65536, 128000, 128000, 131072, 200000, 262144, 1000000, 1048576)
_OUTPUT_LIMITS = (4096, 8192, 8192, 16384, 32768, 64000, 65536, 128000)
_SOURCES = (
    "https://openai.com/api/pricing/",
    "https://aws.amazon.com/bedrock/pricing/",
    "https://cloud.google.com/vertex-ai/generative-ai/pricing",
    "https://fireworks.ai/pricing",
    "https://www.together.ai/pricing",
)
_PAST_DATES = ("2024-04-30", "2025-02-15", "2025-06-06", "2025-06-30", "2025-09-24", "2025-11-18", "2026-02-19")
_FUTURE_DATES = ("2026-08-05", "2026-09-28", "2026-11-04", "2027-03-31", "2027-10-01", "2028-01-15", "2099-12-31")


def _scaled_mode_counts(rows: int) -> list[tuple[str | None, int]]:
    """Share ``rows`` among the modes in proportion to the real tally (largest remainder, exact sum)."""
    buckets: list[tuple[str | None, int]] = [*REAL_MODE_COUNTS.items(), (_OTHER_MODE, _OTHER_COUNT)]
    total = sum(count for _, count in buckets)
    shares = [(mode, count * rows / total) for mode, count in buckets]
    counts = {mode: int(share) for mode, share in shares}
    left = rows - sum(counts.values())
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(shares[i][1] - int(shares[i][1])), i))
    for i in by_remainder[:left]:
        counts[shares[i][0]] += 1
    return [(mode, counts[mode]) for mode, _ in buckets]


def _per_token(per_million: Decimal) -> float:
    """Per-token float for a per-million price, through its decimal text: ``Decimal("2.5")`` -> ``2.5e-06``."""
    return float(per_million.scaleb(-6))


def _limits(rng: random.Random, *values: int) -> list[int | float]:
    """Token limits, in about 4% of rows all written as floats (``128000.0``) like some rows of the real file."""
    as_float = rng.random() < 0.04
    return [float(value) if as_float else value for value in values]


class _Keys:
    """Hands out unique keys."""

    def __init__(self) -> None:
        self.used: set[str] = {"sample_spec"}
        self._counter = 0

    def free(self, key: str) -> bool:
        return key not in self.used

    def take(self, key: str) -> str:
        while key in self.used:
            self._counter += 1
            key = f"{key}-v{self._counter}"
        self.used.add(key)
        return key

    def number(self) -> int:
        self._counter += 1
        return self._counter


def _chat_row(rng: random.Random, provider: str, family: str) -> dict[str, object]:
    """One realistic chat row; fields in the real file's usual order, optional ones left out."""
    row: dict[str, object] = {}
    priced = rng.random() > 0.03
    price_in = Decimal(rng.choice(_PER_MILLION_PRICES))
    if provider == "ollama":
        price_in = Decimal(0)
    price_out = price_in * rng.choice(_OUTPUT_RATIOS)
    if priced and price_in and rng.random() < 0.35:
        row["cache_read_input_token_cost"] = _per_token(price_in / rng.choice((2, 4, 10)))
        if provider in {"anthropic", "bedrock", "bedrock_converse", "vertex_ai"}:
            row["cache_creation_input_token_cost"] = _per_token(price_in * Decimal("1.25"))
    if rng.random() < _DEPRECATED_SHARE:
        row["deprecation_date"] = rng.choice(_PAST_DATES if rng.random() < 0.5 else _FUTURE_DATES)
    if priced:
        row["input_cost_per_token"] = _per_token(price_in)
    row["litellm_provider"] = provider
    if rng.random() > 0.03:
        window = rng.choice(_CONTEXT_WINDOWS)
        output = min(rng.choice(_OUTPUT_LIMITS), window)
        window_limit, output_limit = _limits(rng, window, output)
        row["max_input_tokens"] = window_limit
        if rng.random() > 0.05:
            row["max_output_tokens"] = output_limit
            row["max_tokens"] = output_limit
    row["mode"] = "chat"
    if priced:
        row["output_cost_per_token"] = _per_token(price_out)
    if rng.random() < 0.15:
        row["source"] = rng.choice(_SOURCES)
    flags = (
        ("supports_function_calling", 0.8),
        ("supports_parallel_function_calling", 0.35),
        ("supports_pdf_input", 0.25),
        ("supports_prompt_caching", 0.35),
        ("supports_reasoning", 0.35 if any(t in family for t in ("o3", "o4", "r1", "reason", "claude", "5")) else 0.1),
        ("supports_response_schema", 0.5),
        ("supports_system_messages", 0.4),
        ("supports_tool_choice", 0.75),
        ("supports_vision", 0.45),
        ("supports_web_search", 0.08),
    )
    for flag, chance in flags:
        draw = rng.random()
        if draw < chance:
            row[flag] = True
        elif draw < chance + 0.08:
            row[flag] = False
    return row


def _chat_key(rng: random.Random, keys: _Keys) -> tuple[str, str, str]:
    weights = [weight for *_, weight in _CHAT_PROVIDERS]
    provider, templates, families, _ = rng.choices(_CHAT_PROVIDERS, weights=weights)[0]
    family = rng.choice(families)
    key = keys.take(rng.choice(templates).format(f=family, n=keys.number()))
    return key, provider, family


def _other_row(rng: random.Random, mode: str | None, keys: _Keys) -> tuple[str, dict[str, object]]:
    """A row for one of the non-chat modes (``None``: a row without ``mode``)."""
    n = keys.number()
    row: dict[str, object]
    if mode == "image_generation":
        if rng.random() < 0.3:
            size = rng.choice(("256-x-256", "512-x-512", "1024-x-1024", "1024-x-1792"))
            key = f"{rng.choice(('standard', 'hd', 'low', 'medium', 'high'))}/{size}/dall-e-{n}"
            row = {"input_cost_per_pixel": rng.choice((1.9e-08, 3.81469e-08, 6.539e-08)), "litellm_provider": "openai"}
            row |= {"mode": mode, "output_cost_per_pixel": 0.0}
        else:
            provider = rng.choice(("vertex_ai-image-models", "fal_ai", "aiml", "bedrock", "recraft", "gemini"))
            key = f"{provider.split('-')[0]}/{rng.choice(('imagen-4.0', 'flux-pro', 'sdxl', 'seedream'))}-{n}"
            row = {"litellm_provider": provider, "mode": mode, "output_cost_per_image": rng.choice((0.02, 0.04, 0.06))}
            row["supported_endpoints"] = ["/v1/images/generations"]
    elif mode == "embedding":
        provider = rng.choice(("openai", "azure", "bedrock", "vertex_ai-embedding-models", "cohere", "voyage"))
        key = f"{provider.split('-')[0]}/{rng.choice(('text-embedding', 'embed-english', 'titan-embed'))}-{n}"
        window = rng.choice((512, 2048, 8191, 8192, 32000))
        row = {
            "input_cost_per_token": _per_token(Decimal(rng.choice(("0.02", "0.1", "0.13", "0.15")))),
            "litellm_provider": provider,
        }
        row |= {"max_input_tokens": window, "max_tokens": window, "mode": mode, "output_cost_per_token": 0.0}
        row["output_vector_size"] = rng.choice((768, 1024, 1536, 3072))
    elif mode in {"responses", "completion", "realtime"}:
        provider = {"responses": "openai", "completion": "text-completion-openai", "realtime": "openai"}[mode]
        key = f"{rng.choice(('gpt-5-codex', 'o3-deep-research', 'gpt-realtime', 'davinci'))}-{mode}-{n}"
        if rng.random() < 0.4:
            key = f"azure/{key}"
            provider = "azure"
        price_in = Decimal(rng.choice(_PER_MILLION_PRICES[10:30]))
        window = rng.choice((16384, 32000, 128000, 272000))
        row = {"input_cost_per_token": _per_token(price_in), "litellm_provider": provider}
        row |= {"max_input_tokens": window, "max_output_tokens": 4096, "max_tokens": 4096, "mode": mode}
        row["output_cost_per_token"] = _per_token(price_in * 4)
        if mode == "responses":
            row["supported_endpoints"] = ["/v1/responses"]
            row["supports_reasoning"] = True
        if mode == "realtime":
            row["input_cost_per_audio_token"] = 4e-05
            row["supports_audio_input"] = True
    elif mode == "audio_transcription":
        provider = rng.choice(("openai", "azure", "groq", "deepgram", "elevenlabs"))
        key = f"{provider}/{rng.choice(('whisper', 'nova-2', 'scribe'))}-{n}"
        row = {"input_cost_per_second": rng.choice((0.0001, 3.083e-05, 7.167e-05)), "litellm_provider": provider}
        row |= {"mode": mode, "output_cost_per_second": 0.0, "supported_endpoints": ["/v1/audio/transcriptions"]}
    elif mode == "audio_speech":
        provider = rng.choice(("openai", "azure", "aws_polly", "elevenlabs", "vertex_ai"))
        key = f"{provider}/{rng.choice(('tts', 'neural', 'eleven-v3'))}-{n}"
        row = {"input_cost_per_character": rng.choice((1.5e-05, 3e-05, 0.00018)), "litellm_provider": provider}
        row |= {"mode": mode, "supported_endpoints": ["/v1/audio/speech"]}
    elif mode == "image_edit":
        provider = rng.choice(("stability", "black_forest_labs", "bedrock"))
        key = f"{provider}/{rng.choice(('inpaint', 'flux-kontext', 'erase'))}-{n}"
        row = {"litellm_provider": provider, "mode": mode, "output_cost_per_image": rng.choice((0.005, 0.04, 0.07))}
        row["supported_endpoints"] = ["/v1/images/edits"]
    elif mode == "rerank":
        provider = rng.choice(("cohere", "voyage", "jina_ai", "bedrock", "together_ai"))
        key = f"{provider}/{rng.choice(('rerank-v3.5', 'rerank-2-lite', 'reranker-m0'))}-{n}"
        row = {"input_cost_per_query": 0.002, "input_cost_per_token": 0.0, "litellm_provider": provider}
        row |= {"max_input_tokens": 4096, "max_tokens": 4096, "mode": mode, "output_cost_per_token": 0.0}
    elif mode == "video_generation":
        provider = rng.choice(("openai", "vertex_ai", "azure", "runwayml"))
        key = f"{provider}/{rng.choice(('sora-2', 'veo-3.0', 'gen4-turbo'))}-{n}"
        row = {"litellm_provider": provider, "mode": mode, "output_cost_per_second": rng.choice((0.1, 0.4, 0.5))}
        row["supported_endpoints"] = ["/v1/videos"]
    elif mode == "search":
        provider = rng.choice(("tavily", "exa_ai", "perplexity", "serper", "linkup"))
        key = f"{provider}/search-{n}"
        row = {"input_cost_per_query": rng.choice((0.001, 0.005, 0.008)), "litellm_provider": provider, "mode": mode}
    elif mode == "ocr":
        provider = rng.choice(("mistral", "azure_ai", "vertex_ai"))
        key = f"{provider}/mistral-ocr-{n}"
        row = {"litellm_provider": provider, "ocr_cost_per_page": rng.choice((0.001, 0.002, 0.004)), "mode": mode}
        row["supported_endpoints"] = ["/v1/ocr"]
    elif mode == "moderation":
        key = f"{rng.choice(('omni-moderation', 'text-moderation'))}-{n}"
        row = {"input_cost_per_token": 0.0, "litellm_provider": "openai", "max_input_tokens": 32768}
        row |= {"max_output_tokens": 0, "max_tokens": 0, "mode": mode, "output_cost_per_token": 0.0}
    elif mode is None:
        provider = rng.choice(("featherless_ai", "gradient_ai", "heroku", "lemonade"))
        key = f"{provider}/{rng.choice(('qwerky', 'llama', 'claude'))}-{n}"
        row = {"litellm_provider": provider, "max_input_tokens": 32768, "max_output_tokens": 4096, "max_tokens": 32768}
    else:
        key = f"openai/{mode}-{n}"
        row = {"input_cost_per_query": 0.0025, "litellm_provider": "openai", "mode": mode}
    return keys.take(key), row


def litellm_price_file(keys: int = REAL_KEY_COUNT, seed: int = 7) -> dict[str, dict[str, object]]:
    """Build a LiteLLM-shaped price file with ``keys`` keys (``sample_spec`` first), always the same for a seed.

    The modes follow the real file's tally, scaled to ``keys``. At 2,985 keys they match it exactly: chat
    2,285, image_generation 209, ..., 9 rows without ``mode``. The chat rows include the trap rows the
    module docstring describes, scaled the same way (at least one of each kind if there is room).
    """
    if keys < 1:
        raise ValueError("keys must be at least 1 (the sample_spec entry)")
    rng = random.Random(seed)
    taken = _Keys()
    rows: dict[str, dict[str, object]] = {}
    counts = _scaled_mode_counts(keys - 1)
    chat_total = dict(counts)["chat"]

    scale = chat_total / REAL_MODE_COUNTS["chat"]
    room = chat_total
    pairs = min(max(1, round(_DUPLICATE_PAIRS * scale)), room // 2)
    room -= 2 * pairs
    zero_context = min(max(1, round(_ZERO_CONTEXT_ROWS * scale)), room)
    room -= zero_context
    units_mistakes = min(max(1, round(_UNITS_MISTAKE_ROWS * scale)), room)
    room -= units_mistakes

    duplicates = [(provider, model) for provider, models in _DUPLICATE_PROVIDERS for model in models]
    for i in range(pairs):
        provider, model = duplicates[i % len(duplicates)]
        if i >= len(duplicates):
            model = f"{model}-{taken.number()}"
        while not (taken.free(model) and taken.free(f"{provider}/{model}")):
            model = f"{model}-{taken.number()}"
        row = _chat_row(rng, provider, model)
        rows[taken.take(model)] = row
        rows[taken.take(f"{provider}/{model}")] = dict(row)

    for _ in range(zero_context):
        key, provider, family = _chat_key(rng, taken)
        row = _chat_row(rng, provider, family)
        row |= {"max_input_tokens": 0, "max_tokens": 0}
        rows[key] = row

    for _ in range(units_mistakes):
        key, provider, family = _chat_key(rng, taken)
        row = _chat_row(rng, provider, family)
        row |= {"input_cost_per_token": 0.03, "output_cost_per_token": rng.choice((0.03, 0.06))}
        rows[key] = row

    for _ in range(room):
        key, provider, family = _chat_key(rng, taken)
        rows[key] = _chat_row(rng, provider, family)

    for mode, count in counts:
        if mode == "chat":
            continue
        for _ in range(count):
            key, row = _other_row(rng, mode, taken)
            rows[key] = row

    # The real file is roughly alphabetical, with later additions dropped in out of place.
    order = sorted(rows)
    for _ in range(len(order) // 20):
        order.insert(rng.randrange(len(order) + 1), order.pop(rng.randrange(len(order))))
    return {"sample_spec": dict(_SAMPLE_SPEC)} | {key: rows[key] for key in order}


def _main(argv: list[str]) -> int:
    if not argv or len(argv) > 3:
        print("usage: python bench/litellm_file.py OUT.json [KEYS] [SEED]", file=sys.stderr)
        return 2
    keys = int(argv[1]) if len(argv) > 1 else REAL_KEY_COUNT
    seed = int(argv[2]) if len(argv) > 2 else 7
    data = litellm_price_file(keys, seed)
    Path(argv[0]).write_text(json.dumps(data, indent=4) + "\n", encoding="utf-8")
    modes = Counter(str(row.get("mode", "(missing)")) for key, row in data.items() if key != "sample_spec")
    print(f"{len(data)} keys (sample_spec + {len(data) - 1} rows) -> {argv[0]}")
    for mode, count in modes.most_common():
        print(f"  {mode:<20} {count:>5}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
