"""`modelcatalog backfill-chats`: link legacy chats to their models, with a summary."""

from __future__ import annotations

import time

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from api.chats.backfill import DEFAULT_BATCH, MAX_BATCH, BackfillReport, backfill_chats
from api.cli_base import after_migrate, err, fails_cleanly, run

__all__ = ["register_chat_commands"]

SHOWN_GROUPS = 50  # unmappable strings listed by name; the rest are summed in one line
PROGRESS_FROM = 10_000  # chats; a smaller backfill ends before a bar would show


@click.command(name="backfill-chats")
@click.option("--dry-run", is_flag=True, help="Report what would be mapped; write nothing.")
@click.option(
    "--batch-size",
    type=click.IntRange(1, MAX_BATCH),
    default=DEFAULT_BATCH,
    show_default=True,
    help="Chats read and linked per statement.",
)
@fails_cleanly
def backfill_chats_command(dry_run: bool, batch_size: int) -> None:
    """Set each chat's model from the provider and model strings it stored before models had rows.

    Only chats without a model are touched, so it can be run again, or after an interruption.
    """
    started = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("chats", total=None, visible=False)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, visible=total >= PROGRESS_FROM)

        report = run(after_migrate(backfill_chats(dry_run=dry_run, batch_size=batch_size, progress=advance)))
    _report(report, time.perf_counter() - started)


def _report(report: BackfillReport, seconds: float) -> None:
    console = Console()
    groups = report.unmapped_groups()
    if groups:
        table = RichTable("why", "legacy model", "chats", title="chats that could not be mapped")
        table.columns[2].justify = "right"
        for reason, legacy, count in groups[:SHOWN_GROUPS]:
            table.add_row(reason.value, legacy, f"{count:,}")
        rest = groups[SHOWN_GROUPS:]
        if rest:
            table.add_row("...", f"{len(rest):,} more strings", f"{sum(count for *_, count in rest):,}")
        console.print(table)
    summary = RichTable(title=f"backfill-chats{' (dry run)' if report.dry_run else ''}")
    summary.add_column("chats")
    summary.add_column("count", justify="right")
    for label, count in (
        ("examined (no model, a legacy string)", report.examined),
        ("would be mapped" if report.dry_run else "mapped", report.mapped),
        ("  of them on an archived, disabled or unavailable model", report.not_selectable),
        ("could not be mapped", report.unmapped),
        ("already had a model", report.already_linked),
    ):
        summary.add_row(label, f"{count:,}")
    console.print(summary)
    done = f"{report.batches:,} batches in {seconds:.1f} s"
    if report.dry_run:
        err.print(f"dry run: nothing was written ({done})", highlight=False)
    else:
        err.print(f"done: {done}; run it again to retry what could not be mapped", highlight=False)


def register_chat_commands(group: click.Group) -> None:
    group.add_command(backfill_chats_command)
