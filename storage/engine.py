"""Engine creation for SQLite (aiosqlite, the default) and PostgreSQL (asyncpg)."""

import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

DEFAULT_URL = "sqlite+aiosqlite:///./trypost.db"

# Concurrent writers wait this long for SQLite's write lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def normalise_url(url: str | URL) -> URL:
    """Accept ``sqlite:///…`` and ``postgresql://…`` and pick the async driver for them."""
    parsed = make_url(url)
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    return parsed.set(drivername=driver) if driver else parsed


_READ_ONLY_OPTION = "trypost_read_only"
# Execution options for a connection that only reads: on SQLite, a deferred transaction.
READ_ONLY = {_READ_ONLY_OPTION: True}


def create_engine_for(url: str | URL = DEFAULT_URL, **options: Any) -> AsyncEngine:
    """An async engine for ``url``, set up for many coroutines writing at once.

    On SQLite every transaction starts with ``BEGIN IMMEDIATE`` and waits up to
    ``SQLITE_BUSY_TIMEOUT_MS`` for the write lock, so concurrent writers in one process
    queue instead of failing with "database is locked"; WAL lets readers go on meanwhile.
    """
    parsed = normalise_url(url)
    if parsed.get_backend_name() != "sqlite":
        options.setdefault("pool_pre_ping", True)
        return create_async_engine(parsed, **options)
    if parsed.database in (None, "", ":memory:"):
        # One shared connection, or each checkout would see its own empty database.
        options.setdefault("poolclass", StaticPool)
    else:
        keep_private(Path(parsed.database))
    engine = create_async_engine(parsed, **options)
    _tune_sqlite(engine)
    return engine


def sqlite_file(engine: AsyncEngine) -> str | None:
    """The SQLite file behind ``engine``; None for other databases and for
    ``:memory:`` (one connection holds it, so nothing else may open it)."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return url.database


def create_read_engine(engine: AsyncEngine) -> AsyncEngine | None:
    """For a SQLite file, an engine whose connections only read and run in the event
    loop (``storage.inline_sqlite``): no thread hop per call, no write lock. Each
    transaction is a plain (deferred) ``BEGIN``, one snapshot for all its reads. None
    for other databases (and for ``:memory:``, which one connection holds).

    Its connections close when ``engine`` is disposed.
    """
    from storage.inline_sqlite import InlineConnection, connect_reader

    database = sqlite_file(engine)
    if database is None:
        return None
    url = engine.url
    opened: weakref.WeakSet[InlineConnection] = weakref.WeakSet()

    async def connect() -> InlineConnection:
        connection = connect_reader(database)
        opened.add(connection)
        return connection

    reader = create_async_engine(url, async_creator=connect)

    @event.listens_for(reader.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")

    @event.listens_for(engine.sync_engine, "engine_disposed")
    def _on_dispose(_engine: Any) -> None:
        for connection in list(opened):
            connection.stop()
        reader.sync_engine.dispose(close=False)

    return reader


def keep_private(database: Path) -> None:
    """Create the SQLite file (and its folder) readable by the owner only, and tighten
    one made looser: it holds every post and, encrypted, every token.

    SQLite gives its ``-wal`` and ``-shm`` files the mode of the database file.
    """
    database.parent.mkdir(parents=True, exist_ok=True)
    if not database.exists():
        database.touch(mode=0o600)
    for path in (database, *(database.with_name(database.name + s) for s in ("-wal", "-shm"))):
        if path.exists() and path.stat().st_mode & 0o077:
            path.chmod(0o600)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded values after commit (we never lazy-load)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def _tune_sqlite(engine: AsyncEngine) -> None:
    # SQLAlchemy's documented recipe: stop the driver from issuing its own BEGIN and
    # emit ours; see "Enabling Non-Legacy SQLite Transactional Modes".
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A read that asked for it takes no write lock (WAL readers never wait).
        read_only = connection.get_execution_options().get(_READ_ONLY_OPTION, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
