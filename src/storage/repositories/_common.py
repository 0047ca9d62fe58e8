"""Helpers shared by the repositories."""

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

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
