"""`modelcatalog seed`, `models`, `export` and `import`: the catalog for scripts."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column
from rich.table import Table as RichTable

from api.catalog import lookup
from api.catalog.fields import PRICE_FIELDS, json_value, values_of
from api.catalog.price_series import with_prices
from api.cli_base import after_migrate, err, fails_cleanly, run
from api.errors import ValidationFailed
from api.imports.document import DocumentFormat, RowProblem, load_document
from api.imports.export import export_catalog
from api.imports.seed import seed_catalog
from api.imports.service import ImportMode, ImportOutcome, import_models
from tables.catalog import Provider

__all__ = ["register_catalog_commands"]

MAX_FILE_BYTES = 50 * 1024 * 1024  # the same bound as an importModels request body
PROGRESS_FROM = 1_000  # rows; smaller files finish before a bar would show


@click.command()
@fails_cleanly
def seed() -> None:
    """Add the shipped starting catalog's models that are missing; changes nothing else."""
    outcome = run(after_migrate(seed_catalog()))
    click.echo(f"created {outcome.created} models; {outcome.unchanged + outcome.kept} were already in the catalog")


@click.command()
@click.option("--provider", help="Only this provider's models (its key).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@fails_cleanly
def models(provider: str | None, as_json: bool) -> None:
    """List the catalog's public models, by universalModelId."""
    rows = run(after_migrate(_models_with_prices(provider)))
    if as_json:
        click.echo(json.dumps([_model_json(row) for row in rows], indent=2))
        return
    table = RichTable(Column("model", no_wrap=True), "name", "context", "in $/M", "out $/M", "status", "on", "default")
    for row in rows:
        table.add_row(
            row["universal_model_id"],
            row["display_name"],
            f"{row['context_window']:,}" if row["context_window"] else "-",
            json_value(row["input_price"]) if row["input_price"] is not None else "-",
            json_value(row["output_price"]) if row["output_price"] is not None else "-",
            row["status"].lower(),
            "yes" if row["enabled"] else "no",
            "*" if row["is_default"] else "",
        )
    # A pipe gets whole lines, not a table squeezed into 80 columns.
    Console(width=None if sys.stdout.isatty() else 240).print(table)
    err.print(f"{len(rows)} models", highlight=False)


async def _models_with_prices(provider: str | None) -> list[dict[str, Any]]:
    rows = await with_prices(await lookup.all_models(lookup.ModelFilter(provider=provider)))
    keys = {row["id"]: row["key"] for row in await Provider.select(Provider.id, Provider.key)}
    return [{**row, "provider_key": keys[row["provider"]]} for row in rows]


def _model_json(row: dict[str, Any]) -> dict[str, Any]:
    """A model as GraphQL and the export name its fields (camelCase), with the price in force now."""
    values = {name: json_value(value) for name, value in values_of(row).items()}
    model: dict[str, Any] = {"id": str(row["id"]), "provider": row["provider_key"]}
    model.update({name: value for name, value in values.items() if name not in PRICE_FIELDS})
    model["pricing"] = {name.removeprefix("pricing."): values[name] for name in PRICE_FIELDS} | {
        "effectiveFrom": json_value(row["price_effective_from"].isoformat()) if row["price_effective_from"] else None
    }
    model.update(isAvailable=row["is_available"], version=row["version"])
    return model


@click.command(name="export")
@click.option("--provider", help="Only this provider's models (its key).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write here, not to stdout.")
@fails_cleanly
def export_command(provider: str | None, output: str | None) -> None:
    """Write the modelcatalog/v1 document that `import` takes back."""
    model_filter = lookup.ModelFilter(provider=provider) if provider else None
    document = run(after_migrate(export_catalog(model_filter)))
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if output:
        Path(output).write_text(text, encoding="utf-8")
        err.print(f"wrote {len(document['models'])} models to {output}", highlight=False)
    else:
        sys.stdout.write(text)


@click.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option("--mode", type=click.Choice(["upsert", "create-only"]), default="upsert", show_default=True)
@click.option("--format", "file_format", type=click.Choice(["auto", "modelcatalog", "litellm"]), default="auto")
@click.option("--strict", is_flag=True, help="LiteLLM: refuse the whole file if any row breaks a rule.")
@click.option("--enable-new", is_flag=True, help="LiteLLM: new models arrive enabled (by default they wait, disabled).")
@click.option("--reason", help="Why, for the models' history.")
@fails_cleanly
def import_command(
    file: str, dry_run: bool, mode: str, file_format: str, strict: bool, enable_new: bool, reason: str | None
) -> None:
    """Import a modelcatalog/v1 document or LiteLLM's price file.

    Exits 1 when nothing could be written, 2 when the file cannot be read as either.
    """
    path = Path(file)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValidationFailed.one("file", f"{size:,} bytes; an import takes at most {MAX_FILE_BYTES:,}")
    document = load_document(path.read_bytes())
    rows = _row_count(document)
    with _progress(rows) as bar:
        task = bar.add_task("writing", total=None)
        outcome = run(
            after_migrate(
                import_models(
                    document,
                    mode=ImportMode(mode.upper().replace("-", "_")),
                    dry_run=dry_run,
                    reason=reason,
                    format=DocumentFormat(file_format.upper()),
                    strict=strict,
                    new_models_enabled=enable_new,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
            )
        )
    _report(outcome, dry_run)
    wrote_or_would = outcome.created + outcome.updated + outcome.unchanged + outcome.kept
    if outcome.errors or not wrote_or_would:
        sys.exit(1)


def _row_count(document: Any) -> int:
    """Roughly how many rows a document has, to decide whether a progress bar is worth showing."""
    if not isinstance(document, dict):
        return 0
    models = document.get("models", document)
    return len(models) if isinstance(models, list | dict) else 0


def _progress(rows: int) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=rows < PROGRESS_FROM,
        transient=True,
    )


def _report(outcome: ImportOutcome, dry_run: bool) -> None:
    console = Console()
    if outcome.errors:
        _problems("rows with errors: nothing was written", outcome.errors)
    if outcome.skipped:
        _problems("skipped rows", outcome.skipped)
    verb = "would be" if dry_run else ""
    summary = RichTable(title=f"import ({outcome.format.value.lower()}{', dry run' if dry_run else ''})")
    summary.add_column("models")
    summary.add_column("count", justify="right")
    for label, count in (
        ("created", outcome.created),
        ("updated", outcome.updated),
        ("unchanged", outcome.unchanged),
        ("kept (create-only)", outcome.kept),
        ("skipped", len(outcome.skipped)),
        ("not chat", outcome.not_chat),
        ("errors", len(outcome.errors)),
        ("providers created", outcome.providers_created),
    ):
        summary.add_row(label, str(count))
    console.print(summary)
    if outcome.errors:
        err.print("nothing was written: fix the rows above and import again", highlight=False)
    elif dry_run:
        err.print(f"dry run: the counts above {verb} written by a real import; nothing was written", highlight=False)


def _problems(title: str, problems: list[RowProblem]) -> None:
    table = RichTable("row", "model", "field", "why", title=title)
    for problem in problems:
        table.add_row(
            str(problem.index),
            problem.source_key or problem.universal_model_id or "-",
            problem.field or "-",
            problem.message,
        )
    err.print(table)


def register_catalog_commands(group: click.Group) -> None:
    for command in (seed, models, export_command, import_command):
        group.add_command(command)
