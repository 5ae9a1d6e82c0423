"""The shared base: `GET {base}/models` with Bearer auth, every page followed, hand-kept facts merged.

Every other adapter extends it; what differs between providers (path, headers, paging, field names,
what is not a chat model) is data or one small method.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from adapters.base import Adapter, Listing, NormalizedModel
from adapters.fields import Fields, MalformedEntry
from adapters.handkept import hand_kept
from adapters.stated import StatedModel, merge, normalize
from domain.choices import ProviderKind

__all__ = ["MAX_PAGES", "OpenAICompatibleAdapter"]

MAX_PAGES = 100  # a bound on a provider whose cursor never ends; no catalog is a hundred pages long


class OpenAICompatibleAdapter(Adapter):
    """Any server that answers OpenAI's model list: vLLM, LM Studio, llama.cpp, gateways."""

    kind: ClassVar[ProviderKind] = ProviderKind.OPENAI_COMPATIBLE
    models_path: ClassVar[str] = "/models"
    items_key: ClassVar[str] = "data"
    page_params: ClassVar[Mapping[str, str]] = {}
    # vLLM's max_model_len; context_window and context_length are what forks and hosted gateways add.
    context_fields: ClassVar[tuple[str, ...]] = ("max_model_len", "context_window", "context_length")
    # Local servers list their embedding and speech models beside the chat ones, telling them apart by name only.
    not_chat: ClassVar[re.Pattern[str] | None] = re.compile(r"embed|rerank|whisper|tts|moderation", re.IGNORECASE)

    def headers(self) -> dict[str, str]:
        """The request headers: Bearer when a key is set."""
        headers = {"accept": "application/json"}
        if self._api_key is not None:
            headers["authorization"] = f"Bearer {self._api_key}"
        return headers

    def next_page(self, page: Mapping[str, Any]) -> dict[str, str] | None:
        """The query of the page after this one; None on the last page (OpenAI-compatible lists do not page)."""
        return None

    async def entries(self) -> list[Any]:
        """Every raw entry of every page; a page that fails or has no list fails the whole listing."""
        url = self.base_url + self.models_path
        params = dict(self.page_params)
        entries: list[Any] = []
        seen: set[tuple[tuple[str, str], ...]] = set()
        for _ in range(MAX_PAGES):
            page = await self.http.get_json(url, params=params, headers=self.headers())
            items = page.get(self.items_key) if isinstance(page, dict) else None
            if not isinstance(items, list):
                raise self.http.error("the model list has an unexpected shape")
            entries.extend(items)
            following = self.next_page(page)
            if following is None:
                return entries
            cursor = tuple(sorted(following.items()))
            if cursor in seen:
                raise self.http.error("the model list's pages do not advance")
            seen.add(cursor)
            params = {**self.page_params, **following}
        raise self.http.error(f"the model list has more than {MAX_PAGES} pages")

    def read(self, entry: Fields) -> StatedModel | None:
        """What one entry states; None for a model that is not a text chat model."""
        model_id = entry.identifier("id")
        if self.not_chat is not None and self.not_chat.search(model_id):
            return None
        return StatedModel(model_id, context_window=self.context_window(entry), config=entry.raw)

    def context_window(self, entry: Fields) -> int | None:
        """The first context field the entry fills; llama.cpp's `meta.n_ctx` (the served one) else `n_ctx_train`."""
        for name in self.context_fields:
            value = entry.integer(name)
            if value is not None:
                return value
        meta = entry.child("meta")
        return None if meta is None else meta.integer("n_ctx") or meta.integer("n_ctx_train")

    async def list_models(self) -> Listing:
        """Every text chat model listed, merged with the hand-kept file; malformed entries become warnings."""
        known = hand_kept(self.kind)
        today = datetime.now(UTC).date()
        models: dict[str, NormalizedModel] = {}
        warnings: list[str] = []
        for index, raw in enumerate(await self.entries()):
            try:
                stated = self.read(Fields(raw))
            except MalformedEntry as problem:
                warnings.append(f"skipped entry {index}: {problem}")
                continue
            if stated is None:
                continue
            if stated.model_id in models:
                warnings.append(f"skipped entry {index}: a second entry for {stated.model_id!r}")
                continue
            models[stated.model_id] = normalize(merge(stated, known.lookup(stated.model_id)), today=today)
        return Listing(tuple(models.values()), tuple(warnings))
