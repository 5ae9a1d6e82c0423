"""The service's coded errors, and the extension that gives every error a code.

A service raises a CatalogError subclass for every failure a client can act on;
its `code` is one of the contract's error codes. Anything else is a bug: it is
logged with the request id and, in production, masked.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension

__all__ = [
    "BlockedUrl",
    "CatalogError",
    "Conflict",
    "ErrorCodes",
    "FieldError",
    "Forbidden",
    "NotFound",
    "ProviderFailed",
    "QueryTooComplex",
    "RateLimited",
    "StaleDiff",
    "Unauthenticated",
    "Unavailable",
    "ValidationFailed",
    "request_error_body",
]

log = logging.getLogger("modelcatalog.errors")

INTERNAL_ERROR = "INTERNAL_SERVER_ERROR"


class CatalogError(Exception):
    """A failure the client can act on, carrying its contract code."""

    code: ClassVar[str] = INTERNAL_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def extensions(self) -> dict[str, Any]:
        # graphql-core copies an original error's `extensions` onto the GraphQLError.
        return {"code": self.code}


class Unauthenticated(CatalogError):
    code = "UNAUTHENTICATED"


class Forbidden(CatalogError):
    code = "FORBIDDEN"


class NotFound(CatalogError):
    code = "NOT_FOUND"


class Conflict(CatalogError):
    code = "CONFLICT"


class StaleDiff(CatalogError):
    code = "STALE_DIFF"


class ProviderFailed(CatalogError):
    code = "PROVIDER_ERROR"


class RateLimited(CatalogError):
    """Asked again too soon: retry after `retry_after` seconds."""

    code = "RATE_LIMITED"

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def extensions(self) -> dict[str, Any]:
        return {"code": self.code, "retryAfter": self.retry_after}


class BlockedUrl(CatalogError):
    code = "BLOCKED_URL"


class QueryTooComplex(CatalogError):
    code = "QUERY_TOO_COMPLEX"


class Unavailable(CatalogError):
    """The database is busy (a lock held too long, a deadlock that kept coming back): retry later."""

    code = "UNAVAILABLE"

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def extensions(self) -> dict[str, Any]:
        return {"code": self.code, "retryAfter": self.retry_after}


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class ValidationFailed(CatalogError):
    code = "VALIDATION_FAILED"

    def __init__(self, fields: list[FieldError], message: str | None = None) -> None:
        self.fields = list(fields)
        super().__init__(message or "; ".join(f"{f.field}: {f.message}" for f in self.fields))

    @classmethod
    def one(cls, field: str, message: str) -> ValidationFailed:
        """The error for a single bad field."""
        return cls([FieldError(field, message)])

    @property
    def extensions(self) -> dict[str, Any]:
        return {"code": self.code, "fields": [asdict(f) for f in self.fields]}


def request_error_body(message: str, field: str) -> dict[str, Any]:
    """A GraphQL response body for a request refused before execution."""
    error = ValidationFailed([FieldError(field, message)], message)
    return {"errors": [{"message": error.message, "extensions": error.extensions}]}


# graphql-core's input errors end by quoting what was submitted ("..., found:
# {'kind': 'X', 'apiKey': 'sk-...'}"), which may hold a secret beside the bad
# field; the quote is cut, the path and the reason stay.
_VARIABLE_ERROR = re.compile(r"^Variable '\$\w+' has invalid value")
_SUBMITTED_VALUE = re.compile(r"(?:,|\.)\s*[Ff]ound: .*$", re.DOTALL)
_TOO_MANY_TOKENS = re.compile(r"Document contains more than \d+ tokens")
_SUGGESTION = re.compile(r"\s*Did you mean .*$", re.DOTALL)


def _without_submitted_value(message: str) -> str:
    return _SUBMITTED_VALUE.sub(".", message)


class ErrorCodes(SchemaExtension):
    """Gives every error an `extensions.code`; logs and (in production) masks bugs."""

    def __init__(self, *, production: bool = False) -> None:
        super().__init__()
        self.production = production

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is None or not errors:
            return
        result.errors = [self._coded(error) for error in errors]

    def _coded(self, error: GraphQLError) -> GraphQLError:
        if error.extensions and "code" in error.extensions:
            return error
        if error.path is None and not isinstance(error.original_error, CatalogError):
            return self._request_error(error)
        return self._unexpected(error)

    def _request_error(self, error: GraphQLError) -> GraphQLError:
        """An error in the document or its variables, found before execution."""
        message = _without_submitted_value(error.message)
        if self.production:
            message = _SUGGESTION.sub("", message)
        if isinstance(error, GraphQLSyntaxError) and _TOO_MANY_TOKENS.search(error.message):
            extensions: dict[str, Any] = {"code": QueryTooComplex.code}
        else:
            field = "variables" if _VARIABLE_ERROR.match(error.message) else "query"
            extensions = ValidationFailed.one(field, message).extensions
        return GraphQLError(
            message, nodes=error.nodes, source=error.source, positions=error.positions, extensions=extensions
        )

    def _unexpected(self, error: GraphQLError) -> GraphQLError:
        request_id = _request_id(self.execution_context.context)
        log.error(
            "unexpected error in request %s at %s", request_id, error.path, exc_info=error.original_error or error
        )
        message = f"Unexpected error (request id {request_id})." if self.production else error.message
        return GraphQLError(
            message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": INTERNAL_ERROR, "requestId": request_id},
        )


def _request_id(context: object) -> str:
    return str(getattr(context, "request_id", "-"))
