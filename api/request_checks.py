"""What a request's values may hold, checked before they reach a resolver, and errors that never quote them.

graphql-core's input errors quote what was sent ("String cannot represent a non
string value: ['sk-live-...']"): a provider key sent with the wrong type would
come back in the response. Variables are checked here first, with messages
built from the path and the expected type alone, and the literal-value rule's
messages lose the value they quote.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from graphql import (
    ArgumentNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    OperationDefinitionNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    Visitor,
    get_nullable_type,
    is_input_type,
    is_required_input_field,
    type_from_ast,
    visit,
)
from graphql.execution import ExecutionResult
from graphql.language.printer import print_for_error
from graphql.language.visitor import SKIP, VisitorAction
from graphql.pyutils import inspect
from graphql.utilities import validate_input_literal, validate_input_value
from graphql.validation import ValuesOfCorrectTypeRule
from strawberry.extensions import SchemaExtension

from api.errors import FieldError, ValidationFailed

__all__ = ["MAX_VARIABLE_NESTING", "RequestValues", "ValueFreeValuesOfCorrectType", "bad_text"]

GRAPHQL_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,63}$")
MAX_VARIABLE_NESTING = 32  # lists and objects inside one another; an import document needs about six
# One search in C, not a Python test per character: a usage batch or an import carries megabytes of text.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def bad_text(text: str) -> str | None:
    """What makes the text unstorable (a NUL, a lone surrogate), or None."""
    if "\x00" in text:
        return "no NUL characters"
    if LONE_SURROGATE.search(text):
        return "no lone surrogates (invalid Unicode)"
    return None


class RequestValues(SchemaExtension):
    """Refuses unstorable text and ill-typed variables with VALIDATION_FAILED, quoting no value."""

    def on_validate(self) -> Iterator[None]:
        rules = self.execution_context.validation_rules
        self.execution_context.validation_rules = tuple(
            ValueFreeValuesOfCorrectType if rule is ValuesOfCorrectTypeRule else rule for rule in rules
        )
        yield

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        errors = _document_text_errors(context.graphql_document) if context.graphql_document else []
        operation = _operation(context.graphql_document, context.operation_name)
        variables = context.variables if isinstance(context.variables, dict) else {}
        if not errors and operation is not None:
            errors = _variable_errors(context.schema._schema, operation, variables, types=False)
        if errors:
            # A result set before execution is the answer: no resolver runs.
            context.result = ExecutionResult(data=None, errors=errors)
        yield
        result = context.result
        if operation is None or not isinstance(result, ExecutionResult) or not result.errors:
            return
        if any(error.path is None and error.message.startswith("Variable '$") for error in result.errors):
            # graphql-core refused a variable, quoting it: the same refusal, in words that quote nothing. Checked
            # only now, so a well-typed request (a batch of a thousand inputs) is walked once, by graphql-core.
            worded = _variable_errors(context.schema._schema, operation, variables, types=True)
            kept = [e for e in result.errors if not (e.path is None and e.message.startswith("Variable '$"))]
            result.errors = worded + kept if worded else kept or result.errors


def _error(field: str, message: str) -> GraphQLError:
    return GraphQLError(message, extensions=ValidationFailed.one(field, message).extensions)


def _document_text_errors(document: Any) -> list[GraphQLError]:
    errors: list[GraphQLError] = []

    class Strings(Visitor):
        def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
            problem = bad_text(node.value)
            if problem:
                errors.append(GraphQLError(f"a string in the query: {problem}", node, extensions=_query_extensions()))

    visit(document, Strings())
    return errors


def _query_extensions() -> dict[str, Any]:
    return ValidationFailed([FieldError("query", "a string holds what no database stores")]).extensions


def _operation(document: Any, name: str | None) -> OperationDefinitionNode | None:
    if document is None:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        operations = [o for o in operations if o.name and o.name.value == name]
    return operations[0] if len(operations) == 1 else None


def _variable_errors(
    schema: Any, operation: OperationDefinitionNode, variables: Mapping[str, Any], *, types: bool
) -> list[GraphQLError]:
    """What is wrong with the variables: unstorable text and nesting, and with `types` values of the wrong type."""
    errors: list[GraphQLError] = []
    arguments = _arguments_of(operation)
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        declared = type_from_ast(schema, definition.type)
        # A missing variable, or one of an unknown type, is reported by graphql-core without quoting anything.
        if name in variables and is_input_type(declared):
            errors.extend(_variable_problems(name, arguments.get(name, name), variables[name], declared, types))
    return errors


def _arguments_of(operation: OperationDefinitionNode) -> dict[str, str]:
    """The argument each variable is passed as directly (`models(filter: $f)`: f -> filter)."""
    found: dict[str, str] = {}

    class Arguments(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
            if isinstance(node.value, VariableNode):
                found.setdefault(node.value.name.value, node.name.value)

    visit(operation, Arguments())
    return found


def _variable_problems(
    name: str, argument: str, value: Any, declared: GraphQLInputType, types: bool
) -> list[GraphQLError]:
    problem = _storable(value, MAX_VARIABLE_NESTING)
    if problem:
        path, reason = problem
        return [_error(_field_name(argument, path), f"Variable '${name}' {reason}")]
    errors: list[GraphQLError] = []
    if not types:
        return errors

    def report(error: GraphQLError, path: list[str | int]) -> None:
        field = _field_name(argument, path)
        reason = error.message
        found = _value_at(value, path)
        if inspect(found) in reason:
            reason = _reason(_type_at(declared, path), found)
        errors.append(_error(field, f"Variable '${name}' has an invalid value at '{_path_text(name, path)}': {reason}"))

    validate_input_value(value, declared, report)
    return errors


def _path_text(name: str, path: Sequence[str | int]) -> str:
    return name + "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path)


def _field_name(argument: str, path: Sequence[str | int]) -> str:
    """The field as services name it: the argument and the path in it ("filter.search"), an `input`'s fields
    bare ("kind"), a batch's items by index ("inputs[3].requestId"), a list of strings as the list."""
    steps = list(path)
    if steps and isinstance(steps[-1], int):
        steps.pop()  # "capabilities", not "capabilities[1]": the field is the list
    if argument == "input" and steps and isinstance(steps[0], str):
        return _path_text(steps[0], steps[1:])
    return _path_text(argument, steps)


def _reason(expected: GraphQLInputType | None, found: Any) -> str:
    """Why the value does not fit the type, from their shapes alone: names of fields, never values."""
    named = get_nullable_type(expected)
    if isinstance(named, GraphQLInputObjectType) and isinstance(found, dict):
        missing = [name for name, field in named.fields.items() if is_required_input_field(field) and name not in found]
        unknown = [key for key in found if key not in named.fields]
        if missing:
            return f"the required field '{missing[0]}' of {named.name} is missing"
        if unknown:
            field = f"'{unknown[0]}'" if GRAPHQL_NAME.match(unknown[0]) else "of that name"
            return f"{named.name} has no field {field}"
    return f"expected a value of type '{expected}'" if expected else "an invalid value"


def _storable(value: Any, depth: int) -> tuple[list[str | int], str] | None:
    """Where the value holds what cannot be taken (unstorable text, too deep) and why; iterative, so depth is safe."""
    pending: list[tuple[Any, list[str | int]]] = [(value, [])]
    while pending:
        item, path = pending.pop()
        if len(path) > depth:
            return [], f"is nested more than {depth} levels deep"
        if isinstance(item, str):
            problem = bad_text(item)
            if problem:
                return path, f"holds a string with {problem.removeprefix('no ')}: not allowed"
        elif isinstance(item, dict):
            for key, child in item.items():
                problem = bad_text(key)
                if problem:
                    return path, f"holds a field name with {problem.removeprefix('no ')}: not allowed"
                pending.append((child, [*path, key]))
        elif isinstance(item, list):
            pending.extend((child, [*path, index]) for index, child in enumerate(item))
    return None


def _type_at(type_: GraphQLInputType | None, path: list[str | int]) -> GraphQLInputType | None:
    for step in path:
        while isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if isinstance(step, int) and isinstance(type_, GraphQLList):
            type_ = type_.of_type
        elif isinstance(step, str) and isinstance(type_, GraphQLInputObjectType) and step in type_.fields:
            type_ = type_.fields[step].type
        else:
            return None
    return type_


def _value_at(value: Any, path: list[str | int]) -> Any:
    for step in path:
        if isinstance(step, int) and isinstance(value, list) and step < len(value):
            value = value[step]
        elif isinstance(step, str) and isinstance(value, dict):
            value = value.get(step)
        else:
            return None
    return value


class ValueFreeValuesOfCorrectType(ValuesOfCorrectTypeRule):
    """graphql-core's rule for literal values, with messages that name the expected type, never the value."""

    def is_valid_value_node(self, node: ValueNode, input_type: GraphQLInputType | None) -> VisitorAction:
        if input_type:

            def on_error(error: GraphQLError, path: list[str | int]) -> None:
                bad = error.nodes[0] if error.nodes else None
                if bad is not None and print_for_error(bad) in error.message:
                    expected = _type_at(input_type, path) or input_type
                    error = GraphQLError(f"Expected a value of type '{expected}' here", error.nodes)
                self.report_error(error)

            validate_input_literal(node, input_type, on_error, None, None, self.context.hide_suggestions)
        return SKIP
