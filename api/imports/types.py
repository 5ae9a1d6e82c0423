"""GraphQL types of bulk import."""

from __future__ import annotations

from dataclasses import asdict

import strawberry

from api.imports.document import DocumentFormat, RowProblem
from api.imports.service import ImportMode, ImportOutcome

__all__ = ["ImportResult", "ImportRowError"]

strawberry.enum(ImportMode, description="CREATE_ONLY adds missing models and never changes an existing one.")
strawberry.enum(
    DocumentFormat,
    name="ImportFormat",
    description='AUTO: a "format" tag means MODELCATALOG; an object of litellm_provider rows means LITELLM.',
)


@strawberry.type
class ImportRowError:
    index: int = strawberry.field(description="Position in the models list (LITELLM: in the file's key order), from 0.")
    universal_model_id: str | None
    source_key: str | None = strawberry.field(description='LITELLM: the row\'s key in the file, e.g. "azure/gpt-4o".')
    field: str | None
    message: str

    @classmethod
    def from_problem(cls, problem: RowProblem) -> ImportRowError:
        return cls(**asdict(problem))


@strawberry.type
class ImportResult:
    applied: bool = strawberry.field(description="false on dryRun or when any row failed: then nothing was written.")
    format: DocumentFormat = strawberry.field(description="The format the document was read as.")
    created: int
    updated: int
    unchanged: int
    kept: int = strawberry.field(description="CREATE_ONLY: models that exist with other values, left as they are.")
    providers_created: int
    errors: list[ImportRowError] = strawberry.field(
        description="Rows that failed; any error means nothing was written."
    )
    skipped: list[ImportRowError] = strawberry.field(
        description="LITELLM, not strict: rows left out (invalid, duplicate); the rest were written."
    )
    not_chat: int = strawberry.field(description="LITELLM: rows of another mode (embedding, image_generation, ...).")

    @classmethod
    def from_outcome(cls, outcome: ImportOutcome) -> ImportResult:
        return cls(
            applied=outcome.applied,
            format=outcome.format,
            created=outcome.created,
            updated=outcome.updated,
            unchanged=outcome.unchanged,
            kept=outcome.kept,
            providers_created=outcome.providers_created,
            errors=[ImportRowError.from_problem(problem) for problem in outcome.errors],
            skipped=[ImportRowError.from_problem(problem) for problem in outcome.skipped],
            not_chat=outcome.not_chat,
        )
