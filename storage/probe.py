"""Whether a minute tick has anything to do, in one read.

Most ticks find nothing: no post due, none publishing, no review overdue. One
statement of three index probes answers that (each an ``EXISTS`` on the leading
columns of ``ix_posts_status_scheduled_at``), however many posts wait in the future, so
an idle tick stays flat from ten thousand posts to a million.

On a SQLite file the probe reads through a connection of its own from the standard
library, in the event loop: the query takes some 30 µs, while one hop to aiosqlite's
thread and back costs several times that. WAL readers take no lock a writer waits on.
"""

import sqlite3
from datetime import UTC, datetime

from sqlalchemy import BindParameter, ColumnElement, Exists, Select, bindparam, literal, or_, select
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlalchemy.ext.asyncio import AsyncEngine

from core.states import PostStatus, ReviewState
from storage.engine import READ_ONLY, sqlite_file
from storage.inline_sqlite import open_reader
from storage.tables import PostRow, UTCDateTime

_STATUS_INDEX = "ix_posts_status_scheduled_at"
# How SQLAlchemy's SQLite DateTime writes a timestamp (UTCDateTime keeps UTC).
SQLITE_STAMP = "%Y-%m-%d %H:%M:%S.%f"


def work_select(now: datetime | BindParameter[datetime]) -> Select[bool]:
    due = _exists(PostRow.status == PostStatus.SCHEDULED.value, PostRow.scheduled_at <= now)
    publishing = _exists(PostRow.status == PostStatus.PUBLISHING.value)
    overdue_review = _exists(
        PostRow.status == PostStatus.DRAFT.value,
        PostRow.scheduled_at <= now,
        PostRow.review_state == ReviewState.PENDING_REVIEW.value,
        PostRow.review_overdue_noted.is_(False),
    )
    return select(literal(True).label("work")).where(or_(due, publishing, overdue_review))


def _exists(*conditions: ColumnElement[bool]) -> Exists:
    # ``SELECT id``, not ``SELECT *``: with statistics saying nearly every post is
    # scheduled, SQLite's planner would scan the table for "is any post publishing?"
    # (a million rows when none is); on the id it takes the covering index.
    return select(PostRow.id).where(*conditions).exists()


_NOW = object()


def _sqlite_value(value: object) -> object:
    return int(value) if isinstance(value, bool) else value


class SqlTickProbe:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sqlite_file = sqlite_file(engine)
        self._sqlite: sqlite3.Connection | None = None
        self._sql = ""
        self._params: list[object] = []

    async def work_waiting(self, now: datetime) -> bool:
        if self._sqlite_file is not None:
            return self._read_sqlite(now)
        async with self._engine.connect() as connection:
            reading = await connection.execution_options(**READ_ONLY)
            found = (await reading.execute(work_select(now))).first()
        return found is not None

    def _read_sqlite(self, now: datetime) -> bool:
        if self._sqlite is None:
            assert self._sqlite_file is not None
            # Autocommit: each SELECT is its own read transaction, holding nothing after.
            self._sqlite = open_reader(self._sqlite_file)
            self._compile()
        stamp = now.astimezone(UTC).strftime(SQLITE_STAMP)
        values = [stamp if p is _NOW else p for p in self._params]
        found = self._sqlite.execute(self._sql, values).fetchone()
        return found is not None

    def _compile(self) -> None:
        """The statement as SQLite text once, and its parameters in order (the
        constants as SQLAlchemy would bind them, ``now`` filled in per call)."""
        compiled = work_select(bindparam("now", type_=UTCDateTime())).compile(
            dialect=sqlite_dialect()
        )
        given = compiled.construct_params({"now": None})
        order = compiled.positiontup or []
        self._sql = str(compiled)
        self._params = [_NOW if name == "now" else _sqlite_value(given[name]) for name in order]

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
