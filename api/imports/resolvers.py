"""exportCatalog and importModels."""

from __future__ import annotations

from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from api.auth import IsAdmin, require_admin
from api.catalog.types import ModelFilterInput
from api.context import Info
from api.imports.document import DocumentFormat
from api.imports.export import export_catalog
from api.imports.service import ImportMode, import_models
from api.imports.types import ImportResult

__all__ = ["ImportMutations", "ImportQueries"]


@strawberry.type
class ImportQueries:
    @strawberry.field(
        permission_classes=[IsAdmin],
        description="ADMIN: the modelcatalog/v1 document of the public catalog, as importModels takes it back.",
    )
    async def export_catalog(self, filter: ModelFilterInput | None = None) -> JSON:
        document: Any = await export_catalog(filter.to_filter() if filter else None)
        return cast(JSON, document)


@strawberry.type
class ImportMutations:
    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Import a modelcatalog/v1 document (all or nothing) or LiteLLM's price file, whose new models"
        " arrive disabled unless newModelsEnabled.",
    )
    async def import_models(
        self,
        info: Info,
        document: JSON,
        mode: ImportMode | None = ImportMode.UPSERT,
        dry_run: bool | None = False,
        reason: str | None = None,
        format: DocumentFormat | None = DocumentFormat.AUTO,
        strict: bool | None = False,
        new_models_enabled: bool | None = None,
    ) -> ImportResult:
        outcome = await import_models(
            document,
            mode=mode or ImportMode.UPSERT,
            dry_run=bool(dry_run),
            reason=reason,
            format=format or DocumentFormat.AUTO,
            strict=bool(strict),
            new_models_enabled=new_models_enabled,
            by=require_admin(info),
        )
        return ImportResult.from_outcome(outcome)
