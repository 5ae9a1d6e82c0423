"""`modelcatalog sync`: a provider's diff as readable tables, applied only with --apply."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

import click
from rich.console import Console
from rich.table import Table as RichTable

from api.catalog.fields import json_value
from api.cli_base import after_migrate, err, fails_cleanly, run
from api.config import Settings
from api.errors import CatalogError
from api.secrets import SecretBox, load_secret_box
from api.sync.diff import ProviderDiff
from api.sync.service import ReviewedSync, apply_sync, sync_diff
from tables.catalog import Provider

__all__ = ["register_sync_commands"]

out = Console()


def _value(value: Any) -> str:
    shown = json_value(value)
    return "-" if shown is None else str(shown)


def _print_diff(diff: ProviderDiff) -> None:
    out.print(
        f"[bold]{diff.provider}[/bold]: {len(diff.new)} new, {len(diff.updated)} updated, "
        f"{len(diff.archived)} archived, {len(diff.restored)} restored, {diff.unchanged} unchanged",
        highlight=False,
    )
    if diff.new:
        table = RichTable("new model", "name", "context", title="New")
        for found in diff.new:
            table.add_row(
                found.universal_model_id, found.values.get("displayName", ""), _value(found.values.get("contextWindow"))
            )
        out.print(table)
    if diff.updated:
        table = RichTable("model", "field", "now", "becomes", title="Updated")
        for update in diff.updated:
            for index, change in enumerate(update.changes):
                model = update.row["universal_model_id"] if index == 0 else ""
                table.add_row(model, change["field"], _value(change["oldValue"]), _value(change["newValue"]))
        out.print(table)
    for title, universals in (
        ("Archived", (row["universal_model_id"] for row in diff.archived)),
        ("Restored", (row["universal_model_id"] for row, _ in diff.restored)),
    ):
        _print_list(title, universals)
    _print_list("Warnings", diff.warnings)


def _print_list(title: str, items: Iterable[str]) -> None:
    listed = list(items)
    if listed:
        table = RichTable(title.lower(), title=title)
        for item in listed:
            table.add_row(item)
        out.print(table)


def _reviewed(diff: ProviderDiff) -> ReviewedSync:
    """Everything the diff shows, as the person at the terminal saw it."""
    return ReviewedSync(
        provider=diff.provider,
        fingerprint=diff.fingerprint,
        new=diff.new,
        updated=[update.candidate for update in diff.updated],
        archived=[row["universal_model_id"] for row in diff.archived],
        restored=[row["universal_model_id"] for row, _ in diff.restored],
        reason="modelcatalog sync --apply",
        restored_values={row["universal_model_id"]: found for row, found in diff.restored},
    )


async def _sync(keys: list[str], apply: bool, secrets: SecretBox) -> int:
    failed = 0
    for key in keys:
        try:
            diff, _ = await sync_diff(key, secrets=secrets, by=None)
        except CatalogError as error:
            err.print(f"[red]{key}:[/red] {error.message}", highlight=False)
            failed += 1
            continue
        _print_diff(diff)
        if apply:
            applied = await apply_sync(_reviewed(diff), by=None, warnings=diff.warnings)
            out.print(
                f"applied: {len(applied.created)} created, {len(applied.updated)} updated, "
                f"{len(applied.archived)} archived, {len(applied.restored)} restored",
                highlight=False,
            )
    return failed


async def _enabled_providers() -> list[str]:
    return [
        row["key"]
        for row in await Provider.select(Provider.key).where(Provider.enabled.eq(True)).order_by(Provider.key)
    ]


@click.command()
@click.argument("provider", required=False)
@click.option("--all", "every", is_flag=True, help="Every enabled provider.")
@click.option("--apply", is_flag=True, help="Write what the diff shows (without it nothing is written).")
@fails_cleanly
def sync(provider: str | None, every: bool, apply: bool) -> None:
    """Show what a provider's listing would change in the catalog; --apply writes it."""
    if bool(provider) == every:
        raise click.UsageError("give a PROVIDER or --all")
    secrets = load_secret_box(Settings.from_env())

    async def main() -> int:
        keys = await _enabled_providers() if every else [str(provider)]
        return await _sync(keys, apply, secrets)

    if run(after_migrate(main())):
        sys.exit(1)


def register_sync_commands(group: click.Group) -> None:
    group.add_command(sync)
