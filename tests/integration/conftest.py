"""Fixtures for tests against real databases: SQLite files and the local PostgreSQL.

Every storage test runs on both. PostgreSQL tests get a database of their own, created
with a random name for the session and dropped at the end; when the server is not
reachable they are skipped with the reason.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.crypto import CredentialCipher
from storage.engine import create_engine_for, session_factory
from storage.migrate import upgrade
from storage.tables import metadata
from storage.uow import SqlUnitOfWorkFactory

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_USER = "postgres"
PG_ADMIN_DATABASE = "test"
PG_URL = f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{{database}}"

DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, database=PG_ADMIN_DATABASE, timeout=3
    )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _create_postgres_database() -> str:
    """A new empty database with a random name; skips the test if the server is away."""
    name = f"trypost_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        pytest.skip(f"PostgreSQL not reachable at {PG_HOST}:{PG_PORT}: {error}")
    return name


def _drop_postgres_database(name: str) -> None:
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_session_database() -> Iterator[str]:
    """One PostgreSQL database for the whole run; tests empty its tables before use."""
    name = _create_postgres_database()
    yield PG_URL.format(database=name)
    _drop_postgres_database(name)


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database to migrate and use: a fresh SQLite file, or the session's PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'trypost.db'}"
    url: str = request.getfixturevalue("postgres_session_database")
    return url


@pytest.fixture(params=DATABASES)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database nobody has touched: for testing migrations from nothing."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    name = _create_postgres_database()
    yield PG_URL.format(database=name)
    _drop_postgres_database(name)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a migrated database holding no rows."""
    await upgrade(database_url)
    engine = create_engine_for(database_url)
    if engine.dialect.name == "postgresql":
        tables = ", ".join(table.name for table in metadata.sorted_tables)
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield engine
    await engine.dispose()


@pytest.fixture
def cipher() -> CredentialCipher:
    return CredentialCipher("integration-test secret")


@pytest.fixture
def uow_factory(engine: AsyncEngine, cipher: CredentialCipher) -> SqlUnitOfWorkFactory:
    return SqlUnitOfWorkFactory(session_factory(engine), cipher)
