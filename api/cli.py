"""The `modelcatalog` command: serve, migrate, and manage users and tokens."""

from __future__ import annotations

import os
import sys

import click
from rich.console import Console
from rich.table import Table as RichTable

# The installed package carries its own piccolo configuration, so the command
# works from any directory.
os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")

from api.cli_base import after_migrate, err, fails_cleanly, run
from api.cli_catalog import register_catalog_commands
from api.cli_chats import register_chat_commands
from api.cli_endpoints import register_endpoint_commands
from api.cli_sync import register_sync_commands
from api.cli_usage import usage_command
from api.config import Settings
from api.database import migrate
from api.imports.seed import seed_if_empty
from api.log_format import configure_logging
from api.secrets import generate_secret_key, load_secret_box
from api.users import service as users
from domain.choices import Role

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="modelcatalog", prog_name="modelcatalog")
def main() -> None:
    """The model catalog: a GraphQL service over a database of AI models."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--seed/--no-seed", default=True, show_default=True, help="Load the starting catalog into an empty one.")
@fails_cleanly
def serve(host: str, port: int, seed: bool) -> None:
    """Migrate the database, then serve the API (GraphiQL in development)."""
    import uvicorn

    from api.app import create_app
    from api.server import server_config

    settings = Settings.from_env()
    configure_logging(settings.log_format)
    load_secret_box(settings)  # refuse to start before touching the database
    first_token, seeded = run(_prepare(seed))
    url = f"http://{host}:{port}/graphql"
    where = f"The API: {url}" if settings.production else f"GraphiQL: {url}"
    if seeded:
        click.echo(f"Seeded the catalog with {seeded} models (`modelcatalog models` lists them).")
    if first_token:
        click.echo(
            "\nCreated the admin user `admin`. Its token, shown only this once:\n\n"
            f"    {first_token}\n\n"
            f"{where}\n"
            f'Add the header {{"Authorization": "Bearer {first_token}"}} to your requests.\n'
        )
    else:
        click.echo(where)
    uvicorn.Server(server_config(create_app(settings), host, port)).run()


async def _prepare(seed: bool) -> tuple[str | None, int]:
    """Migrate; on a new database, the first admin's token and how many models were seeded."""
    await migrate()
    token = await users.create_first_admin()
    outcome = await seed_if_empty() if seed else None
    return token, outcome.created if outcome else 0


@main.command(name="migrate")
@fails_cleanly
def migrate_command() -> None:
    """Run every database migration not yet run."""
    run(migrate(quiet=False))


@main.command(name="create-user")
@click.argument("username")
@click.option(
    "--role", type=click.Choice(["admin", "member"], case_sensitive=False), default="member", show_default=True
)
@fails_cleanly
def create_user(username: str, role: str) -> None:
    """Create a user; its token is printed alone on the last line."""
    user, token = run(after_migrate(users.create_user(username, Role(role.upper()))))
    err.print(f"created {user.role.value.lower()} {user.username} (id {user.id}); its token:", highlight=False)
    click.echo(token)


@main.command(name="create-token")
@click.argument("username")
@click.option("--name", "token_name", default="cli", show_default=True, help="A label for the token.")
@fails_cleanly
def create_token(username: str, token_name: str) -> None:
    """Give a user another token; it is printed alone on the last line."""
    token = run(after_migrate(users.create_token(username, token_name)))
    err.print(f"new token {token_name!r} for {username}:", highlight=False)
    click.echo(token)


@main.command(name="revoke-token")
@click.argument("token_id", required=False, type=int)
@click.option("--token", "token_stdin", is_flag=True, help="Read the token itself from standard input.")
@click.option("--user", "username", help="Revoke this user's tokens (all, or the one named by --name).")
@click.option("--name", "token_name", help="With --user: the token's label.")
@fails_cleanly
def revoke_token(token_id: int | None, token_stdin: bool, username: str | None, token_name: str | None) -> None:
    """Revoke a token by id (see `tokens`), by value, or a user's tokens."""
    token = sys.stdin.readline().strip() if token_stdin else None
    if token_id is None and not token and username is None:
        raise click.UsageError("give a TOKEN_ID, --token (read from stdin) or --user")
    count = run(after_migrate(users.revoke_token(token_id=token_id, token=token, username=username, name=token_name)))
    click.echo(f"revoked {count} token{'s' if count != 1 else ''}")


@main.command(name="tokens")
@click.option("--user", "username", help="Only this user's tokens.")
@fails_cleanly
def tokens(username: str | None) -> None:
    """List API tokens (never their values)."""
    table = RichTable("id", "user", "name", "created", "last used", "revoked")
    for token in run(after_migrate(users.list_tokens(username))):
        table.add_row(
            str(token.id),
            token.username,
            token.name,
            f"{token.created_at:%Y-%m-%d %H:%M}",
            f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "-",
            "yes" if token.revoked else "no",
        )
    Console().print(table)


@main.command(name="generate-secret-key")
def generate_key() -> None:
    """Print a new key for MODELCATALOG_SECRET_KEY."""
    click.echo(generate_secret_key())


@main.command(name="schema")
def print_schema() -> None:
    """Print the GraphQL schema (SDL)."""
    from api.schema import schema

    click.echo(schema.as_str())


register_catalog_commands(main)
register_chat_commands(main)
register_sync_commands(main)
register_endpoint_commands(main)
main.add_command(usage_command)
