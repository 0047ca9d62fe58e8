"""Read-only units of work: on a SQLite file they read in the event loop, past the gate."""

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from core.workspace import Workspace
from storage.crypto import CredentialCipher
from storage.engine import create_engine_for, session_factory
from storage.migrate import upgrade_engine
from storage.uow import SqlUnitOfWorkFactory
from tests.fakes import FakeUnitOfWorkFactory


async def test_a_read_only_unit_sees_what_was_committed(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    try:
        await upgrade_engine(engine)
        uow = SqlUnitOfWorkFactory(session_factory(engine), CredentialCipher("k"))
        async with uow(read_only=True) as reading:
            assert await reading.workspaces.by_name("acme") is None
        async with uow() as writing:
            added = await writing.workspaces.add(Workspace(name="acme"))
            await writing.commit()
        async with uow(read_only=True) as reading:
            found = await reading.workspaces.get(added.id)
        assert found is not None and found.name == "acme"
        # A change committed later is seen by the next read (no cache between them).
        async with uow() as writing:
            await writing.workspaces.add(Workspace(name="globex"))
            await writing.commit()
        async with uow(read_only=True) as reading:
            assert await reading.workspaces.by_name("globex") is not None
    finally:
        await engine.dispose()


async def test_a_read_only_unit_cannot_write_or_commit(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    try:
        await upgrade_engine(engine)
        uow = SqlUnitOfWorkFactory(session_factory(engine), CredentialCipher("k"))
        async with uow(read_only=True) as reading:
            with pytest.raises(OperationalError, match="readonly"):
                await reading.workspaces.add(Workspace(name="nope"))
        async with uow(read_only=True) as reading:
            with pytest.raises(RuntimeError, match="read-only"):
                await reading.commit()
        async with uow(read_only=True) as reading:
            assert await reading.workspaces.by_name("nope") is None
    finally:
        await engine.dispose()


async def test_reads_do_not_wait_for_a_writer_and_see_its_work_only_once_committed(
    tmp_path: Path,
) -> None:
    engine = create_engine_for(f"sqlite+aiosqlite:///{tmp_path / 'g.db'}")
    try:
        await upgrade_engine(engine)
        uow = SqlUnitOfWorkFactory(session_factory(engine), CredentialCipher("k"))
        async with uow() as writing:
            await writing.workspaces.add(Workspace(name="pending"))
            # The writer holds the gate and SQLite's write lock; a read goes on meanwhile.
            async with asyncio.timeout(2), uow(read_only=True) as reading:
                assert await reading.workspaces.by_name("pending") is None
            await writing.commit()
        async with uow(read_only=True) as reading:
            assert await reading.workspaces.by_name("pending") is not None
    finally:
        await engine.dispose()


async def test_reading_connections_close_with_the_engine(tmp_path: Path) -> None:
    database = tmp_path / "c.db"
    engine = create_engine_for(f"sqlite+aiosqlite:///{database}")
    await upgrade_engine(engine)
    uow = SqlUnitOfWorkFactory(session_factory(engine), CredentialCipher("k"))
    async with uow(read_only=True) as reading:
        await reading.workspaces.by_name("x")
    await engine.dispose()
    # Every connection closed: the WAL is checkpointed away and a writer can take over.
    other = sqlite3.connect(database, timeout=0)
    try:
        other.execute("BEGIN EXCLUSIVE")
        other.rollback()
    finally:
        other.close()
    assert not (tmp_path / "c.db-wal").exists()


async def test_in_memory_and_fake_units_take_read_only_too() -> None:
    engine = create_engine_for("sqlite+aiosqlite:///:memory:")
    try:
        await upgrade_engine(engine)
        uow = SqlUnitOfWorkFactory(session_factory(engine), CredentialCipher("k"))
        async with uow() as writing:
            await writing.workspaces.add(Workspace(name="memo"))
            await writing.commit()
        async with uow(read_only=True) as reading:
            assert await reading.workspaces.by_name("memo") is not None
            with pytest.raises(RuntimeError, match="read-only"):
                await reading.commit()
    finally:
        await engine.dispose()
    fake = FakeUnitOfWorkFactory()
    async with fake(read_only=True) as reading:
        with pytest.raises(RuntimeError, match="read-only"):
            await reading.commit()
