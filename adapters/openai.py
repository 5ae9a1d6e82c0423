"""OpenAI: `GET {base}/models`; the list gives ids only, so the hand-kept file gives everything else."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import ClassVar

from adapters.fields import Fields
from adapters.openai_compatible import OpenAICompatibleAdapter
from adapters.stated import StatedModel
from domain.choices import ProviderKind

__all__ = ["OpenAIAdapter"]


class OpenAIAdapter(OpenAICompatibleAdapter):
    """OpenAI's own API; every model the key can see comes in one unpaged list."""

    kind: ClassVar[ProviderKind] = ProviderKind.OPENAI
    context_fields: ClassVar[tuple[str, ...]] = ()  # OpenAI's list states no limits at all
    # The list mixes every endpoint's models; these are not text chat models:
    # embeddings; speech in and out (whisper, tts, transcribe, audio, realtime); images and video
    # (dall-e, gpt-image, sora); moderation; the legacy completions models (davinci, babbage,
    # *-instruct); and computer-use-preview, which only the Responses API's computer tool drives.
    not_chat: ClassVar[re.Pattern[str] | None] = re.compile(
        r"embedding|whisper|tts|transcribe|audio|realtime|dall-e|image|sora|moderation"
        r"|davinci|babbage|instruct|computer-use",
        re.IGNORECASE,
    )

    def read(self, entry: Fields) -> StatedModel | None:
        """An entry; `shutdown_date` (in the SDK since 2026-08) is the model's retirement."""
        stated = super().read(entry)
        return None if stated is None else replace(stated, retires_at=entry.day("shutdown_date"))
