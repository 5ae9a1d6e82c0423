"""`modelcatalog usage`: what the catalog's models cost over a period, grouped, as a table or JSON."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, time

import click
from rich.console import Console
from rich.table import Table as RichTable

from api.cli_base import after_migrate, err, fails_cleanly, run
from api.scalars import decimal_text
from api.usage.reports import Bucket, Report, UsageGroupBy, usage_report
from api.users.service import AuthenticatedUser
from domain.choices import Role

__all__ = ["usage_command"]

# The command line reads everyone's usage, as an admin does.
OPERATOR = AuthenticatedUser(
    id=0, username="command line", role=Role.ADMIN, created_at=datetime.min.replace(tzinfo=UTC)
)


def _moment(text: str) -> datetime:
    """A day (midnight UTC) or an ISO 8601 moment (UTC when it names no zone)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date (YYYY-MM-DD) or an ISO 8601 moment") from None
    if len(text) == 10:
        moment = datetime.combine(moment.date(), time(), UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _bucket_json(bucket: Bucket) -> dict[str, object]:
    return {
        "key": bucket.key,
        "requests": bucket.requests,
        "errors": bucket.errors,
        "inputTokens": bucket.input_tokens,
        "outputTokens": bucket.output_tokens,
        "cachedInputTokens": bucket.cached_input_tokens,
        "cacheWriteTokens": bucket.cache_write_tokens,
        "cost": decimal_text(bucket.cost),
        "unpricedRequests": bucket.unpriced_requests,
        "p50LatencyMs": bucket.p50_latency_ms,
        "p95LatencyMs": bucket.p95_latency_ms,
    }


def _report_json(report: Report) -> dict[str, object]:
    """The same names as GraphQL's UsageReport."""
    return {
        "from": report.start.isoformat().replace("+00:00", "Z"),
        "to": report.end.isoformat().replace("+00:00", "Z"),
        "groupBy": report.group_by.value,
        "buckets": [_bucket_json(bucket) for bucket in report.buckets],
        "total": _bucket_json(report.total),
    }


@click.command(name="usage")
@click.option("--from", "start", required=True, help="Start, inclusive: YYYY-MM-DD (UTC midnight) or ISO 8601.")
@click.option("--to", "end", required=True, help="End, exclusive: YYYY-MM-DD (UTC midnight) or ISO 8601.")
@click.option(
    "--group-by",
    type=click.Choice([choice.value.lower() for choice in UsageGroupBy]),
    default="model",
    show_default=True,
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (GraphQL's names).")
@fails_cleanly
def usage_command(start: str, end: str, group_by: str, as_json: bool) -> None:
    """Requests, errors, tokens, cost and latency per model, provider, user, day or endpoint."""
    report = run(after_migrate(usage_report(OPERATOR, _moment(start), _moment(end), UsageGroupBy(group_by.upper()))))
    if as_json:
        click.echo(json.dumps(_report_json(report), indent=2))
        return
    table = RichTable(
        group_by,
        "requests",
        "errors",
        "input",
        "output",
        "cached",
        "cache write",
        "cost $",
        "unpriced",
        "p50 ms",
        "p95 ms",
        title=f"usage {report.start:%Y-%m-%d %H:%M} to {report.end:%Y-%m-%d %H:%M} UTC",
    )
    for column in table.columns[1:]:
        column.justify = "right"
    for bucket in [*report.buckets, report.total]:
        table.add_row(
            bucket.key,
            f"{bucket.requests:,}",
            f"{bucket.errors:,}",
            f"{bucket.input_tokens:,}",
            f"{bucket.output_tokens:,}",
            f"{bucket.cached_input_tokens:,}",
            f"{bucket.cache_write_tokens:,}",
            decimal_text(bucket.cost),
            f"{bucket.unpriced_requests:,}",
            "-" if bucket.p50_latency_ms is None else f"{bucket.p50_latency_ms:,}",
            "-" if bucket.p95_latency_ms is None else f"{bucket.p95_latency_ms:,}",
        )
    Console(width=None if sys.stdout.isatty() else 240).print(table)
    err.print(f"{len(report.buckets)} {group_by} buckets", highlight=False)
