"""The strawberry schema: Query and Mutation merged from the domain packages."""

from __future__ import annotations

from functools import partial
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import DisableIntrospection
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from api.catalog.mutations import CatalogMutations
from api.catalog.queries import CatalogQueries
from api.chats.mutations import ChatMutations
from api.chats.queries import ChatQueries
from api.endpoints.mutations import EndpointMutations
from api.endpoints.queries import EndpointQueries
from api.errors import ErrorCodes
from api.imports.resolvers import ImportMutations, ImportQueries
from api.limits import CachedParse, CachedValidation, DocumentLimits, TokenLimit
from api.live.subscription import LiveQueries, LiveSubscriptions
from api.providers.mutations import ProviderMutations
from api.providers.queries import ProviderQueries
from api.request_checks import RequestValues
from api.scalars import SCALAR_OVERRIDES
from api.sync.resolvers import SyncMutations, SyncQueries
from api.usage.resolvers import UsageMutations, UsageQueries
from api.users.queries import UserQueries

__all__ = ["CatalogSchema", "build_schema", "schema"]

Query = merge_types(
    "Query",
    (
        UserQueries,
        ProviderQueries,
        CatalogQueries,
        ImportQueries,
        SyncQueries,
        ChatQueries,
        EndpointQueries,
        LiveQueries,
        UsageQueries,
    ),
)
Subscription = merge_types("Subscription", (LiveSubscriptions,))
Mutation = merge_types(
    "Mutation",
    (
        CatalogMutations,
        ImportMutations,
        ProviderMutations,
        SyncMutations,
        ChatMutations,
        EndpointMutations,
        UsageMutations,
    ),
)


class CatalogSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # ErrorCodes logs what is a bug; strawberry's default would log every
        # client mistake, and with it whatever values the client sent.
        pass


def build_schema(*, production: bool = False) -> CatalogSchema:
    """The schema; production hides introspection and suggestions and masks bugs."""
    # The parse and validation caches hold documents, not answers; DocumentLimits runs before validation, always.
    extensions: list[Any] = [
        TokenLimit,
        CachedParse,
        DocumentLimits,
        RequestValues,  # swaps a validation rule: before the validation cache runs the rules
        CachedValidation,
        partial(ErrorCodes, production=production),
    ]
    if production:
        extensions.append(DisableIntrospection)
    return CatalogSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=production),
        scalar_overrides=SCALAR_OVERRIDES,
    )


schema = build_schema()
