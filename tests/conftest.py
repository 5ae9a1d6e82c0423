"""Every test gets an empty, fully migrated database and a client that speaks GraphQL.

The database is SQLite in a temporary folder, or the PostgreSQL database named
by TEST_DATABASE_URL (make test sets it from TEST_POSTGRES_URL).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

_TMP = Path(tempfile.mkdtemp(prefix="modelcatalog-tests-"))
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP}/test.sqlite3"
os.environ["DATABASE_URL"] = TEST_DATABASE_URL
os.environ["PICCOLO_CONF"] = "piccolo_conf"
os.environ["MODELCATALOG_SECRET_KEY"] = Fernet.generate_key().decode()
for variable in ("MODELCATALOG_ENV", "MODELCATALOG_CORS_ORIGINS"):
    os.environ.pop(variable, None)

import httpx  # noqa: E402

from api.app import create_app  # noqa: E402
from api.config import Settings  # noqa: E402
from api.database import migrate  # noqa: E402
from api.sync import availability  # noqa: E402
from api.users import service as users  # noqa: E402
from domain.choices import Role  # noqa: E402
from tests.database import drop_everything, empty_tables  # noqa: E402
from tests.graphql import GraphQLClient  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def migrated_database() -> Iterator[None]:
    """Drop whatever an earlier run left, then run the real migrations once."""

    async def prepare() -> None:
        await drop_everything()
        await migrate()

    asyncio.run(prepare())
    yield


@pytest.fixture(autouse=True)
async def empty_database(migrated_database: None) -> AsyncIterator[None]:
    await empty_tables()
    yield
    await users.token_use_recorded()  # the app writes a token's last use in the background
    await availability.refreshes_done()  # and finishes a slow provider's availability refresh there


@pytest.fixture
def tmp_dir() -> Path:
    return _TMP


@pytest.fixture
def settings() -> Settings:
    return Settings.from_env()


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[GraphQLClient]:
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://catalog.test") as http:
        yield GraphQLClient(http)


@pytest.fixture
async def admin_token() -> str:
    _, token = await users.create_user("alice", Role.ADMIN)
    return token


@pytest.fixture
async def member_token() -> str:
    _, token = await users.create_user("bob", Role.MEMBER)
    return token
