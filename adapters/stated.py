"""What one source states about a model (a provider's API, a hand-kept file), and how the two become one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from adapters.base import NormalizedModel, Price
from domain.capabilities import CAPABILITIES
from domain.choices import ModelStatus

__all__ = ["StatedModel", "merge", "normalize"]


@dataclass(frozen=True)
class StatedModel:
    """A model as one source states it; None (or a tag left out) is "not stated"."""

    model_id: str
    display_name: str | None = None
    description: str | None = None
    context_window: int | None = None
    max_output_tokens: int | None = None
    tags: Mapping[str, bool] = field(default_factory=dict)  # vocabulary tag -> supported, where stated
    pricing: Price | None = None
    archived: bool = False  # the provider's own flag (Groq active: false, Anthropic lifecycle)
    deprecated_at: date | None = None
    retires_at: date | None = None
    config: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.tags) - set(CAPABILITIES)
        if unknown:
            raise ValueError(f"not in the capability vocabulary: {sorted(unknown)}")


def merge(api: StatedModel, known: StatedModel | None) -> StatedModel:
    """The API's statement completed by the hand-kept one: the API wins wherever it states a value."""
    if known is None:
        return api
    values = {
        each.name: getattr(known, each.name) if getattr(api, each.name) is None else getattr(api, each.name)
        for each in fields(StatedModel)
    }
    values["tags"] = {**known.tags, **api.tags}
    return StatedModel(**values)


def normalize(stated: StatedModel, *, today: date) -> NormalizedModel:
    """The NormalizedModel for a statement; a deprecation or retirement on or before today archives it."""
    ended = any(day is not None and day <= today for day in (stated.deprecated_at, stated.retires_at))
    return NormalizedModel(
        model_id=stated.model_id,
        display_name=stated.display_name or stated.model_id,
        description=stated.description,
        context_window=stated.context_window,
        max_output_tokens=stated.max_output_tokens,
        supports_tools=stated.tags.get("tools", False),
        supports_vision=stated.tags.get("vision", False),
        capabilities=tuple(tag for tag in CAPABILITIES if stated.tags.get(tag)),
        pricing=stated.pricing or Price(),
        status=ModelStatus.ARCHIVED if stated.archived or ended else ModelStatus.ACTIVE,
        deprecated_at=stated.deprecated_at,
        retires_at=stated.retires_at,
        config=dict(stated.config),
    )
