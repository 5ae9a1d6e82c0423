"""Google Gemini: `GET {base}/v1beta/models?pageSize=&pageToken=` with `x-goog-api-key`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from adapters.fields import Fields
from adapters.openai_compatible import OpenAICompatibleAdapter
from adapters.stated import StatedModel
from domain.choices import ProviderKind

__all__ = ["GoogleAdapter"]


class GoogleAdapter(OpenAICompatibleAdapter):
    """The Gemini API's model list: generateContent models only, ids without their `models/` prefix."""

    kind: ClassVar[ProviderKind] = ProviderKind.GOOGLE
    models_path: ClassVar[str] = "/v1beta/models"
    items_key: ClassVar[str] = "models"
    page_params: ClassVar[Mapping[str, str]] = {"pageSize": "1000"}  # the API's maximum (default 50)
    # generateContent also serves the speech (…-tts) and image-generation (…-image) models.
    not_chat: ClassVar[re.Pattern[str] | None] = re.compile(r"tts|image", re.IGNORECASE)

    def headers(self) -> dict[str, str]:
        """The key in `x-goog-api-key`, never in the URL (`?key=` would put it in every log line)."""
        headers = {"accept": "application/json"}
        if self._api_key is not None:
            headers["x-goog-api-key"] = self._api_key
        return headers

    def next_page(self, page: Mapping[str, Any]) -> dict[str, str] | None:
        """`pageToken=<nextPageToken>`; the last page omits the token."""
        token = page.get("nextPageToken")
        if token is None or token == "":
            return None
        if not isinstance(token, str):
            raise self.http.error("the model list's nextPageToken is not a string")
        return {"pageToken": token}

    def read(self, entry: Fields) -> StatedModel | None:
        """An entry; `baseModelId` is absent in real answers, so the id comes from `name`."""
        model_id = entry.identifier("name").removeprefix("models/")
        methods = entry.strings("supportedGenerationMethods") or ()
        if "generateContent" not in methods or (self.not_chat is not None and self.not_chat.search(model_id)):
            return None
        tags = {}
        # proto3 JSON omits false: `thinking` appears only as true, so its absence states nothing.
        if entry.flag("thinking"):
            tags["thinking"] = True
        if "createCachedContent" in methods:
            tags["caching"] = True
        return StatedModel(
            model_id,
            display_name=entry.text("displayName"),
            description=entry.text("description"),
            context_window=entry.integer("inputTokenLimit"),
            max_output_tokens=entry.integer("outputTokenLimit"),
            tags=tags,
            config=entry.raw,
        )
