"""Reading the catalog: filters, cursor pages, and the batch loads behind DataLoaders."""

from __future__ import annotations

import base64
import binascii
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from piccolo.columns.combination import WhereRaw
from piccolo.query.functions.aggregate import Count

from api.catalog.fields import MAX_ID
from api.catalog.rules import not_selectable_where, selectable_where, visible_where
from api.database import is_postgres
from api.errors import ValidationFailed
from api.text import storable_problem
from api.users.service import AuthenticatedUser
from domain.choices import ModelStatus
from tables.catalog import AiModel, ModelHistory, Provider
from tables.chats import Chat

__all__ = [
    "MAX_PAGE",
    "MAX_SEARCH",
    "ModelFilter",
    "Page",
    "all_models",
    "catalog_changes",
    "chat_counts",
    "default_model",
    "find_models",
    "is_row_id",
    "latest_history",
    "model_by_id",
    "model_by_universal_id",
    "model_history",
    "page_size",
    "providers_by_id",
    "selectable_models",
    "text_argument",
]

MAX_PAGE = 500
# Bounds of what a query matches against: a search is a few words (SQLite refuses a LIKE pattern of
# 50,000 characters as "too complex"); a provider key or a tag is a short slug; a cursor is ours.
MAX_SEARCH = 200
MAX_SLUG = 64
MAX_CURSOR = 512
T = TypeVar("T")


@dataclass(frozen=True)
class ModelFilter:
    """What a models query asks for; None means any."""

    provider: str | None = None
    status: ModelStatus | None = None
    enabled: bool | None = None
    is_available: bool | None = None
    selectable: bool | None = None
    supports_tools: bool | None = None
    supports_vision: bool | None = None
    capability: str | None = None
    search: str | None = None
    has_chats: bool | None = None
    min_context_window: int | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    total_count: int
    has_next_page: bool
    end_cursor: str | None


def _like_pattern(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def text_argument(field: str, value: str, limit: int = MAX_ID) -> str:
    """A string a client sends to match against stored text: at most `limit` characters, and storable."""
    if len(value) > limit:
        raise ValidationFailed.one(field, f"at most {limit} characters")
    problem = storable_problem(value)
    if problem:
        raise ValidationFailed.one(field, problem)
    return value


def _filter_where(model_filter: ModelFilter, viewer: AuthenticatedUser | None) -> list[Any]:
    where = [visible_where(viewer)]
    f = model_filter
    for name, value, limit in (
        ("provider", f.provider, MAX_SLUG),
        ("capability", f.capability, MAX_SLUG),
        ("search", f.search, MAX_SEARCH),
    ):
        if value is not None:
            text_argument(f"filter.{name}", value, limit)
    if f.provider is not None:
        where.append(AiModel.provider.key == f.provider)
    if f.status is not None:
        where.append(AiModel.status == f.status.value)
    for column, wanted in (
        (AiModel.enabled, f.enabled),
        (AiModel.is_available, f.is_available),
        (AiModel.supports_tools, f.supports_tools),
        (AiModel.supports_vision, f.supports_vision),
    ):
        if wanted is not None:
            where.append(column.eq(wanted))
    if f.selectable is not None:
        where.append(selectable_where() if f.selectable else not_selectable_where())
    if f.capability is not None:
        if is_postgres():
            where.append(WhereRaw("ai_models.capabilities::jsonb @> jsonb_build_array({}::text)", f.capability))
        else:
            where.append(
                WhereRaw("EXISTS (SELECT 1 FROM json_each(ai_models.capabilities) WHERE value = {})", f.capability)
            )
    if f.search:
        pattern = _like_pattern(f.search)
        where.append(
            WhereRaw(
                "(lower(ai_models.display_name) LIKE {} ESCAPE '\\'"
                " OR lower(ai_models.universal_model_id) LIKE {} ESCAPE '\\'"
                " OR lower(coalesce(ai_models.description, '')) LIKE {} ESCAPE '\\')",
                pattern,
                pattern,
                pattern,
            )
        )
    if f.min_context_window is not None:
        where.append(AiModel.context_window >= f.min_context_window)
    if f.has_chats is not None:
        chats = "EXISTS (SELECT 1 FROM chats WHERE chats.ai_model = ai_models.id)"
        where.append(WhereRaw(chats if f.has_chats else f"NOT {chats}"))
    return where


def encode_cursor(kind: str, value: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str) -> str:
    """The position an opaque cursor holds; VALIDATION_FAILED for one we did not give."""
    if len(cursor) > MAX_CURSOR:
        raise ValidationFailed.one("after", "not a cursor this query gave out")
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    prefix, _, value = text.partition(":")
    if prefix != kind or not value or "\x00" in value:
        raise ValidationFailed.one("after", "not a cursor this query gave out")
    return value


def page_size(first: int | None, default: int = 50) -> int:
    """`first`, capped at MAX_PAGE; null means the default."""
    if first is None:
        return default
    if first < 0:
        raise ValidationFailed.one("first", "must not be negative")
    return min(first, MAX_PAGE)


def _page(rows: list[dict[str, Any]], size: int, total: int, kind: str, key: str) -> Page[dict[str, Any]]:
    has_next = len(rows) > size
    rows = rows[:size]
    end = encode_cursor(kind, str(rows[-1][key])) if rows else None
    return Page(rows=rows, total_count=total, has_next_page=has_next, end_cursor=end)


async def find_models(
    model_filter: ModelFilter, viewer: AuthenticatedUser | None, *, first: int | None = 50, after: str | None = None
) -> Page[dict[str, Any]]:
    """A page of models matching the filter, ordered by universalModelId."""
    size = page_size(first)
    where = _filter_where(model_filter, viewer)
    total = await AiModel.count().where(*where)
    query = AiModel.select().where(*where).output(load_json=True)
    if after is not None:
        query = query.where(AiModel.universal_model_id > decode_cursor("model", after))
    rows = await query.order_by(AiModel.universal_model_id).limit(size + 1)
    return _page(rows, size, total, "model", "universal_model_id")


async def all_models(model_filter: ModelFilter, viewer: AuthenticatedUser | None = None) -> list[dict[str, Any]]:
    """Every model matching the filter, ordered by universalModelId."""
    where = _filter_where(model_filter, viewer)
    return await AiModel.select().where(*where).order_by(AiModel.universal_model_id).output(load_json=True)


async def model_by_id(model_id: int, viewer: AuthenticatedUser | None) -> dict[str, Any] | None:
    query = AiModel.select().where(AiModel.id == model_id, visible_where(viewer)).output(load_json=True)
    return await query.first()


async def model_by_universal_id(universal_model_id: str, viewer: AuthenticatedUser | None) -> dict[str, Any] | None:
    query = AiModel.select().where(AiModel.universal_model_id == universal_model_id, visible_where(viewer))
    return await query.output(load_json=True).first()


async def default_model() -> dict[str, Any] | None:
    return await AiModel.select().where(AiModel.is_default.eq(True)).output(load_json=True).first()


async def selectable_models(
    viewer: AuthenticatedUser | None, model_filter: ModelFilter | None = None
) -> list[dict[str, Any]]:
    """The viewer's picker: what they may select now, narrowed by the filter, by universalModelId."""
    where = _filter_where(model_filter or ModelFilter(), viewer)
    query = AiModel.select().where(selectable_where(), *where).order_by(AiModel.universal_model_id)
    return await query.output(load_json=True)


async def model_history(model_id: int, *, first: int | None = 50, after: str | None = None) -> Page[dict[str, Any]]:
    """A model's history, newest first."""
    size = page_size(first)
    where = [ModelHistory.model == model_id]
    total = await ModelHistory.count().where(*where)
    query = ModelHistory.select().where(*where).output(load_json=True)
    if after is not None:
        query = query.where(ModelHistory.version < _int_cursor("version", after))
    rows = await query.order_by(ModelHistory.version, ascending=False).limit(size + 1)
    return _page(rows, size, total, "version", "version")


async def catalog_changes(
    viewer: AuthenticatedUser | None, *, since: datetime | None = None, first: int | None = 50, after: str | None = None
) -> Page[dict[str, Any]]:
    """Every model's history entries, newest first."""
    size = page_size(first)
    visible = WhereRaw(
        "model_history.model IN (SELECT ai_models.id FROM ai_models WHERE {})", visible_where(viewer).querystring
    )
    where: list[Any] = [visible]
    if since is not None:
        where.append(ModelHistory.created_at >= since)
    total = await ModelHistory.count().where(*where)
    query = ModelHistory.select(*ModelHistory.all_columns()).where(*where).output(load_json=True)
    if after is not None:
        query = query.where(ModelHistory.id < _int_cursor("change", after))
    rows = await query.order_by(ModelHistory.id, ascending=False).limit(size + 1)
    return _page(rows, size, total, "change", "id")


def _int_cursor(kind: str, cursor: str) -> int:
    value = decode_cursor(kind, cursor)
    if not is_row_id(value):
        raise ValidationFailed.one("after", "not a cursor this query gave out")
    return int(value)


MAX_ROW_ID = 2**31 - 1  # the largest integer key a column holds


def is_row_id(text: str) -> bool:
    """Whether the text is a key a row could have: ASCII digits, within the column's range."""
    return text.isascii() and text.isdigit() and len(text) <= 10 and int(text) <= MAX_ROW_ID


# Batch loads for DataLoaders: one statement for every key a request asks for.


async def providers_by_id(ids: list[int]) -> list[dict[str, Any] | None]:
    rows = await Provider.select().where(Provider.id.is_in(ids)) if ids else []
    by_id = {row["id"]: row for row in rows}
    return [by_id.get(provider_id) for provider_id in ids]


async def chat_counts(model_ids: list[int]) -> list[int]:
    if not model_ids:
        return []
    rows = await Chat.select(Chat.ai_model, Count()).where(Chat.ai_model.is_in(model_ids)).group_by(Chat.ai_model)
    counts = {row["ai_model"]: row["count"] for row in rows}
    return [counts.get(model_id, 0) for model_id in model_ids]


async def latest_history(keys: list[tuple[int, int]]) -> list[list[dict[str, Any]]]:
    """For each (model id, n): the model's n newest history entries, in one statement."""
    wanted = {model_id for model_id, _ in keys}
    limit = max((n for _, n in keys), default=0)
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if wanted and limit > 0:
        placeholders = ", ".join("{}" for _ in wanted)
        rows = await ModelHistory.raw(
            "SELECT * FROM (SELECT model_history.*, ROW_NUMBER() OVER"
            " (PARTITION BY model ORDER BY version DESC) AS position"
            f" FROM model_history WHERE model IN ({placeholders})) AS ranked"
            " WHERE position <= {} ORDER BY model, version DESC",
            *wanted,
            limit,
        )
        for row in rows:
            found[row["model"]].append(row)
    return [found[model_id][:n] for model_id, n in keys]
