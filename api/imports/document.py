"""Reading import documents: our own modelcatalog/v1 and LiteLLM's price file, into plain rows.

Nothing here touches the database; the service decides what the rows change.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from adapters.kinds import DEFAULT_DISPLAY_NAMES
from api import clock
from api.catalog.fields import CONTENT_FIELDS, LOCKABLE_FIELDS, PRICE_FIELDS, RATE_FIELDS, check_values
from api.catalog.rules import change_problems, universal_id_problems
from api.errors import FieldError, ValidationFailed
from api.imports.litellm_prices import (
    LiteLLMPriceProblem,
    litellm_defaults,
    litellm_tiers,
    litellm_windows,
    per_million,
)
from api.providers.rules import PROVIDER_KEY_RULE, display_name_problem, is_provider_key, validate_base_url
from api.text import printable
from domain.capabilities import CAPABILITIES
from domain.choices import ModelStatus, ProviderKind

__all__ = [
    "CATALOG_FORMAT",
    "MAX_ROWS",
    "DocumentFormat",
    "ImportRow",
    "ParsedDocument",
    "ProviderRow",
    "RowProblem",
    "detect_format",
    "load_document",
    "parse_catalog",
    "parse_litellm",
]

CATALOG_FORMAT = "modelcatalog/v1"
MAX_ROWS = 100_000
PER_MILLION = Decimal(1_000_000)


class DocumentFormat(enum.StrEnum):
    AUTO = "AUTO"
    MODELCATALOG = "MODELCATALOG"
    LITELLM = "LITELLM"


@dataclass(frozen=True)
class ProviderRow:
    key: str
    kind: ProviderKind
    display_name: str
    base_url: str | None


@dataclass
class ImportRow:
    """One model of a document, its values keyed by field name and checked against the bounds."""

    index: int
    universal_model_id: str
    provider: str
    values: dict[str, Any]  # modelId, the content fields, status, and enabled when the document says
    source_key: str | None = None
    config: dict[str, Any] | None = None
    # A foreign file (LiteLLM) says only some things of a model: on an existing model
    # only these fields change, and never one a person locked. None: the row says everything.
    stated: frozenset[str] | None = None
    # Prices announced for later moments (the export's scheduledPrices), as price field values.
    scheduled: list[tuple[datetime, dict[str, Any]]] = field(default_factory=list)
    is_default: bool = False
    enable_new: bool = True  # a new model's `enabled` when the row does not say
    # A foreign row's vocabulary tags, true or false: on an existing model it replaces only these.
    stated_tags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RowProblem:
    index: int
    universal_model_id: str | None
    source_key: str | None
    field: str | None
    message: str


@dataclass
class ParsedDocument:
    providers: list[ProviderRow] = field(default_factory=list)
    rows: list[ImportRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    not_chat: int = 0


def load_document(document: Any) -> Any:
    """The document itself; text or bytes are read as JSON (a file's contents sent as they are)."""
    if not isinstance(document, str | bytes):
        return document
    try:
        return json.loads(document)
    except json.JSONDecodeError as problem:
        where = f"line {problem.lineno}, column {problem.colno}"
        raise ValidationFailed.one("document", f"not JSON: {problem.msg} at {where}") from None
    except (ValueError, RecursionError) as problem:  # a number of 5,000 digits, nesting thousands deep
        message = "nested too deeply" if isinstance(problem, RecursionError) else str(problem)[:200]
        raise ValidationFailed.one("document", f"not JSON this service reads: {message}") from None


def detect_format(document: Any, requested: DocumentFormat) -> DocumentFormat:
    """MODELCATALOG for a "format" tag, LITELLM for an object of litellm_provider rows."""
    if not isinstance(document, dict):
        raise ValidationFailed.one("document", f"a JSON object, not {_json_kind(document)}")
    tag = document.get("format")
    if requested is DocumentFormat.MODELCATALOG or (requested is DocumentFormat.AUTO and tag is not None):
        if tag != CATALOG_FORMAT:
            shown = json.dumps(tag)[:80] if tag is not None else "missing"
            raise ValidationFailed.one("format", f'must be "{CATALOG_FORMAT}"; it is {shown}')
        return DocumentFormat.MODELCATALOG
    if requested is DocumentFormat.LITELLM or any(
        isinstance(row, dict) and "litellm_provider" in row for row in document.values()
    ):
        return DocumentFormat.LITELLM
    raise ValidationFailed.one(
        "document", f'neither a "{CATALOG_FORMAT}" document nor LiteLLM\'s price file (no litellm_provider rows)'
    )


def _json_kind(value: Any) -> str:
    return {list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")


def _check_size(count: int) -> None:
    if count > MAX_ROWS:
        raise ValidationFailed.one("document", f"at most {MAX_ROWS:,} models in one import; this one has {count:,}")


# modelcatalog/v1

MODEL_KEYS = {
    "universalModelId",
    "provider",
    "modelId",
    "displayName",
    "description",
    "contextWindow",
    "maxOutputTokens",
    "supportsTools",
    "supportsVision",
    "capabilities",
    "speedTier",
    "costTier",
    "pricing",
    "status",
    "enabled",
    "isDefault",
    "lockedFields",
    "scheduledPrices",
}
PRICING_KEYS = {name.removeprefix("pricing.") for name in PRICE_FIELDS}
MAX_SCHEDULED = 20  # announced prices per model
DEFAULTS = {"supportsTools": False, "supportsVision": False, "capabilities": []}


def parse_catalog(document: dict[str, Any]) -> ParsedDocument:
    """A modelcatalog/v1 document's providers and models, with every problem of every row."""
    providers, models = document.get("providers", []), document.get("models")
    if not isinstance(models, list):
        raise ValidationFailed.one("models", "a list of models")
    if not isinstance(providers, list):
        raise ValidationFailed.one("providers", "a list of providers")
    _check_size(len(models))
    parsed = ParsedDocument(providers=_catalog_providers(providers))
    for index, model in enumerate(models):
        row, problems = _catalog_row(index, model)
        parsed.problems += problems
        if row is not None:
            parsed.rows.append(row)
    _drop_duplicates(parsed)
    return parsed


def _drop_duplicates(parsed: ParsedDocument) -> None:
    """A second row of a universalModelId becomes a problem naming the first."""
    first: dict[str, ImportRow] = {}
    kept = []
    for row in parsed.rows:
        earlier = first.setdefault(row.universal_model_id, row)
        if earlier is row:
            kept.append(row)
            continue
        where = f"row {earlier.index}" + (f' ("{earlier.source_key}")' if earlier.source_key else "")
        parsed.problems.append(
            RowProblem(
                row.index, row.universal_model_id, row.source_key, "universalModelId", f"the same model as {where}"
            )
        )
    parsed.rows = kept
    parsed.problems.sort(key=lambda problem: problem.index)


def _catalog_providers(entries: list[Any]) -> list[ProviderRow]:
    rows, problems = [], []
    for index, entry in enumerate(entries):
        where = f"providers.{index}"
        if not isinstance(entry, dict):
            problems.append(FieldError(where, "an object with key and kind"))
            continue
        key, kind = entry.get("key"), entry.get("kind")
        if not is_provider_key(key):
            problems.append(FieldError(f"{where}.key", PROVIDER_KEY_RULE))
            continue
        if not isinstance(kind, str) or kind not in ProviderKind.__members__:
            problems.append(FieldError(f"{where}.kind", "one of " + ", ".join(ProviderKind)))
            continue
        name = entry.get("displayName") or DEFAULT_DISPLAY_NAMES[ProviderKind(kind)]
        base_url = entry.get("baseUrl")
        try:
            name_problem = display_name_problem(name)
            if name_problem:
                raise ValidationFailed.one(f"{where}.displayName", name_problem)
            if base_url is not None:
                base_url = validate_base_url(str(base_url), f"{where}.baseUrl")
        except ValidationFailed as problem:
            problems += problem.fields
            continue
        assert isinstance(key, str) and isinstance(name, str)
        rows.append(ProviderRow(key, ProviderKind(kind), name.strip(), base_url))
    if problems:
        raise ValidationFailed(problems)
    return rows


def _catalog_row(index: int, model: Any) -> tuple[ImportRow | None, list[RowProblem]]:
    if not isinstance(model, dict):
        return None, [RowProblem(index, None, None, None, "a model is a JSON object")]
    universal = model.get("universalModelId")
    universal = printable(universal) if isinstance(universal, str) else None

    def problem(field: str | None, message: str) -> RowProblem:
        return RowProblem(index, universal, None, field, message)

    problems = [
        problem(printable(str(key)[:100]), "not a field of a modelcatalog/v1 model")
        for key in model
        if key not in MODEL_KEYS
    ]
    problems += [
        problem(key, "required")
        for key in ("universalModelId", "provider", "modelId", "displayName")
        if key not in model
    ]
    values = {name: model.get(name, DEFAULTS.get(name)) for name in ("universalModelId", "modelId", *CONTENT_FIELDS)}
    pricing, pricing_problems = _pricing_of(model.get("pricing"), "pricing")
    problems += [problem(where, message) for where, message in pricing_problems]
    values.update(pricing)
    status = model.get("status", ModelStatus.ACTIVE.value)
    values["status"] = status
    values["enabled"] = model.get("enabled", status != ModelStatus.ARCHIVED.value)
    locked = model.get("lockedFields")
    if locked is not None and (
        not isinstance(locked, list) or not all(isinstance(name, str) and name in LOCKABLE_FIELDS for name in locked)
    ):
        problems.append(problem("lockedFields", 'a list of lockable field names, e.g. "pricing.inputPerMillion"'))
    is_default = model.get("isDefault", False)
    if not isinstance(is_default, bool):
        problems.append(problem("isDefault", "true or false"))
        is_default = False
    scheduled = []
    entries = model.get("scheduledPrices", [])
    if not isinstance(entries, list) or len(entries) > MAX_SCHEDULED:
        problems.append(
            problem("scheduledPrices", f"a list of at most {MAX_SCHEDULED} prices, each with effectiveFrom")
        )
        entries = []
    for number, entry in enumerate(entries):
        where = f"scheduledPrices.{number}"
        if not isinstance(entry, dict):
            problems.append(problem(where, "a price with effectiveFrom"))
            continue
        moment, moment_problem = _later_moment(entry.get("effectiveFrom"))
        if moment_problem:
            problems.append(problem(f"{where}.effectiveFrom", moment_problem))
        later, later_problems = _pricing_of({k: v for k, v in entry.items() if k != "effectiveFrom"}, where)
        checked, checked_problems = check_values(later)
        problems += [problem(w, m) for w, m in later_problems]
        problems += [problem(p.field.replace("pricing", where, 1), p.message) for p in checked_problems]
        if moment is not None and not later_problems and not checked_problems:
            scheduled.append((moment, checked))
    provider = model.get("provider")
    if not is_provider_key(provider):
        problems.append(problem("provider", "a provider key"))
    clean, field_problems = check_values(values)
    reported = {known.field for known in problems}
    problems += [problem(p.field, p.message) for p in field_problems if p.field not in reported]
    if not problems:
        problems += [problem(p.field, p.message) for p in change_problems(None, clean)]
    if not problems:
        problems += [
            problem(p.field, p.message) for p in universal_id_problems(clean["universalModelId"], str(provider))
        ]
    if problems:
        return None, problems
    if locked is not None:
        clean["lockedFields"] = list(dict.fromkeys(locked))
    row = ImportRow(index, clean.pop("universalModelId"), str(provider), clean, scheduled=scheduled)
    row.is_default = is_default
    return row, []


def _pricing_of(pricing: Any, where: str) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """A document's pricing object as price field values, and what is wrong with its keys."""
    if pricing is not None and not isinstance(pricing, dict):
        return {}, [(where, "an object of inputPerMillion, outputPerMillion, cachedInputPerMillion, ...")]
    problems = [
        (f"{where}.{printable(str(key)[:100])}", "not a price of a modelcatalog/v1 model")
        for key in pricing or {}
        if key not in PRICING_KEYS
    ]
    return {name: (pricing or {}).get(name.removeprefix("pricing.")) for name in PRICE_FIELDS}, problems


def _later_moment(value: Any) -> tuple[datetime | None, str | None]:
    """A scheduled price's moment: an ISO 8601 time with its zone, later than now."""
    rule = 'an ISO 8601 moment with its zone, e.g. "2027-01-01T00:00:00Z"'
    if not isinstance(value, str):
        return None, rule
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None, rule
    if moment.tzinfo is None:
        return None, rule
    if moment.astimezone(UTC) <= clock.now():
        return None, "has passed: a price already in force is the model's pricing; export again"
    return moment.astimezone(UTC), None


# LiteLLM's model_prices_and_context_window.json

LITELLM_KINDS = {
    "openai": ProviderKind.OPENAI,
    "anthropic": ProviderKind.ANTHROPIC,
    "gemini": ProviderKind.GOOGLE,
    "groq": ProviderKind.GROQ,
    "mistral": ProviderKind.MISTRAL,
    "openrouter": ProviderKind.OPENROUTER,
    "ollama": ProviderKind.OLLAMA,
}
FLAGS = {"supports_function_calling": "supportsTools", "supports_vision": "supportsVision"}
LITELLM_PRICES = {
    "input_cost_per_token": "pricing.inputPerMillion",
    "output_cost_per_token": "pricing.outputPerMillion",
    "cache_read_input_token_cost": "pricing.cachedInputPerMillion",
    "cache_creation_input_token_cost": "pricing.cacheWritePerMillion",
}
# LiteLLM's supports_* flags onto the one vocabulary (DESIGN "Rules"); tools and vision follow the flags above.
TAGS = {
    "supports_function_calling": "tools",
    "supports_vision": "vision",
    "supports_reasoning": "thinking",
    "supports_response_schema": "json",
    "supports_prompt_caching": "caching",
    "supports_pdf_input": "pdf",
    "supports_audio_input": "audio",
    "supports_web_search": "web_search",
    "supports_computer_use": "computer_use",
}
# The first-party Gemini API is one provider, whichever list named it.
LITELLM_PROVIDER_KEYS = {"gemini": "google"}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class _Skip(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def parse_litellm(document: dict[str, Any], *, today: date) -> ParsedDocument:
    """LiteLLM's chat rows mapped to our fields; rows that break a rule are problems, the rest rows."""
    _check_size(len(document))
    parsed = ParsedDocument()
    providers: dict[str, ProviderRow] = {}
    for index, (key, entry) in enumerate(document.items()):
        if not isinstance(entry, dict) or entry.get("mode") != "chat":
            if isinstance(entry, dict) or key == "sample_spec":
                parsed.not_chat += 1
            else:
                parsed.problems.append(RowProblem(index, None, printable(key), None, "a row is a JSON object"))
            continue
        provider = entry.get("litellm_provider")
        universal = None
        try:
            if not isinstance(provider, str) or not is_provider_key(provider):
                raise _Skip("litellm_provider", "a provider name of lower-case letters, digits or . _ -")
            model_id = key.removeprefix(f"{provider}/")
            catalog_key = LITELLM_PROVIDER_KEYS.get(provider, provider)
            universal = f"{catalog_key}:{model_id}"
            values, stated, stated_tags = _litellm_values(model_id, universal, entry, today, provider)
        except _Skip as skip:
            shown = printable(universal) if universal is not None else None
            parsed.problems.append(RowProblem(index, shown, printable(key), skip.field, skip.message))
            continue
        kind = LITELLM_KINDS.get(provider, ProviderKind.OPENAI_COMPATIBLE)
        name = DEFAULT_DISPLAY_NAMES[kind] if provider in LITELLM_KINDS else provider
        providers.setdefault(catalog_key, ProviderRow(catalog_key, kind, name, None))
        row = ImportRow(index, universal, catalog_key, values, key, config=entry, stated=stated)
        row.stated_tags = stated_tags
        parsed.rows.append(row)
    parsed.providers = sorted(providers.values(), key=lambda p: p.key)
    _drop_duplicates(parsed)
    return parsed


def _litellm_values(
    model_id: str, universal: str, entry: dict[str, Any], today: date, provider: str
) -> tuple[dict[str, Any], frozenset[str], frozenset[str]]:
    """Our fields from a chat row, the names of those the row states, and the vocabulary tags it states."""
    context = entry.get("max_input_tokens")
    if context is None:
        context = entry.get("max_tokens")
    values: dict[str, Any] = {
        "universalModelId": universal,
        "modelId": model_id,
        "displayName": model_id[:200],
        "contextWindow": context,
        "maxOutputTokens": entry.get("max_output_tokens"),
        "supportsTools": False,
        "supportsVision": False,
    }
    stated = {"modelId"}
    if context is not None:
        stated.add("contextWindow")
    if entry.get("max_output_tokens") is not None:
        stated.add("maxOutputTokens")
    tags: list[str] = []
    stated_tags: set[str] = set()
    for name, flag in entry.items():
        if not name.startswith("supports_"):
            continue
        if not isinstance(flag, bool):
            raise _Skip(name, "true or false")
        if name in FLAGS:
            values[FLAGS[name]] = flag
            stated.add(FLAGS[name])
        tag = TAGS.get(name)
        if tag is not None:  # the rest of LiteLLM's flags stay in config only
            stated_tags.add(tag)
            if flag:
                tags.append(tag)
    values["capabilities"] = [tag for tag in CAPABILITIES if tag in tags]
    if stated_tags:
        stated.add("capabilities")
    try:
        prices, price_fields = _litellm_prices(entry, provider)
    except LiteLLMPriceProblem as problem:
        raise _Skip(problem.source, str(problem)) from None
    values.update(prices)
    stated |= price_fields
    archived = _is_past(entry.get("deprecation_date"), today)
    values["status"] = ModelStatus.ARCHIVED if archived else ModelStatus.ACTIVE
    if archived:
        stated.add("status")  # a file never restores a model: an admin does
    clean, problems = check_values(values)
    if problems:
        first = problems[0]
        price_source = {target: source for source, target in LITELLM_PRICES.items()}.get(first.field)
        if price_source is None or price_source not in entry:
            raise _Skip(_source_name(first.field, entry), first.message)
        raise _Skip(
            price_source,
            f"{entry[price_source]!r} per token is {Decimal(values[first.field]):,f} US dollars per million tokens:"
            f" {first.message}",
        )
    clean.pop("universalModelId")
    return clean, frozenset(stated), frozenset(stated_tags)


def _litellm_prices(entry: dict[str, Any], provider: str) -> tuple[dict[str, Any], set[str]]:
    """The price fields a row gives (rates, tiers, windows), and those it states."""
    values: dict[str, Any] = {
        target: per_million(source, entry.get(source)) for source, target in LITELLM_PRICES.items()
    }
    stated = {target for source, target in LITELLM_PRICES.items() if source in entry}
    defaults = litellm_defaults({name.removeprefix("pricing."): values[name] for name in RATE_FIELDS}, provider)
    values.update({f"pricing.{name}": rate for name, rate in defaults.items()})
    base, tiers = litellm_tiers(entry, provider)
    if base is not None:
        values.update({f"pricing.{name}": rate for name, rate in base.items()})
        stated |= set(RATE_FIELDS)
    values["pricing.tiers"] = tiers
    values["pricing.windows"] = litellm_windows(entry)
    if stated:
        stated |= {"pricing.tiers", "pricing.windows"}  # a row that states a price states all of it
    return values, stated


def _source_name(field: str, entry: dict[str, Any]) -> str:
    if field == "universalModelId":
        return "key"
    if field == "contextWindow":
        return "max_input_tokens" if "max_input_tokens" in entry else "max_tokens"
    return {"maxOutputTokens": "max_output_tokens"}.get(field, field)


def _is_past(deprecation: Any, today: date) -> bool:
    if deprecation is None:
        return False
    if not isinstance(deprecation, str) or not DATE.match(deprecation):
        raise _Skip("deprecation_date", "a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(deprecation) < today
    except ValueError:
        raise _Skip("deprecation_date", "a date written YYYY-MM-DD") from None
