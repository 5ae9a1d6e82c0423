"""Backfilling chats' ai_model from the strings chats stored before models had rows.

Legacy chats named their model in the forms found in the wild: "openai" +
"gpt-4o-mini", "openai/gpt-4o-mini", "openai:gpt-4o-mini", a provider's numeric
id ("1" + "gpt-4o-mini", "2/claude-3-haiku"), in any letter case and with stray
spaces. `resolve` maps one such pair onto a public model of the catalog, or says
why it cannot; it never guesses a provider from the model id alone.

`backfill_chats` walks the unmapped chats in id order, a batch at a time, and
links each batch with one UPDATE, so a million chats never sit in memory. Only
chats without a model are touched, so a re-run (or one after an interruption)
picks up what is left and changes nothing already linked.
"""

from __future__ import annotations

import enum
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from api.catalog.rules import is_selectable, visible_where
from api.errors import ValidationFailed
from tables.catalog import AiModel, Provider
from tables.chats import Chat

__all__ = [
    "DEFAULT_BATCH",
    "MAX_BATCH",
    "BackfillReport",
    "Candidate",
    "LegacyCatalog",
    "Unmapped",
    "backfill_chats",
    "legacy_key",
    "load_catalog",
    "resolve",
]

DEFAULT_BATCH = 5_000
# Two parameters per chat in the UPDATE: within SQLite's and PostgreSQL's 32,766.
MAX_BATCH = 10_000
# Distinct unmappable strings kept by name; beyond this they are counted together,
# so a table of unique garbage cannot fill memory.
MAX_GROUPS = 1_000
SEPARATORS = ("/", ":")
# Names a provider goes by in the wild that are not its key (DESIGN: Gemini's API is provider "google").
PROVIDER_ALIASES = {"gemini": "google"}


class Unmapped(enum.StrEnum):
    """Why a legacy string names no model."""

    EMPTY = "no model named"
    NO_PROVIDER = "no provider named"
    UNKNOWN_PROVIDER = "unknown provider"
    UNKNOWN_MODEL = "no such model at the provider"
    PROVIDER_MISMATCH = "the model is another provider's"
    AMBIGUOUS = "several models match"


@dataclass(frozen=True)
class Candidate:
    """A model a legacy name may mean: its own spelling of the name, and its row."""

    name: str
    row_id: int
    canonical: bool = True


@dataclass(frozen=True)
class LegacyCatalog:
    """The public catalog, indexed the ways legacy strings name a model."""

    provider_by_key: Mapping[str, int]  # casefolded key
    provider_ids: frozenset[int]
    by_model_id: Mapping[tuple[int, str], tuple[Candidate, ...]]  # by (provider, casefolded model id)
    by_universal_id: Mapping[str, tuple[Candidate, ...]]  # by casefolded universalModelId
    model_ids: frozenset[str]  # casefolded, of every provider
    selectable: frozenset[int]

    @classmethod
    def build(cls, providers: Iterable[Mapping[str, Any]], models: Iterable[Mapping[str, Any]]) -> LegacyCatalog:
        """The index of provider rows (id, key) and model rows (id, provider, model_id, universal_model_id...)."""
        providers = list(providers)
        keys = {row["id"]: row["key"] for row in providers}
        by_model_id: dict[tuple[int, str], list[Candidate]] = defaultdict(list)
        by_universal_id: dict[str, list[Candidate]] = defaultdict(list)
        selectable: set[int] = set()
        for row in models:
            universal, model_id = row["universal_model_id"], row["model_id"]
            canonical = universal == f"{keys.get(row['provider'])}:{model_id}"
            by_model_id[(row["provider"], model_id.casefold())].append(Candidate(model_id, row["id"], canonical))
            by_universal_id[universal.casefold()].append(Candidate(universal, row["id"]))
            if is_selectable(row):
                selectable.add(row["id"])
        return cls(
            provider_by_key={row["key"].casefold(): row["id"] for row in providers},
            provider_ids=frozenset(row["id"] for row in providers),
            by_model_id={key: tuple(found) for key, found in by_model_id.items()},
            by_universal_id={key: tuple(found) for key, found in by_universal_id.items()},
            model_ids=frozenset(model_id for _, model_id in by_model_id),
            selectable=frozenset(selectable),
        )

    def provider(self, text: str) -> int | None:
        """The provider a legacy string names: its key in any case, an alias, or its numeric id."""
        folded = text.casefold()
        found = self.provider_by_key.get(folded) or self.provider_by_key.get(PROVIDER_ALIASES.get(folded, ""))
        if found is None and text.isascii() and text.isdigit() and int(text) in self.provider_ids:
            found = int(text)
        return found

    def is_model_id(self, text: str) -> bool:
        """Whether some provider has a model with this id (in any case)."""
        return text.casefold() in self.model_ids


def _one(candidates: tuple[Candidate, ...], text: str) -> int | Unmapped | None:
    """The match spelled exactly as given, else the only one in another case.

    Among several (a duplicated model keeps its model id under a universalModelId
    of its own), the one whose universalModelId is "<provider>:<model id>".
    """
    for matches in ([c for c in candidates if c.name == text], list(candidates)):
        if len(matches) > 1:
            matches = [c for c in matches if c.canonical] or matches
        if len(matches) == 1:
            return matches[0].row_id
        if matches:
            return Unmapped.AMBIGUOUS
    return None


def _split(text: str) -> tuple[str, str] | None:
    """("openai", "gpt-4o") from "openai/gpt-4o" or "openai:gpt-4o", at the first separator."""
    positions = [text.find(separator) for separator in SEPARATORS if separator in text]
    if not positions:
        return None
    at = min(positions)
    head, tail = text[:at].strip(), text[at + 1 :].strip()
    return (head, tail) if head and tail else None


def _at_provider(catalog: LegacyCatalog, provider_id: int, name: str) -> int | Unmapped:
    found = _one(catalog.by_model_id.get((provider_id, name.casefold()), ()), name)
    if found is not None:
        return found
    split = _split(name)
    if split is not None:
        named = catalog.provider(split[0])
        if named == provider_id:  # "openai" + "openai/gpt-4o": the provider said twice
            return _at_provider(catalog, provider_id, split[1])
        if named is not None and _one(catalog.by_model_id.get((named, split[1].casefold()), ()), split[1]):
            return Unmapped.PROVIDER_MISMATCH
    if catalog.is_model_id(name):
        return Unmapped.PROVIDER_MISMATCH
    return Unmapped.UNKNOWN_MODEL


def _clean(text: str | None) -> str:
    return (text or "").strip()


def resolve(provider: str | None, name: str | None, catalog: LegacyCatalog) -> int | Unmapped:
    """The id of the model a legacy (provider, model name) pair names, or why there is none."""
    provider, name = _clean(provider), _clean(name)
    if not name:
        return Unmapped.EMPTY
    if provider:
        provider_id = catalog.provider(provider)
        return Unmapped.UNKNOWN_PROVIDER if provider_id is None else _at_provider(catalog, provider_id, name)
    found = _one(catalog.by_universal_id.get(name.casefold(), ()), name)
    if found is not None:
        return found
    split = _split(name)
    if split is None:
        return Unmapped.NO_PROVIDER
    provider_id = catalog.provider(split[0])
    if provider_id is None:
        # "llama3.2:3b" is a model id with a tag, not provider "llama3.2".
        return Unmapped.NO_PROVIDER if catalog.is_model_id(name) else Unmapped.UNKNOWN_PROVIDER
    return _at_provider(catalog, provider_id, split[1])


def legacy_key(provider: str | None, name: str | None) -> str:
    """A legacy pair as one string for reports: trimmed, lower case, "provider/name"."""
    parts = [part for part in (_clean(provider).casefold(), _clean(name).casefold()) if part]
    return "/".join(parts) or "(empty)"


async def load_catalog() -> LegacyCatalog:
    """The public providers and models, in two statements; archived models too, since old chats used them."""
    providers = await Provider.select(Provider.id, Provider.key)
    models = await AiModel.select(
        AiModel.id,
        AiModel.provider,
        AiModel.model_id,
        AiModel.universal_model_id,
        AiModel.status,
        AiModel.enabled,
        AiModel.is_available,
    ).where(visible_where(None))
    return LegacyCatalog.build(providers, models)


@dataclass
class BackfillReport:
    """What a backfill run did (or, on a dry run, would do)."""

    dry_run: bool
    already_linked: int = 0  # chats that had a model before the run
    examined: int = 0  # chats without a model that name one in legacy strings
    mapped: int = 0
    not_selectable: int = 0  # of the mapped: on a model archived, disabled or unavailable now
    unmapped: int = 0
    batches: int = 0
    groups: Counter[tuple[Unmapped, str]] = field(default_factory=Counter)

    def add_unmapped(self, reason: Unmapped, legacy: str) -> None:
        self.unmapped += 1
        if (reason, legacy) not in self.groups and len(self.groups) >= MAX_GROUPS:
            legacy = "(other strings)"
        self.groups[(reason, legacy)] += 1

    def unmapped_groups(self) -> list[tuple[Unmapped, str, int]]:
        """(why, legacy string, chats), most chats first."""
        return [(reason, legacy, count) for (reason, legacy), count in self.groups.most_common()]


def _legacy_unmapped() -> Any:
    # The predicate of the partial index chats_legacy_unmapped, so the walk reads that index.
    return Chat.ai_model.is_null() & (Chat.model_provider.is_not_null() | Chat.model_name.is_not_null())


async def _link(pairs: list[tuple[int, int]]) -> int:
    """Set each (chat, model) in one statement; a chat that got a model meanwhile keeps it."""
    values = ", ".join("(CAST({} AS INTEGER), CAST({} AS INTEGER))" for _ in pairs)
    # updated_at stays: it orders people's chat lists, and a backfill is no activity of theirs.
    rows = await Chat.raw(
        f"UPDATE chats SET ai_model = mapped.column2 FROM (VALUES {values}) AS mapped"
        " WHERE chats.id = mapped.column1 AND chats.ai_model IS NULL RETURNING chats.id",
        *(value for pair in pairs for value in pair),
    )
    return len(rows)


Progress = Callable[[int, int], None]


async def backfill_chats(
    *, dry_run: bool = False, batch_size: int = DEFAULT_BATCH, progress: Progress | None = None
) -> BackfillReport:
    """Map every unmapped chat's legacy strings to its model, a batch at a time; report what could not be."""
    if not 1 <= batch_size <= MAX_BATCH:
        raise ValidationFailed.one("batchSize", f"between 1 and {MAX_BATCH:,}")
    catalog = await load_catalog()
    report = BackfillReport(dry_run=dry_run, already_linked=await Chat.count().where(Chat.ai_model.is_not_null()))
    total = await Chat.count().where(_legacy_unmapped())
    resolved: dict[tuple[str | None, str | None], int | Unmapped] = {}
    last_id = 0
    while True:
        rows = (
            await Chat.select(Chat.id, Chat.model_provider, Chat.model_name)
            .where(_legacy_unmapped(), Chat.id > last_id)
            .order_by(Chat.id)
            .limit(batch_size)
        )
        if not rows:
            break
        last_id = rows[-1]["id"]
        pairs = []
        for row in rows:
            legacy = (row["model_provider"], row["model_name"])
            if legacy not in resolved:
                if len(resolved) >= MAX_GROUPS * 10:
                    resolved.clear()  # a memo, not a store: bounded like the report
                resolved[legacy] = resolve(*legacy, catalog)
            found = resolved[legacy]
            if isinstance(found, Unmapped):
                report.add_unmapped(found, legacy_key(*legacy))
            else:
                pairs.append((row["id"], found))
                report.not_selectable += found not in catalog.selectable
        linked = len(pairs) if dry_run or not pairs else await _link(pairs)
        report.mapped += linked
        report.examined += len(rows)
        report.batches += 1
        if progress is not None:
            progress(report.examined, total)
    return report
