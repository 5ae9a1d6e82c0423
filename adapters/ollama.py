"""Ollama: `GET {base}/api/tags`, then `POST {base}/api/show` per model for capabilities and context length."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any, ClassVar

from adapters.base import Price
from adapters.errors import ProviderError
from adapters.fields import Fields
from adapters.openai_compatible import OpenAICompatibleAdapter
from adapters.stated import StatedModel
from domain.choices import ProviderKind

__all__ = ["SHOW_CONCURRENCY", "OllamaAdapter"]

SHOW_CONCURRENCY = 4  # one Ollama host answers show from disk; a few at a time keeps it responsive
# What of /api/show is kept as config: license and template texts run to kilobytes per model.
_SHOW_KEPT = ("capabilities", "details", "model_info", "parameters", "remote_model", "remote_host", "modified_at")
_FREE = Price(Decimal(0), Decimal(0), Decimal(0))
# Ollama's capability names that are also vocabulary tags; `completion`, `insert`, `embedding`, `image` are not.
_TAGS = ("tools", "vision", "thinking", "audio")


def _context_length(model_info: Fields | None) -> int | None:
    # `<general.architecture>.context_length`; a vision encoder's `gemma3.vision.*` keys are not the model's.
    if model_info is None:
        return None
    architecture = model_info.text("general.architecture")
    if architecture and (length := model_info.integer(f"{architecture}.context_length")):
        return length
    for key in model_info.raw:
        if key.endswith(".context_length") and key.count(".") == 1:
            return model_info.integer(key)
    return None


def _tag_name(tag: Any) -> str | None:
    name = tag.get("name") if isinstance(tag, dict) else None
    return name if isinstance(name, str) and name.strip() else None


class OllamaAdapter(OpenAICompatibleAdapter):
    """An Ollama server; no auth locally, Bearer when a key is set (ollama.com)."""

    kind: ClassVar[ProviderKind] = ProviderKind.OLLAMA
    models_path: ClassVar[str] = "/api/tags"
    items_key: ClassVar[str] = "models"

    async def entries(self) -> list[Any]:
        """Each tag with its show answer; a failed show fails the listing rather than lose a model."""
        tags = await super().entries()
        names = [_tag_name(tag) for tag in tags]
        shows = await self._show_all([name for name in names if name is not None])
        return [
            {"tag": tag} if name is None else {"tag": tag, "show": shows[name]}
            for tag, name in zip(tags, names, strict=True)
        ]

    async def _show_all(self, names: list[str]) -> dict[str, Any]:
        limit = asyncio.Semaphore(SHOW_CONCURRENCY)

        async def show(name: str) -> Any:
            async with limit:
                return await self.http.post_json(self.base_url + "/api/show", {"model": name}, headers=self.headers())

        try:
            async with asyncio.TaskGroup() as group:
                tasks = {name: group.create_task(show(name)) for name in dict.fromkeys(names)}
        except* ProviderError as failures:
            raise failures.exceptions[0] from None
        return {name: task.result() for name, task in tasks.items()}

    def read(self, entry: Fields) -> StatedModel | None:
        """A tag and its show answer; models without `completion` (embedding-only) are not chat models."""
        tag = Fields(entry.raw.get("tag"))
        name = tag.identifier("name")
        show = Fields(entry.raw.get("show") or {}, label=tag.label)
        capabilities = show.strings("capabilities")  # absent before Ollama 0.6.4: nothing stated
        if capabilities is not None and "completion" not in capabilities:
            return None
        details = tag.child("details") or Fields({}, label=tag.label)
        remote = tag.text("remote_host") or show.text("remote_host")
        return StatedModel(
            # Ollama resolves a bare name to `:latest`, and people (and the seed catalog) write the bare name.
            name.removesuffix(":latest"),
            context_window=_context_length(show.child("model_info")) or details.integer("context_length"),
            tags={} if capabilities is None else {each: each in capabilities for each in _TAGS},
            pricing=None if remote else _FREE,  # a model on one's own machine costs nothing per token
            config={"tag": tag.raw, "show": {key: show.raw[key] for key in _SHOW_KEPT if key in show.raw}},
        )
