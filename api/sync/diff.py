"""What a provider's listing would change in the catalog: new, updated, archived, restored, and the guards.

Pure functions over plain values: the service reads the rows and the listing,
this module compares them, the writer writes what an admin applies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from adapters.base import NormalizedModel, PriceTier
from api.catalog.fields import check_values, json_value, values_of
from api.catalog.history import field_changes
from api.catalog.rules import without_locked
from domain.capabilities import is_capability
from domain.choices import ModelStatus

__all__ = [
    "PRICE_MOVE_GUARD",
    "Candidate",
    "ProviderDiff",
    "Update",
    "candidate",
    "compute_diff",
    "fingerprint",
    "listed_values",
    "merged_values",
]

PRICE_MOVE_GUARD = Decimal(10)  # a price that moves by more than this factor is a units mistake until reviewed


@dataclass(frozen=True)
class Candidate:
    """A model as the provider lists it, in the catalog's terms: values by field name, and the raw record."""

    universal_model_id: str
    model_id: str
    values: dict[str, Any]  # the fields the provider states, checked by the catalog's bounds
    status: ModelStatus
    config: dict[str, Any]


@dataclass(frozen=True)
class Update:
    """A catalog row, what the provider says of it now, and the field changes that makes."""

    row: Mapping[str, Any]
    candidate: Candidate
    values: dict[str, Any]  # what would be written: the changed fields, locked ones left out
    changes: list[dict[str, Any]]


@dataclass
class ProviderDiff:
    provider: str
    fingerprint: str
    new: list[Candidate] = field(default_factory=list)
    updated: list[Update] = field(default_factory=list)
    archived: list[Mapping[str, Any]] = field(default_factory=list)
    restored: list[tuple[Mapping[str, Any], Candidate]] = field(default_factory=list)
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)
    # The guards that tripped, so the unattended path knows what not to apply.
    empty_listing: bool = False
    mass_archive: bool = False
    price_jumps: set[str] = field(default_factory=set)  # universalModelIds


def fingerprint(rows: Iterable[Mapping[str, Any]]) -> str:
    """A digest of the provider's rows in the catalog: any change to any of them (a version) changes it."""
    lines = sorted(f"{row['id']}:{row['version']}:{row['universal_model_id']}" for row in rows)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def listed_values(model: NormalizedModel) -> dict[str, Any]:
    """The fields a listing states, by field name; what it leaves unknown (None) it does not state."""
    price = model.pricing
    values: dict[str, Any] = {
        "displayName": model.display_name,
        "description": model.description,
        "contextWindow": model.context_window,
        "maxOutputTokens": model.max_output_tokens,
        "supportsTools": model.supports_tools,
        "supportsVision": model.supports_vision,
        "capabilities": list(model.capabilities),
        "pricing.inputPerMillion": price.input_per_million,
        "pricing.outputPerMillion": price.output_per_million,
        "pricing.cachedInputPerMillion": price.cached_input_per_million,
        "pricing.cacheWritePerMillion": price.cache_write_per_million,
    }
    stated = {name: value for name, value in values.items() if value is not None}
    if any(name.startswith("pricing.") for name in stated):
        # A listing that states a price states its tiers too (OpenRouter's pricing.overrides; none is none).
        stated["pricing.tiers"] = [_tier_json(tier) for tier in price.tiers]
    return stated


def _tier_json(tier: PriceTier) -> dict[str, Any]:
    rates = {
        "inputPerMillion": tier.input_per_million,
        "outputPerMillion": tier.output_per_million,
        "cachedInputPerMillion": tier.cached_input_per_million,
        "cacheWritePerMillion": tier.cache_write_per_million,
    }
    return {"minPromptTokens": tier.min_prompt_tokens, **{name: json_value(rate) for name, rate in rates.items()}}


def candidate(
    provider: str, model_id: str, values: Mapping[str, Any], status: ModelStatus, config: Mapping[str, Any]
) -> tuple[Candidate | None, list[str]]:
    """The listed model checked by the catalog's bounds; a value out of them is left out with a warning."""
    clean, problems = check_values({"modelId": model_id, **values})
    warnings = [f"{provider}:{model_id}: {p.field} left out ({p.message})" for p in problems if p.field != "modelId"]
    if "modelId" not in clean:
        return None, [f"{provider}: a model id the catalog cannot hold was skipped"]
    clean.pop("modelId")
    universal = f"{provider}:{model_id}"
    return Candidate(universal, model_id, clean, status, dict(config)), warnings


def merged_values(row: Mapping[str, Any], listed: Mapping[str, Any]) -> dict[str, Any]:
    """What the row's fields become: the listing's statements; an admin's own tags (outside the vocabulary) stay."""
    values = dict(listed)
    if "capabilities" in values:
        own = [tag for tag in row["capabilities"] if not is_capability(tag)]
        values["capabilities"] = list(values["capabilities"]) + [t for t in own if t not in values["capabilities"]]
    return values


def _price_jump(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    for name in ("pricing.inputPerMillion", "pricing.outputPerMillion"):
        old, new = before.get(name), after.get(name)
        if old is None or new is None or old == new:
            continue
        low, high = sorted((Decimal(old), Decimal(new)))
        if low == 0 or high / low > PRICE_MOVE_GUARD:
            return True
    return False


def compute_diff(
    provider: str,
    rows: Sequence[Mapping[str, Any]],
    listing: Sequence[Candidate],
    listing_warnings: Sequence[str] = (),
) -> ProviderDiff:
    """Compare the provider's public rows with its listing; an id differing only in case is the same model."""
    diff = ProviderDiff(provider, fingerprint(rows), warnings=list(listing_warnings))
    exact = {row["universal_model_id"]: row for row in rows}
    folded = {row["universal_model_id"].lower(): row for row in rows}
    seen: set[int] = set()
    for found in listing:
        row = exact.get(found.universal_model_id) or folded.get(found.universal_model_id.lower())
        if row is None:
            if found.status is ModelStatus.ACTIVE:  # a model already retired is not worth adding
                diff.new.append(found)
            continue
        seen.add(row["id"])
        _compare(diff, row, found)
    active = [row for row in rows if row["status"] == ModelStatus.ACTIVE.value]
    diff.archived += [row for row in active if row["id"] not in seen]
    _guard(diff, listing, active)
    return diff


def _compare(diff: ProviderDiff, row: Mapping[str, Any], found: Candidate) -> None:
    archived = row["status"] == ModelStatus.ARCHIVED.value
    if found.status is ModelStatus.ARCHIVED:
        if not archived:
            diff.archived.append(row)
        else:
            diff.unchanged += 1
        return
    if archived:
        if row["archived_by_sync"]:
            diff.restored.append((row, found))
        else:
            diff.unchanged += 1  # an admin archived it: it stays archived, whatever the provider lists
        return
    wanted = without_locked(row, merged_values(row, found.values))
    if found.universal_model_id != row["universal_model_id"]:
        wanted.update(universalModelId=found.universal_model_id, modelId=found.model_id)
    current = values_of(row)
    changes = field_changes(current, wanted)
    if not changes:
        diff.unchanged += 1
        return
    changed = {change["field"] for change in changes}
    diff.updated.append(Update(row, found, {k: v for k, v in wanted.items() if k in changed}, changes))
    if _price_jump(current, wanted):
        diff.price_jumps.add(row["universal_model_id"])
        diff.warnings.append(f"the price of {row['universal_model_id']} moves by more than {PRICE_MOVE_GUARD}x")


def _guard(diff: ProviderDiff, listing: Sequence[Candidate], active: Sequence[Mapping[str, Any]]) -> None:
    if not listing:
        diff.empty_listing = True
        diff.warnings.append(f"{diff.provider} listed no models; nothing is archived until an admin reviews it")
    elif active and len(diff.archived) * 2 > len(active):
        diff.mass_archive = True
        diff.warnings.append(
            f"{diff.provider} would archive {len(diff.archived)} of its {len(active)} active models (more than half)"
        )
