"""The `modelcatalog` command, run as a script would run it."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from cryptography.fernet import Fernet

from api.users import service as users
from domain.choices import Role
from tables.users import ApiToken
from tests.commands import COMMAND, cli


def test_migrate_works_from_any_directory_with_the_default_database(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "PICCOLO_CONF")}
    result = subprocess.run([COMMAND, "migrate"], capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "modelcatalog.sqlite3").exists()
    again = subprocess.run([COMMAND, "migrate"], capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "already complete" in again.stdout


async def test_create_user_prints_a_working_token_alone_on_the_last_line():
    result = cli("create-user", "carol", "--role", "admin")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("mc_") and " " not in token
    user = await users.authenticate(token)
    assert user is not None and (user.username, user.role) == ("carol", Role.ADMIN)


async def test_create_token_gives_an_existing_user_another_token():
    await users.create_user("dave", Role.MEMBER)
    result = cli("create-token", "dave", "--name", "ci")
    assert result.returncode == 0, result.stderr
    user = await users.authenticate(result.stdout.strip().splitlines()[-1])
    assert user is not None and user.username == "dave"


async def test_revoke_token_by_id_and_by_value():
    _, first = await users.create_user("erin", Role.MEMBER)
    second = await users.create_token("erin", "laptop")
    token_id = (await ApiToken.select(ApiToken.id).where(ApiToken.name == "laptop").first())["id"]
    assert cli("revoke-token", str(token_id)).returncode == 0
    assert await users.authenticate(second) is None
    assert await users.authenticate(first) is not None
    by_value = cli("revoke-token", "--token", stdin=first + "\n")
    assert by_value.returncode == 0, by_value.stderr
    assert await users.authenticate(first) is None
    listing = cli("tokens", "--user", "erin")
    assert "laptop" in listing.stdout and first not in listing.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("create-user", "bad name"), "username"),
        (("create-token", "nobody"), "no user named"),
        (("revoke-token", "999999"), "no such token"),
    ],
)
def test_expected_failures_exit_2_with_one_line(args, message):
    result = cli(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_duplicate_user_is_refused():
    assert cli("create-user", "frank").returncode == 0
    again = cli("create-user", "frank")
    assert again.returncode == 2
    assert "already exists" in again.stderr


def test_generate_secret_key_prints_a_fernet_key():
    key = cli("generate-secret-key").stdout.strip()
    assert Fernet(key.encode()).decrypt(Fernet(key.encode()).encrypt(b"x")) == b"x"


def test_serve_refuses_production_without_a_secret_key():
    result = cli("serve", env={"MODELCATALOG_ENV": "production", "MODELCATALOG_SECRET_KEY": ""})
    assert result.returncode == 2
    assert "MODELCATALOG_SECRET_KEY is required" in result.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(env: dict[str, str] | None = None, last: str = "GraphiQL:") -> Iterator[tuple[int, list[str]]]:
    """`modelcatalog serve` on a free port: its port and what it printed up to the line holding `last`."""
    port = _free_port()
    server = subprocess.Popen(
        [COMMAND, "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (lines and last in lines[-1]):
            lines.append(server.stdout.readline())  # type: ignore[union-attr]
        yield port, lines
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_first_serve_creates_the_admin_and_prints_its_token_once():
    with serving() as (port, lines):
        token = next(line.strip() for line in lines if line.strip().startswith("mc_"))
        assert f"http://127.0.0.1:{port}/graphql" in "".join(lines)
        for _ in range(100):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.ConnectError:
                time.sleep(0.1)
        me = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": "{ me { username role } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert me.json() == {"data": {"me": {"username": "admin", "role": "ADMIN"}}}
        assert any("Seeded the catalog with" in line for line in lines), lines
        default = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": "{ defaultModel { selectable } models { totalCount } }"},
            headers={"Authorization": f"Bearer {token}"},
        ).json()["data"]
        assert default["defaultModel"] == {"selectable": True} and default["models"]["totalCount"] >= 40
    # A second start finds users and prints no token.
    with serving() as (_, lines):
        assert "GraphiQL:" in lines[-1]
        assert not any(line.strip().startswith("mc_") for line in lines), lines


def test_production_serve_does_not_offer_graphiql():
    with serving({"MODELCATALOG_ENV": "production"}, last="The API:") as (port, lines):
        assert f"The API: http://127.0.0.1:{port}/graphql" in "".join(lines)
        assert not any("GraphiQL" in line for line in lines), lines
