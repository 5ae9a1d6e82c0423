"""What a GraphQL document asks for, measured once in time linear in the document.

strawberry's QueryDepthLimiter and MaxAliasesLimiter (0.341) walk a fragment
again at every spread: a document of 22 fragments, each spreading the one
before twice, makes them do 2**21 walks and blocks the event loop for seconds.
strawberry PR #4421 (https://github.com/strawberry-graphql/strawberry/pull/4421)
guards fragment cycles but still re-walks shared fragments; there is no
upstream fix, so the measure is written once, here: each fragment is measured
once and its depth, alias count, expanded size and cost are memoised.

The cost is what execution would do: every field counts once per object it is
resolved for, so the fields below a list count once per item. A list's size is
its `first` argument (capped as the resolvers cap it) or, when it has none, a
bound: the field's own in LIST_BOUNDS, or DEFAULT_LIST_BOUND.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef, TypeNameMetaFieldDef

__all__ = ["DEFAULT_LIST_BOUND", "LIST_BOUNDS", "MAX_PAGE", "Measure", "measure_document"]

MAX_PAGE = 500  # the largest `first` a resolver honours
DEFAULT_LIST_BOUND = 100
# Lists without `first`, by "Type.field": as many items as they can really hold.
LIST_BOUNDS: dict[str, int] = {
    "Query.selectableModels": 1000,
    "Query.providers": 200,
    "ModelHistoryEntry.changes": 30,  # one entry per field of a model at most
    "ModelUpdate.changes": 30,
    # A provider lists hundreds of models at most (OpenRouter ~460); a diff holds what it lists.
    "ModelSyncDiff.newModels": 1000,
    "ModelSyncDiff.updatedModels": 1000,
    "ModelSyncDiff.archivedModels": 1000,
    "ModelSyncDiff.restoredModels": 1000,
    "ApplySyncResult.models": 1000,
    "AuditEntry.changes": 8,  # one entry per audited field of a provider or an endpoint at most
    "Query.localEndpoints": 100,  # MAX_ENDPOINTS_PER_USER
    "Query.sharedLocalEndpoints": 500,  # listed at most
}
# A bulk read that is one JSON leaf: it costs what a large catalog costs to build.
LEAF_COSTS: dict[str, int] = {"Query.exportCatalog": 50_000}


@dataclass(frozen=True)
class Measure:
    """Depth, aliases and fields of a selection with its fragments expanded, and its cost."""

    depth: int = 0
    aliases: int = 0
    fields: int = 0
    cost: int = 0

    def __add__(self, other: Measure) -> Measure:
        return Measure(
            max(self.depth, other.depth),
            self.aliases + other.aliases,
            self.fields + other.fields,
            self.cost + other.cost,
        )


class _Measurer:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any]) -> None:
        self.schema = schema
        self.variables = variables
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.memo: dict[str, Measure] = {}
        self.open: set[str] = set()
        self.introspection_bounds = _introspection_bounds(schema)

    def operation(self, operation: OperationDefinitionNode) -> Measure:
        root = {
            OperationType.QUERY: self.schema.query_type,
            OperationType.MUTATION: self.schema.mutation_type,
            OperationType.SUBSCRIPTION: self.schema.subscription_type,
        }[operation.operation]
        return self.selection_set(operation.selection_set, root)

    def selection_set(self, selection_set: SelectionSetNode, parent: GraphQLNamedType | None) -> Measure:
        total = Measure()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection_set(selection.selection_set, inner)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value)
        return total

    def fragment(self, name: str) -> Measure:
        if name in self.memo:
            return self.memo[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.open:
            return Measure()  # unknown or cyclic: validation reports it
        self.open.add(name)
        condition = self.schema.get_type(definition.type_condition.name.value)
        measure = self.selection_set(definition.selection_set, condition)
        self.open.discard(name)
        self.memo[name] = measure
        return measure

    def field(self, node: FieldNode, parent: GraphQLNamedType | None) -> Measure:
        definition = _field_definition(self.schema, parent, node.name.value)
        key = f"{parent.name}.{node.name.value}" if parent is not None else node.name.value
        alias = 1 if node.alias else 0
        if node.selection_set is None:
            return Measure(0, alias, 1, LEAF_COSTS.get(key, 1))
        inner_type = get_named_type(definition.type) if definition else None
        inner = self.selection_set(node.selection_set, inner_type)
        # A chain of ofType is as long as a type's wrappers (a few): it adds no level,
        # so the standard introspection query fits the depth limit.
        level = 0 if node.name.value == "ofType" else 1
        size = self.list_size(node, key, definition)
        return Measure(inner.depth + level, alias + inner.aliases, 1 + inner.fields, 1 + size * inner.cost)

    def list_size(self, node: FieldNode, key: str, definition: GraphQLField | None) -> int:
        """How many objects the field resolves to: its `first`, its bound, or 1."""
        if definition is None:
            return 1
        if "first" in definition.args:
            first = self.argument(node, "first")
            if first is None:
                first = definition.args["first"].default_value
            return min(first, MAX_PAGE) if isinstance(first, int) and first >= 0 else MAX_PAGE
        if not _is_list(definition.type):
            return 1
        if key.endswith("Connection.nodes"):
            return 1  # the connection's field took `first`
        return self.introspection_bounds.get(key) or LIST_BOUNDS.get(key, DEFAULT_LIST_BOUND)

    def argument(self, node: FieldNode, name: str) -> Any:
        for argument in node.arguments or ():
            if argument.name.value != name:
                continue
            if isinstance(argument.value, IntValueNode):
                return int(argument.value.value) if len(argument.value.value) < 12 else MAX_PAGE
            if isinstance(argument.value, VariableNode):
                return self.variables.get(argument.value.name.value)
            return None
        return None


def _field_definition(schema: GraphQLSchema, parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
    if name == "__typename":
        return TypeNameMetaFieldDef
    if parent is schema.query_type and name == "__schema":
        return SchemaMetaFieldDef
    if parent is schema.query_type and name == "__type":
        return TypeMetaFieldDef
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        field: GraphQLField | None = parent.fields.get(name)
        return field
    return None


def _is_list(type_: Any) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def _introspection_bounds(schema: GraphQLSchema) -> dict[str, int]:
    """Introspection's lists, sized by this schema: all its types, and the average type's fields and values."""
    cached: dict[str, int] | None = getattr(schema, "_modelcatalog_list_bounds", None)
    if cached is not None:
        return cached
    types = list(schema.type_map.values())
    with_fields = [t for t in types if isinstance(t, GraphQLObjectType | GraphQLInterfaceType)]
    fields = [f for t in with_fields for f in t.fields.values()]
    inputs = [t for t in types if hasattr(t, "fields") and t not in with_fields]
    enums = [t for t in types if hasattr(t, "values")]

    def average(total: int, count: int) -> int:
        return max(1, math.ceil(total / max(count, 1)))

    bounds = {
        "__Schema.types": len(types),
        "__Schema.directives": len(schema.directives),
        "__Type.fields": average(len(fields), len(with_fields)),
        "__Type.inputFields": average(sum(len(t.fields) for t in inputs), len(inputs)),
        "__Type.enumValues": average(sum(len(t.values) for t in enums), len(enums)),
        "__Type.interfaces": 2,
        "__Type.possibleTypes": 2,
        "__Field.args": average(sum(len(f.args) for f in fields), len(fields)),
        "__Directive.args": 2,
    }
    schema._modelcatalog_list_bounds = bounds  # type: ignore[attr-defined]
    return bounds


def measure_document(
    schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any] | None = None
) -> dict[str, Measure]:
    """Each operation's measure, by name ("" for an anonymous one), in time linear in the document."""
    measurer = _Measurer(schema, document, variables or {})
    return {
        (d.name.value if d.name else ""): measurer.operation(d)
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    }
