"""`modelcatalog rotate-secrets` and `modelcatalog import-local-models`: the stored secrets and users' endpoints."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table as RichTable

from api.cli_base import after_migrate, err, fails_cleanly, run
from api.config import Settings
from api.endpoints.local_import import LocalImport, import_local_endpoints
from api.endpoints.url_policy import UrlPolicy
from api.secret_rotation import rotate_stored_secrets
from api.secrets import load_secret_box
from api.text import printable

__all__ = ["register_endpoint_commands"]


@click.command(name="rotate-secrets")
@fails_cleanly
def rotate_secrets() -> None:
    """Re-encrypt every stored API key (providers and local endpoints) under the first key of MODELCATALOG_SECRET_KEY.

    Afterwards the other keys can be removed from MODELCATALOG_SECRET_KEY.
    """
    secrets = load_secret_box(Settings.from_env())
    rotation = run(after_migrate(rotate_stored_secrets(secrets)))
    click.echo(
        f"re-encrypted {rotation.providers} provider key{'s' if rotation.providers != 1 else ''} and"
        f" {rotation.endpoints} endpoint key{'s' if rotation.endpoints != 1 else ''} under the newest key"
    )
    if secrets.key_count > 1:
        err.print("the older keys of MODELCATALOG_SECRET_KEY can now be removed", highlight=False)


@click.command(name="import-local-models")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "username", required=True, help="The user whose endpoints they become.")
@click.option("--dry-run", is_flag=True, help="Check every row; write nothing.")
@fails_cleanly
def import_local_models(file: Path, username: str, dry_run: bool) -> None:
    """Import the endpoints a browser kept in localStorage ([{name, baseUrl, apiKey, isActive, availableModels}]).

    Every row is checked first (names, keys, the URL policy); one bad row means nothing is written.
    Exits 1 when rows were refused, 2 when the file is not such a list.
    """
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        err.print("[red]error:[/red] the file is not JSON text", highlight=False)
        sys.exit(2)
    settings = Settings.from_env()
    secrets = load_secret_box(settings)
    policy = UrlPolicy(allow_private=settings.endpoint_allow_private)
    outcome = run(
        after_migrate(import_local_endpoints(username, document, secrets=secrets, policy=policy, dry_run=dry_run))
    )
    _report(outcome)
    if outcome.problems:
        sys.exit(1)


def _report(outcome: LocalImport) -> None:
    if outcome.problems:
        table = RichTable("row", "field", "problem", title="rows that cannot be imported")
        for problem in outcome.problems:
            table.add_row(str(problem.index), problem.field, printable(problem.message))
        Console().print(table)
        err.print(f"nothing was imported: {len(outcome.problems)} problems", highlight=False)
    elif outcome.dry_run:
        err.print("dry run: every row can be imported; nothing was written", highlight=False)
    else:
        for row in outcome.created:
            click.echo(f"{row['id']}\t{printable(row['name'])}\t{row['base_url']}")
        err.print(
            f"imported {len(outcome.created)} endpoints for {outcome.username}; run discoverEndpointModels on each"
            " to add their models to the picker",
            highlight=False,
        )


def register_endpoint_commands(group: click.Group) -> None:
    group.add_command(rotate_secrets)
    group.add_command(import_local_models)
