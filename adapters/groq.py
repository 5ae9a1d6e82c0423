"""Groq: OpenAI's list at `{base}/models`, with `context_window`, `max_completion_tokens` and `active`."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import ClassVar

from adapters.fields import Fields
from adapters.openai_compatible import OpenAICompatibleAdapter
from adapters.stated import StatedModel
from domain.choices import ProviderKind

__all__ = ["GroqAdapter"]


class GroqAdapter(OpenAICompatibleAdapter):
    """Groq's OpenAI-compatible API."""

    kind: ClassVar[ProviderKind] = ProviderKind.GROQ
    context_fields: ClassVar[tuple[str, ...]] = ("context_window",)
    # Groq lists speech models (whisper, PlayAI and Orpheus voices) and the Llama Guard and Prompt
    # Guard safety classifiers beside its chat models, telling them apart by name only.
    not_chat: ClassVar[re.Pattern[str] | None] = re.compile(r"whisper|tts|playai|orpheus|guard", re.IGNORECASE)

    def read(self, entry: Fields) -> StatedModel | None:
        """An entry; `active: false` is Groq's deprecation flag."""
        stated = super().read(entry)
        if stated is None:
            return None
        return replace(
            stated, max_output_tokens=entry.integer("max_completion_tokens"), archived=entry.flag("active") is False
        )
