"""OpenRouter: `GET {base}/models` (public; Bearer optional) with exact per-token prices as decimal text."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from adapters.base import Price, PriceTier
from adapters.fields import Fields, MalformedEntry
from adapters.openai_compatible import OpenAICompatibleAdapter
from adapters.stated import StatedModel
from domain.choices import ProviderKind

__all__ = ["OpenRouterAdapter", "per_million", "read_price"]

_PRICE_FIELDS = {
    "input_per_million": "prompt",
    "output_per_million": "completion",
    "cached_input_per_million": "input_cache_read",
    "cache_write_per_million": "input_cache_write",
}


def per_million(value: object) -> Decimal | None:
    """A USD-per-token price ("0.0000025") as an exact USD-per-million Decimal (2.5); negative is no price."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise MalformedEntry("a price is not a number")
    # Through the decimal text, never float arithmetic: 7.9e-07 * 1e6 is 0.7899999999999999.
    try:
        per_token = Decimal(value.strip() if isinstance(value, str) else repr(value))
    except InvalidOperation:
        raise MalformedEntry("a price is not a number") from None
    if not per_token.is_finite():
        raise MalformedEntry("a price is not a number")
    if per_token < 0:
        return None  # "-1": openrouter/auto and other routers, priced by whichever model they pick
    scaled = per_token.scaleb(6).normalize()
    # normalize() writes 100 as 1E+2; a whole number reads better as itself.
    return scaled.quantize(Decimal(1)) if scaled == scaled.to_integral_value() else scaled


def _prices(pricing: Fields) -> dict[str, Decimal | None]:
    prices = {}
    for name, key in _PRICE_FIELDS.items():
        try:
            prices[name] = per_million(pricing.raw.get(key))
        except MalformedEntry as problem:
            raise pricing.malformed(f"pricing.{key}: {problem}") from None
    return prices


def read_price(pricing: Fields) -> Price:
    """The `pricing` object; `overrides` by `min_prompt_tokens` become the price's tiers."""
    overrides = pricing.raw.get("overrides") or []
    if not isinstance(overrides, list) or not all(isinstance(each, dict) for each in overrides):
        raise pricing.malformed("pricing.overrides is not a list of objects")
    tiers = []
    for override in overrides:
        tier = Fields(override, label=pricing.label)
        minimum = tier.integer("min_prompt_tokens")
        if minimum is None:
            raise tier.malformed("a pricing override has no min_prompt_tokens")
        tiers.append(PriceTier(minimum, **_prices(tier)))
    return Price(**_prices(pricing), tiers=tuple(sorted(tiers, key=lambda tier: tier.min_prompt_tokens)))


def _modalities(architecture: Fields, key: str, side: int) -> frozenset[str] | None:
    # input_modalities / output_modalities, or the older "text+image->text" string.
    listed = architecture.strings(key)
    if listed is not None:
        return frozenset(listed)
    modality = architecture.text("modality")
    if modality is None or "->" not in modality:
        return None
    return frozenset(modality.split("->")[side].split("+"))


class OpenRouterAdapter(OpenAICompatibleAdapter):
    """OpenRouter's catalog: text-output chat models only; prices, limits and parameters as stated."""

    kind: ClassVar[ProviderKind] = ProviderKind.OPENROUTER

    def next_page(self, page: Mapping[str, Any]) -> dict[str, str] | None:
        """The query of `links.next` (2026), always asked of our own base URL, never of another host."""
        links = page.get("links")
        following = links.get("next") if isinstance(links, dict) else None
        if following is None or following == "":
            return None
        params = dict(parse_qsl(urlsplit(following).query)) if isinstance(following, str) else {}
        if not params:
            raise self.http.error("the model list's links.next names no page")
        return params

    def read(self, entry: Fields) -> StatedModel | None:
        """An entry; `supported_parameters` and the input modalities give the tags."""
        model_id = entry.identifier("id")
        architecture = entry.child("architecture") or Fields({}, label=entry.label)
        if (_modalities(architecture, "output_modalities", 1) or {"text"}) != {"text"}:
            return None  # image, audio and embedding models
        inputs = _modalities(architecture, "input_modalities", 0) or frozenset({"text"})
        parameters = frozenset(entry.strings("supported_parameters") or ())
        pricing = entry.child("pricing")
        price = None if pricing is None else read_price(pricing)
        top = entry.child("top_provider") or Fields({}, label=entry.label)
        return StatedModel(
            model_id,
            display_name=entry.text("name"),
            description=entry.text("description"),
            context_window=entry.integer("context_length") or top.integer("context_length"),
            max_output_tokens=top.integer("max_completion_tokens"),
            tags={
                "tools": "tools" in parameters,
                "vision": "image" in inputs,
                "thinking": bool(parameters & {"reasoning", "include_reasoning"}),
                "json": bool(parameters & {"structured_outputs", "response_format"}),
                "caching": price is not None and price.cached_input_per_million is not None,
                "pdf": "file" in inputs,  # OpenRouter's "file" input is PDF
                "audio": "audio" in inputs,
            },
            pricing=price,
            retires_at=entry.day("expiration_date"),  # "the date after which the model may be removed"
            config=entry.raw,
        )
