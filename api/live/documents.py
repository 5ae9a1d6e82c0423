"""Which GraphQL documents the response cache may answer, decided from the document alone."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    BooleanValueNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    parse,
)
from graphql.error import GraphQLSyntaxError

__all__ = ["CACHEABLE_ROOTS", "UNCACHED_FIELDS", "CachePlan", "cache_plan", "parsed"]

# Root fields whose answers change only with the catalog revision (or a price boundary). Anything
# else (me, chats, syncDiff, syncRuns, the usage fields, a caller's endpoints) is never cached.
CACHEABLE_ROOTS = frozenset(
    {
        "providers",
        "models",
        "model",
        "defaultModel",
        "selectableModels",
        "modelHistory",
        "catalogChanges",
        "estimateCost",
        "exportCatalog",
        "agents",
        "agent",
        "catalogRevision",
        "__typename",
    }
)
# Fields, at any depth, that change without a catalog revision: one of them anywhere and the document bypasses.
UNCACHED_FIELDS = frozenset(
    {
        "chatCount",
        "chats",
        "chat",
        "usage",
        "usageRecords",
        "localEndpoints",
        "sharedLocalEndpoints",
        "localEndpoint",
        "me",
        "availabilityCheckedAt",  # every availability check writes it, changed or not
    }
)
PARSED_DOCUMENTS = 256
MAX_TOKENS = 2000  # the schema's own limit (api/limits.py); a longer document is refused there


@dataclass(frozen=True)
class CachePlan:
    """A cacheable document, and whether it refreshes stale availability first (as selectableModels does)."""

    refreshes_availability: bool


@lru_cache(maxsize=PARSED_DOCUMENTS)
def parsed(query: str) -> DocumentNode | None:
    """The document, or None when it does not parse (execution reports why)."""
    try:
        return parse(query, max_tokens=MAX_TOKENS)
    except GraphQLSyntaxError:
        return None


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        operations = [o for o in operations if o.name is not None and o.name.value == name]
    return operations[0] if len(operations) == 1 else None


def _fields(
    selection_set: SelectionSetNode, fragments: Mapping[str, FragmentDefinitionNode], seen: set[str]
) -> Iterator[FieldNode]:
    """The fields directly in the selection set, through fragments; each fragment once."""
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            seen.add(selection.name.value)
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                yield from _fields(fragment.selection_set, fragments, seen)


def _all_fields(
    selection_set: SelectionSetNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> Iterator[FieldNode]:
    stack = [selection_set]
    seen: set[str] = set()
    while stack:
        for field in _fields(stack.pop(), fragments, seen):
            yield field
            if field.selection_set is not None:
                stack.append(field.selection_set)


def _skips_refresh(field: FieldNode, variables: Mapping[str, Any]) -> bool:
    for argument in field.arguments or ():
        if argument.name.value == "refresh":
            value = argument.value
            if isinstance(value, BooleanValueNode):
                return value.value is False
            if isinstance(value, VariableNode):
                return variables.get(value.name.value) is False
    return False


def cache_plan(document: DocumentNode, operation_name: str | None, variables: Mapping[str, Any]) -> CachePlan | None:
    """How to cache the operation, or None when it must run every time."""
    operation = _operation(document, operation_name)
    if operation is None or operation.operation is not OperationType.QUERY:
        return None
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    roots = list(_fields(operation.selection_set, fragments, set()))
    if not roots or any(root.name.value not in CACHEABLE_ROOTS for root in roots):
        return None
    if any(field.name.value in UNCACHED_FIELDS for field in _all_fields(operation.selection_set, fragments)):
        return None
    refreshes = any(r.name.value == "selectableModels" and not _skips_refresh(r, variables) for r in roots)
    return CachePlan(refreshes_availability=refreshes)
