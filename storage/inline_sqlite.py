"""SQLite reads in the event loop: an aiosqlite look-alike that calls sqlite3 inline.

aiosqlite runs every call on a thread of its own: a statement costs four hops there
and back (cursor, execute, fetch, close), each a queue put, a thread wake-up and a
loop wake-up, several times what an indexed read costs SQLite itself. A unit of work
that only reads goes through this instead (``storage.engine.create_read_engine``):
the same SQLAlchemy aiosqlite dialect, its awaits completing at once.

Only for reads. On a WAL database a reader takes no lock a writer holds, so nothing
here waits on another connection (the busy timeout is short, for the rare WAL
recovery); the connection is ``PRAGMA query_only``, so a write through it fails
instead of blocking the loop on the write lock.
"""

import asyncio
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any

# How long a reader waits on the rare lock a WAL reader can meet (recovery, a
# checkpoint restarting the log), in seconds; it waits in the event loop.
READ_BUSY_TIMEOUT = 1.0


class _Cursor:
    """``aiosqlite.Cursor``'s interface over a ``sqlite3.Cursor``, nothing deferred."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> "_Cursor":
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Any = ()) -> "_Cursor":
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> "_Cursor":
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _RunNow:
    """Stands in for aiosqlite's queue to its thread (SQLAlchemy sets the isolation level
    through it): runs the call at once and settles its future."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except Exception as failed:
            future.set_exception(failed)
        else:
            future.set_result(result)


class InlineConnection:
    """``aiosqlite.Connection``'s interface, as SQLAlchemy's aiosqlite dialect uses it."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._connection: sqlite3.Connection | None = connection
        self._tx = _RunNow()

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._conn.isolation_level = value  # type: ignore[assignment]  # what SQLAlchemy sets

    def cursor(self) -> _Cursor:
        return _Cursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Any = ()) -> _Cursor:
        return _Cursor(self._conn.execute(sql, parameters))

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()


def open_reader(database: str) -> sqlite3.Connection:
    """A stdlib connection to the SQLite file ``database`` that only reads, in
    autocommit (each statement its own read transaction unless one is begun)."""
    connection = sqlite3.connect(
        database, isolation_level=None, check_same_thread=False, timeout=READ_BUSY_TIMEOUT
    )
    connection.execute("PRAGMA query_only = ON")
    return connection


def connect_reader(database: str) -> InlineConnection:
    """A reading connection to the SQLite file ``database``, as aiosqlite's."""
    return InlineConnection(open_reader(database))
