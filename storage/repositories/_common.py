"""Helpers shared by the repositories."""

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select
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
