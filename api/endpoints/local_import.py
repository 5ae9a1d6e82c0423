"""The move away from localStorage: a browser's list of endpoints becomes a user's endpoints, all or nothing.

The list is `[{name, baseUrl, apiKey, isActive, availableModels}]`, as the chat
front end kept it. Every row is checked first (names, keys, the URL policy);
one bad row means nothing is written, and every bad row is reported with its
index and field, never with its key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from api.database import retrying, transaction
from api.endpoints.rules import MAX_ENDPOINTS_PER_USER
from api.endpoints.service import (
    EndpointChanges,
    check_changes,
    insert_endpoint,
    new_endpoint_values,
    room_for,
)
from api.endpoints.url_policy import UrlPolicy
from api.errors import BlockedUrl, NotFound, ValidationFailed
from api.secrets import SecretBox
from api.text import identifier_problem
from domain.choices import EndpointType
from tables.endpoints import LocalEndpoint
from tables.users import User

__all__ = ["MAX_ROWS", "LocalImport", "RowProblem", "import_local_endpoints"]

MAX_ROWS = MAX_ENDPOINTS_PER_USER
MAX_LISTED_MODELS = 1000
MAX_MODEL_ID = 256
# The names the front end's settings used for a server's kind, and the contract's own.
_TYPES = {
    "ollama": EndpointType.OLLAMA,
    "openai": EndpointType.OPENAI_COMPATIBLE,
    "openai_compatible": EndpointType.OPENAI_COMPATIBLE,
    "openai-compatible": EndpointType.OPENAI_COMPATIBLE,
    "custom": EndpointType.CUSTOM,
}


@dataclass(frozen=True)
class RowProblem:
    index: int  # the row's position in the list, from 0
    field: str
    message: str


@dataclass
class LocalImport:
    username: str
    created: list[dict[str, Any]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    dry_run: bool = False

    @property
    def applied(self) -> bool:
        return not self.problems and not self.dry_run


@dataclass(frozen=True)
class _Row:
    index: int
    changes: EndpointChanges
    available_models: list[str]


def _required_text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("a string")
    return value


def _optional_text(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError("a string or null")
    return value


def _flag(value: Any) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise ValueError("true, false or null")
    return value


def _endpoint_type(value: Any) -> EndpointType | None:
    if value is None:
        return None
    if not isinstance(value, str) or value.strip().lower() not in _TYPES:
        raise ValueError("one of OLLAMA, OPENAI_COMPATIBLE, CUSTOM")
    return _TYPES[value.strip().lower()]


def _model_ids(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError("a list of model ids")
    if len(value) > MAX_LISTED_MODELS:
        raise ValueError(f"at most {MAX_LISTED_MODELS} models")
    for item in value:
        if not item or len(item) > MAX_MODEL_ID or identifier_problem(item):
            raise ValueError(f"model ids of 1 to {MAX_MODEL_ID} characters, without spaces or control characters")
    return list(dict.fromkeys(value))


async def _read_row(index: int, raw: Any, policy: UrlPolicy) -> tuple[_Row | None, list[RowProblem]]:
    """One row checked by the rules every endpoint meets; its problems, each naming a field."""
    if not isinstance(raw, dict):
        return None, [RowProblem(index, "row", "an object with name and baseUrl")]
    problems: list[RowProblem] = []
    values: dict[str, Any] = {}
    readers: dict[str, Callable[[Any], Any]] = {
        "name": _required_text,
        "baseUrl": _required_text,
        "apiKey": _optional_text,
        "isActive": _flag,
        "endpointType": _endpoint_type,
        "availableModels": _model_ids,
    }
    for name, read in readers.items():
        given = raw.get(name, raw.get("type")) if name == "endpointType" else raw.get(name)
        try:
            values[name] = read(given)
        except ValueError as problem:
            problems.append(RowProblem(index, name, str(problem)))
    if problems:
        return None, problems
    changes = EndpointChanges(
        name=values["name"],
        base_url=values["baseUrl"],
        endpoint_type=values["endpointType"],
        api_key=values["apiKey"],
        is_active=values["isActive"],
    )
    try:
        base_url = await check_changes(changes, policy, creating=True)
    except ValidationFailed as failed:
        return None, [RowProblem(index, f.field, f.message) for f in failed.fields]
    except BlockedUrl as blocked:
        return None, [RowProblem(index, "baseUrl", blocked.message.removeprefix("baseUrl: "))]
    checked = EndpointChanges(
        name=changes.name,
        base_url=base_url,
        endpoint_type=changes.endpoint_type,
        api_key=changes.api_key,
        is_active=changes.is_active,
    )
    return _Row(index, checked, values["availableModels"]), []


async def _owner(username: str) -> int:
    row = await User.select(User.id).where(User.username == username).first()
    if row is None:
        raise NotFound(f"no user named {username[:64]!r}")
    return int(row["id"])


@retrying
async def _write(owner_id: int, rows: list[_Row], secrets: SecretBox) -> list[dict[str, Any]]:
    created = []
    async with transaction():
        await room_for(owner_id, len(rows), field="row")
        for row in rows:
            assert row.changes.base_url is not None
            values = new_endpoint_values(owner_id, row.changes, row.changes.base_url, secrets)
            values["available_models"] = row.available_models
            created.append(await insert_endpoint(values, by=None))
    return created


async def import_local_endpoints(
    username: str, document: Any, *, secrets: SecretBox, policy: UrlPolicy, dry_run: bool = False
) -> LocalImport:
    """The list as the user's endpoints, all or nothing; VALIDATION_FAILED on `file` when it is not such a list."""
    owner_id = await _owner(username)
    if not isinstance(document, list):
        raise ValidationFailed.one(
            "file", "a JSON list of endpoints: [{name, baseUrl, apiKey, isActive, availableModels}]"
        )
    if len(document) > MAX_ROWS:
        raise ValidationFailed.one("file", f"at most {MAX_ROWS} endpoints")
    outcome = LocalImport(username, dry_run=dry_run)
    rows: list[_Row] = []
    for index, raw in enumerate(document):
        row, problems = await _read_row(index, raw, policy)
        outcome.problems += problems
        if row is not None:
            rows.append(row)
    taken = {
        each["name"] for each in await LocalEndpoint.select(LocalEndpoint.name).where(LocalEndpoint.owner == owner_id)
    }
    seen: set[str] = set()
    for row in rows:
        name = (row.changes.name or "").strip()
        if name in taken:
            outcome.problems.append(RowProblem(row.index, "name", f"{username} already has an endpoint with this name"))
        elif name in seen:
            outcome.problems.append(RowProblem(row.index, "name", "a second row with this name"))
        seen.add(name)
    outcome.problems.sort(key=lambda problem: problem.index)
    if outcome.problems or dry_run:
        return outcome
    outcome.created = await _write(owner_id, rows, secrets)
    return outcome
