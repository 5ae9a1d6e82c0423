"""Mistral: OpenAI's list at `{base}/models`, with a `capabilities` object and a `deprecation` date."""

from __future__ import annotations

from typing import ClassVar

from adapters.fields import Fields
from adapters.openai_compatible import OpenAICompatibleAdapter
from adapters.stated import StatedModel
from domain.choices import ProviderKind

__all__ = ["MistralAdapter"]

# Mistral's capability flags by vocabulary tag; `reasoning` arrived in 2026, `audio` (audio input) in 2025-12.
_CAPABILITIES = {"tools": "function_calling", "vision": "vision", "thinking": "reasoning", "audio": "audio"}


class MistralAdapter(OpenAICompatibleAdapter):
    """Mistral's API; a model is listed once per alias id, and each listing is kept as its own model."""

    kind: ClassVar[ProviderKind] = ProviderKind.MISTRAL

    def read(self, entry: Fields) -> StatedModel | None:
        """An entry; only `capabilities.completion_chat` models are chat models."""
        model_id = entry.identifier("id")
        capabilities = entry.child("capabilities")
        if capabilities is None:
            # Without it nothing says whether the model chats; dropping it silently would read as "removed".
            raise entry.malformed("has no capabilities")
        if not capabilities.flag("completion_chat"):
            return None
        tags = {tag: flag for tag, name in _CAPABILITIES.items() if (flag := capabilities.flag(name)) is not None}
        # `name` is the dated id (mistral-medium-2508), not a name for people: the hand-kept file gives that.
        return StatedModel(
            model_id,
            description=entry.text("description"),
            context_window=entry.integer("max_context_length"),
            tags=tags,
            archived=entry.flag("archived") is True,  # fine-tuned models only
            deprecated_at=entry.day("deprecation"),
            config=entry.raw,
        )
