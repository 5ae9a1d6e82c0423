"""Agents' rules: a unique name, models the admin may see, and a default among them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from api.catalog.rules import visible_where
from api.chats.inputs import clean_text, row_key
from api.database import for_update, serialize, transaction
from api.errors import FieldError, NotFound, ValidationFailed
from api.live.revision import EventKind, record_change
from api.users.service import AuthenticatedUser
from domain.choices import ModelStatus
from tables.catalog import AiModel
from tables.chats import MAX_AGENT_DESCRIPTION, MAX_AGENT_NAME, Agent, AgentModel

__all__ = [
    "MAX_AGENT_MODELS",
    "AgentChanges",
    "agent_by_id",
    "create_agent",
    "delete_agent",
    "list_agents",
    "update_agent",
]

MAX_AGENT_MODELS = 500  # as many as one page of models

# Agent names are unique; creating and renaming wait for each other on this lock.
NAMES_LOCK = "agent names"


class Keep:
    """A field the client left out: it is left as it is."""


KEEP = Keep()


@dataclass(frozen=True)
class AgentChanges:
    """What an admin sends; KEEP leaves description or default model as they are (None clears them)."""

    name: str
    model_ids: list[str]
    description: str | Keep | None = KEEP
    default_model_id: str | Keep | None = KEEP


@dataclass(frozen=True)
class _Checked:
    name: str
    description: str | Keep | None
    model_ids: list[int]
    default_model_id: int | Keep | None


def _now() -> datetime:
    return datetime.now(UTC)


@contextmanager
def _collecting(problems: list[FieldError]) -> Iterator[None]:
    """Add the fields of a VALIDATION_FAILED raised in the block to `problems`, and go on."""
    try:
        yield
    except ValidationFailed as failed:
        problems.extend(failed.fields)


def _model_keys(model_ids: list[str], problems: list[FieldError]) -> list[int]:
    """The distinct model keys, in the order given; what is wrong goes to `problems`."""
    if not model_ids:
        problems.append(FieldError("modelIds", "at least one model"))
    if len(model_ids) > MAX_AGENT_MODELS:
        problems.append(FieldError("modelIds", f"at most {MAX_AGENT_MODELS} models"))
        return []
    keys: list[int] = []
    for model_id in model_ids:
        with _collecting(problems):
            key = row_key("modelIds", model_id)
            if key is None:
                problems.append(FieldError("modelIds", f"no model with id {model_id[:20]}"))
            elif key not in keys:
                keys.append(key)
    return keys


def _check(changes: AgentChanges) -> _Checked:
    """The changes in their stored form; VALIDATION_FAILED naming every bad field at once."""
    problems: list[FieldError] = []
    name = ""
    with _collecting(problems):
        name = clean_text("name", changes.name, MAX_AGENT_NAME, required=True) or ""
    description = changes.description
    if not isinstance(description, Keep):
        with _collecting(problems):
            description = clean_text("description", description, MAX_AGENT_DESCRIPTION, required=False, multiline=True)
    model_ids = _model_keys(changes.model_ids, problems)
    default: int | Keep | None = None if changes.default_model_id is None else KEEP
    if isinstance(changes.default_model_id, str):
        with _collecting(problems):
            default = row_key("defaultModelId", changes.default_model_id)
            if default not in model_ids:
                problems.append(FieldError("defaultModelId", "must be one of modelIds"))
    if problems:
        raise ValidationFailed(problems)
    return _Checked(name=name, description=description, model_ids=model_ids, default_model_id=default)


async def _check_models(checked: _Checked, by: AuthenticatedUser, already_linked: set[int]) -> None:
    """Every model exists and the admin may see it; none is newly added while archived."""
    rows = await AiModel.select(AiModel.id, AiModel.status).where(
        AiModel.id.is_in(checked.model_ids), visible_where(by)
    )
    status = {row["id"]: row["status"] for row in rows}
    problems = [FieldError("modelIds", f"no model with id {key}") for key in checked.model_ids if key not in status]
    problems += [
        FieldError("modelIds", f"model {key} is archived; an archived model cannot join an agent")
        for key in checked.model_ids
        if status.get(key) == ModelStatus.ARCHIVED.value and key not in already_linked
    ]
    if problems:
        raise ValidationFailed(problems)


async def _name_is_free(name: str, agent_id: int | None = None) -> None:
    query = Agent.exists().where(Agent.name == name)
    if agent_id is not None:
        query = query.where(Agent.id != agent_id)
    if await query:
        raise ValidationFailed.one("name", f'an agent named "{name[:200]}" already exists')


async def _link(agent_id: int, model_ids: list[int]) -> None:
    if model_ids:
        await AgentModel.insert(*(AgentModel(agent=agent_id, ai_model=key) for key in model_ids))


async def _agent_row(agent_id: int) -> dict[str, Any]:
    row = await Agent.select().where(Agent.id == agent_id).first()
    assert row is not None
    return row


async def create_agent(changes: AgentChanges, *, by: AuthenticatedUser) -> dict[str, Any]:
    """A new agent offering the given models."""
    checked = _check(changes)
    async with transaction():
        await serialize(NAMES_LOCK)
        await _name_is_free(checked.name)
        await _check_models(checked, by, already_linked=set())
        default = checked.default_model_id
        agent = Agent(
            name=checked.name,
            description=None if isinstance(checked.description, Keep) else checked.description,
            default_model=None if isinstance(default, Keep) else default,
        )
        inserted = await Agent.insert(agent).returning(Agent.id)
        agent_id = int(inserted[0]["id"])
        await _link(agent_id, checked.model_ids)
        # Agents have no event kind of their own: readers re-read the models the agent offers.
        await record_change(EventKind.MODEL, model_ids=checked.model_ids)
    return await _agent_row(agent_id)


async def _linked_models(agent_id: int) -> set[int]:
    rows = await AgentModel.select(AgentModel.ai_model).where(AgentModel.agent == agent_id)
    return {row["ai_model"] for row in rows}


async def _relink(agent_id: int, linked: set[int], model_ids: list[int]) -> None:
    """The agent's links become exactly `model_ids`, touching only the ones that change."""
    dropped = linked - set(model_ids)
    if dropped:
        await AgentModel.delete().where(AgentModel.agent == agent_id, AgentModel.ai_model.is_in(list(dropped)))
    await _link(agent_id, [model for model in model_ids if model not in linked])


def _updated_values(row: dict[str, Any], checked: _Checked) -> dict[Any, Any]:
    values: dict[Any, Any] = {Agent.name: checked.name, Agent.updated_at: _now()}
    if not isinstance(checked.description, Keep):
        values[Agent.description] = checked.description
    default = checked.default_model_id
    if isinstance(default, Keep):
        # Left out: it stays while it is still one of the agent's models.
        default = row["default_model"] if row["default_model"] in checked.model_ids else None
    values[Agent.default_model] = default
    return values


async def update_agent(agent_id: str, changes: AgentChanges, *, by: AuthenticatedUser) -> dict[str, Any]:
    """Replace the agent's name and models; description and default change only when given."""
    key = row_key("id", agent_id)
    checked = _check(changes)
    async with transaction():
        await serialize(NAMES_LOCK)
        row = await for_update(Agent.select().where(Agent.id == key)).first() if key is not None else None
        if row is None:
            raise NotFound(f"no agent with id {agent_id[:20]}")
        linked = await _linked_models(row["id"])
        await _name_is_free(checked.name, row["id"])
        await _check_models(checked, by, already_linked=linked)
        await Agent.update(_updated_values(row, checked)).where(Agent.id == row["id"])
        await _relink(row["id"], linked, checked.model_ids)
        await record_change(EventKind.MODEL, model_ids=linked | set(checked.model_ids))
    return await _agent_row(row["id"])


async def delete_agent(agent_id: str) -> None:
    """Delete the agent; its chats keep their model and lose the agent."""
    key = row_key("id", agent_id)
    if key is None:
        raise NotFound(f"no agent with id {agent_id[:20]}")
    async with transaction():
        linked = await _linked_models(key)
        deleted = await Agent.delete().where(Agent.id == key).returning(Agent.id)
        if not deleted:
            raise NotFound(f"no agent with id {agent_id[:20]}")
        await record_change(EventKind.MODEL, model_ids=linked)


async def list_agents() -> list[dict[str, Any]]:
    """Every agent, by name."""
    return await Agent.select().order_by(Agent.name)


async def agent_by_id(agent_id: str) -> dict[str, Any] | None:
    """The agent, or None when there is none."""
    key = row_key("id", agent_id)
    return await Agent.select().where(Agent.id == key).first() if key is not None else None
