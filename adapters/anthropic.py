"""Anthropic: `GET {base}/v1/models?limit=&after_id=` with `x-api-key`, paged by `has_more`/`last_id`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from adapters.fields import Fields
from adapters.openai_compatible import OpenAICompatibleAdapter
from adapters.stated import StatedModel
from domain.choices import ProviderKind

__all__ = ["ANTHROPIC_VERSION", "AnthropicAdapter"]

ANTHROPIC_VERSION = "2023-06-01"

# The 2026 `capabilities` object: each maps to `{"supported": bool}`.
_CAPABILITIES = {"vision": "image_input", "pdf": "pdf_input", "json": "structured_outputs", "thinking": "thinking"}


class AnthropicAdapter(OpenAICompatibleAdapter):
    """Anthropic's Models API; every model it lists is a chat model."""

    kind: ClassVar[ProviderKind] = ProviderKind.ANTHROPIC
    models_path: ClassVar[str] = "/v1/models"
    page_params: ClassVar[Mapping[str, str]] = {"limit": "1000"}  # the API's maximum: fewest pages

    def headers(self) -> dict[str, str]:
        """`x-api-key` and the API version header."""
        headers = {"accept": "application/json", "anthropic-version": ANTHROPIC_VERSION}
        if self._api_key is not None:
            headers["x-api-key"] = self._api_key
        return headers

    def next_page(self, page: Mapping[str, Any]) -> dict[str, str] | None:
        """`after_id=<last_id>` while `has_more`."""
        if page.get("has_more") is not True:
            return None
        last_id = page.get("last_id")
        if not isinstance(last_id, str) or not last_id:
            raise self.http.error("the model list says it has more pages but names no last_id")
        return {"after_id": last_id}

    def read(self, entry: Fields) -> StatedModel | None:
        """An entry; `lifecycle`, `deprecated_at`, `retires_at` and `capabilities` appear only in newer answers."""
        model_id = entry.identifier("id")
        capabilities = entry.child("capabilities")
        tags = {"tools": True}  # every model the Messages API serves takes tools; the list does not say so
        if capabilities is not None:
            for tag, name in _CAPABILITIES.items():
                support = capabilities.child(name)
                supported = None if support is None else support.flag("supported")
                if supported is not None:
                    tags[tag] = supported
        return StatedModel(
            model_id,
            display_name=entry.text("display_name"),
            context_window=entry.integer("max_input_tokens"),
            max_output_tokens=entry.integer("max_tokens"),
            tags=tags,
            # deprecated: closed to new users; retired: calls fail, though the model stays listed.
            archived=entry.text("lifecycle") in ("deprecated", "retired"),
            deprecated_at=entry.day("deprecated_at"),
            retires_at=entry.day("retires_at"),
            config=entry.raw,
        )
