"""Helpers shared by the repositories."""

from collections.abc import Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import Select, Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import Base

T = TypeVar("T")


async def fresh_rows(session: AsyncSession, stmt: Select[T]) -> Sequence[T]:
    """Rows read from the database, never stale copies from the session's identity map.

    Repositories write with UPDATE statements that bypass the identity map, so every
    read must overwrite what the session may remember.
    """
    result = await session.scalars(stmt.execution_options(populate_existing=True))
    return result.all()


async def fresh_row(session: AsyncSession, stmt: Select[T]) -> T | None:
    rows = await fresh_rows(session, stmt.limit(1))
    return rows[0] if rows else None


# DML through the ORM without touching objects the session may hold: reads refresh them.
NO_SYNC: dict[str, Any] = {"synchronize_session": False}


def insert_with_conflicts(
    session: AsyncSession, table: type[Base]
) -> postgresql.Insert | sqlite.Insert:
    """``INSERT`` that can say ``ON CONFLICT …``: both dialects spell the clause alike,
    but each builds it from its own module, so this is the one place that chooses."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def skip_locked(session: AsyncSession) -> bool:
    """Whether row locks with ``SKIP LOCKED`` exist; SQLite has one writer at a time."""
    return session.get_bind().dialect.name == "postgresql"


async def write_versioned(
    session: AsyncSession, table: type[Base], rows: Sequence[tuple[int, int, dict[str, Any]]]
) -> bool:
    """``UPDATE … SET …, version = version + 1 WHERE id = …`` for many rows in one
    executemany, each ``(id, version read, values)``, if every stored version still
    equals the one read; else nothing is written and the answer is False.

    asyncpg reports no row count for an executemany, so the versions are checked first,
    with the rows locked (``FOR UPDATE``; SQLite's ``BEGIN IMMEDIATE`` already holds its
    write lock): nobody can move them between the check and the write.
    """
    if not rows:
        return True
    target = table_of(table)
    columns = target.c
    check = (
        select(columns.id, columns.version)
        .where(columns.id.in_([row_id for row_id, _, _ in rows]))
        .with_for_update()
    )
    stored = {row_id: version for row_id, version in await session.execute(check)}
    if any(stored.get(row_id) != version for row_id, version, _ in rows):
        return False
    stmt = (
        update(target).where(columns.id == bindparam("row_id")).values(version=columns.version + 1)
    )
    await session.execute(stmt, [{"row_id": row_id, **values} for row_id, _, values in rows])
    return True


def table_of(row: type[Base]) -> Table:
    """The Core table behind a mapped class, for executemany statements that need no
    ORM (the ORM's bulk paths cost more per row than the rows themselves)."""
    return cast(Table, row.__table__)
