"""What every adapter returns (NormalizedModel in a Listing) and the small base every adapter extends."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

import httpx

from adapters.errors import ProviderError
from adapters.http import DEFAULT_POLICY, HttpPolicy, ProviderHttp
from adapters.kinds import DEFAULT_DISPLAY_NAMES, default_base_url
from domain.capabilities import CAPABILITIES
from domain.choices import ModelStatus, ProviderKind

__all__ = ["Adapter", "Listing", "NormalizedModel", "Price", "PriceTier", "ProviderError"]


@dataclass(frozen=True)
class PriceTier:
    """The prices from a prompt size on (Anthropic and Gemini long context, OpenRouter overrides); USD per 1M."""

    min_prompt_tokens: int
    input_per_million: Decimal | None = None
    output_per_million: Decimal | None = None
    cached_input_per_million: Decimal | None = None
    cache_write_per_million: Decimal | None = None


@dataclass(frozen=True)
class Price:
    """A model's price in USD per million tokens; None is not known (all None: unpriced)."""

    input_per_million: Decimal | None = None
    output_per_million: Decimal | None = None
    cached_input_per_million: Decimal | None = None
    cache_write_per_million: Decimal | None = None
    tiers: tuple[PriceTier, ...] = ()


@dataclass(frozen=True)
class NormalizedModel:
    """One model as the catalog stores it, whichever provider listed it."""

    model_id: str
    display_name: str
    description: str | None = None
    context_window: int | None = None
    max_output_tokens: int | None = None
    supports_tools: bool = False
    supports_vision: bool = False
    capabilities: tuple[str, ...] = ()  # DESIGN's vocabulary only, in its order
    pricing: Price = field(default_factory=Price)
    status: ModelStatus = ModelStatus.ACTIVE
    deprecated_at: date | None = None
    retires_at: date | None = None
    config: dict[str, Any] = field(default_factory=dict)  # the provider's own record, JSON as it came

    def __post_init__(self) -> None:
        unknown = set(self.capabilities) - set(CAPABILITIES)
        if unknown:
            raise ValueError(f"not in the capability vocabulary: {sorted(unknown)}")
        if ("tools" in self.capabilities) != self.supports_tools or ("vision" in self.capabilities) != (
            self.supports_vision
        ):
            raise ValueError("the tools and vision tags must equal supports_tools and supports_vision")


@dataclass(frozen=True)
class Listing:
    """A provider's whole listing: its text chat models, and what was skipped and why."""

    models: tuple[NormalizedModel, ...]
    warnings: tuple[str, ...] = ()


class Adapter(abc.ABC):
    """One provider kind behind one method; built from a base URL, an API key and an httpx client."""

    kind: ClassVar[ProviderKind]

    def __init__(
        self,
        *,
        base_url: str | None,
        api_key: str | None,
        client: httpx.AsyncClient,
        policy: HttpPolicy = DEFAULT_POLICY,
    ) -> None:
        name = DEFAULT_DISPLAY_NAMES[self.kind]
        base = (base_url or "").strip() or default_base_url(self.kind)
        if not base:
            raise ProviderError("no base URL is set for this provider", provider=name)
        key = (api_key or "").strip() or None
        # A key pasted with a line break or a non-ASCII character cannot travel in a header, and
        # httpx's encoding error would quote the whole header, key included.
        if key is not None and not (key.isascii() and key.isprintable()):
            raise ProviderError("the API key contains characters an HTTP header cannot carry", provider=name)
        self.base_url = base.rstrip("/")
        self._api_key = key
        self.http = ProviderHttp(client, policy, provider=name)

    @abc.abstractmethod
    async def list_models(self) -> Listing:
        """Every text chat model the provider lists now, following every page; raises ProviderError."""
