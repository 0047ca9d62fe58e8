"""Engine set-up (SQLite pragmas, BEGIN IMMEDIATE) and the credentials cipher."""

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from core.workspace import Workspace
from storage.crypto import CredentialCipher, CredentialsUnreadable
from storage.engine import create_engine_for, normalise_url, session_factory
from storage.migrate import upgrade_engine
from storage.uow import SqlUnitOfWorkFactory


async def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(
    tmp_path: Path,
) -> None:
    engine = create_engine_for(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    try:
        async with engine.connect() as connection:
            pragma = {
                name: await connection.scalar(text(f"PRAGMA {name}"))
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            }
    finally:
        await engine.dispose()
    assert pragma == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30000}


async def test_concurrent_sqlite_writers_queue_instead_of_failing(tmp_path: Path) -> None:
    # Read, then write: with a deferred BEGIN two such transactions deadlock on the
    # lock upgrade and one fails at once with "database is locked".
    engine = create_engine_for(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
            await connection.execute(text("INSERT INTO counter VALUES (0)"))

        async def increment() -> None:
            async with engine.begin() as connection:
                n = await connection.scalar(text("SELECT n FROM counter"))
                await asyncio.sleep(0.005)
                await connection.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})

        await asyncio.gather(*(increment() for _ in range(10)))
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT n FROM counter")) == 10
    finally:
        await engine.dispose()


async def test_an_in_memory_database_can_be_migrated_and_used() -> None:
    engine = create_engine_for("sqlite+aiosqlite:///:memory:")
    try:
        await upgrade_engine(engine)
        uow_factory = SqlUnitOfWorkFactory(session_factory(engine), CredentialCipher("k"))
        async with uow_factory() as uow:
            await uow.workspaces.add(Workspace(name="memo"))
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.workspaces.by_name("memo") is not None
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///./trypost.db", "sqlite+aiosqlite:///./trypost.db"),
        ("postgresql://u@db/trypost", "postgresql+asyncpg://u@db/trypost"),
        ("postgresql+asyncpg://u@db/trypost", "postgresql+asyncpg://u@db/trypost"),
    ],
)
def test_plain_urls_get_the_async_driver(given: str, expected: str) -> None:
    assert normalise_url(given).render_as_string() == expected


def test_credentials_decrypt_only_with_the_same_secret() -> None:
    token = CredentialCipher("one secret").encrypt({"access_token": "abc"})
    assert "abc" not in token
    assert CredentialCipher("one secret").decrypt(token) == {"access_token": "abc"}
    with pytest.raises(CredentialsUnreadable) as refused:
        CredentialCipher("another secret").decrypt(token)
    assert token not in str(refused.value)


def test_the_cipher_never_shows_its_secret() -> None:
    assert "hunter2" not in repr(CredentialCipher("hunter2"))
    with pytest.raises(ValueError, match="must not be empty"):
        CredentialCipher("")


async def test_the_sqlite_file_and_its_wal_are_readable_by_the_owner_only(
    tmp_path: Path,
) -> None:
    database = tmp_path / "data" / "trypost.db"
    engine = create_engine_for(f"sqlite+aiosqlite:///{database}")
    try:
        await upgrade_engine(engine)
        async with SqlUnitOfWorkFactory(session_factory(engine), CredentialCipher("k"))() as uow:
            await uow.workspaces.add(Workspace(name="private"))
            await uow.commit()
        files = [
            database,
            database.with_name("trypost.db-wal"),
            database.with_name("trypost.db-shm"),
        ]
        assert all(path.exists() for path in files)
        assert {oct(path.stat().st_mode & 0o777) for path in files} == {oct(0o600)}
    finally:
        await engine.dispose()


def test_a_sqlite_file_made_readable_by_others_is_tightened(tmp_path: Path) -> None:
    database = tmp_path / "loose.db"
    database.touch(mode=0o644)
    database.chmod(0o644)
    create_engine_for(f"sqlite+aiosqlite:///{database}")
    assert database.stat().st_mode & 0o777 == 0o600
