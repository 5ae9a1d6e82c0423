"""The starting catalog a new deployment gets: a shipped modelcatalog/v1 document."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from api.catalog.lookup import default_model, model_by_universal_id
from api.catalog.rules import is_selectable
from api.catalog.service import set_default_model
from api.imports.service import ImportMode, ImportOutcome, import_models
from tables.catalog import AiModel

__all__ = ["SEED_DEFAULT", "SEED_FILE", "seed_catalog", "seed_if_empty"]

log = logging.getLogger("modelcatalog.seed")

SEED_FILE = Path(__file__).with_name("seed_catalog.json")
SEED_DEFAULT = "openai:gpt-5.4-mini"  # cheap, fast, tools and vision: a sensible first model


async def seed_catalog() -> ImportOutcome:
    """Add the shipped models the catalog lacks; models already there, edited or not, stay as they are."""
    document = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    outcome = await import_models(document, mode=ImportMode.CREATE_ONLY, reason="starting catalog")
    if await default_model() is None:
        row = await model_by_universal_id(SEED_DEFAULT, None)
        if row is not None and is_selectable(row):
            await set_default_model(row["id"], by=None)
    return outcome


async def seed_if_empty() -> ImportOutcome | None:
    """Seed a catalog that has no model yet (the first start of a deployment)."""
    if await AiModel.exists():
        return None
    outcome = await seed_catalog()
    log.info("seeded the catalog with %d models", outcome.created)
    return outcome
