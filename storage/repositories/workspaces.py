"""Workspaces and their members."""

from typing import Any

from sqlalchemy import ColumnElement, Insert, Select, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from core.ports import Duplicate
from core.roles import Role
from core.workspace import Member, Workspace
from storage.mapping import (
    granted_text,
    member_from_row,
    member_values,
    workspace_from_row,
    workspace_values,
)
from storage.repositories._common import NO_SYNC, fresh_row, fresh_rows
from storage.tables import MemberRow, WorkspaceRow


class SqlWorkspaceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, workspace: Workspace) -> Workspace:
        stmt = insert(WorkspaceRow).values(**workspace_values(workspace)).returning(WorkspaceRow.id)
        workspace.id = await _insert_unique(self._session, stmt, f"workspace {workspace.name}")
        return workspace

    async def get(self, workspace_id: int) -> Workspace | None:
        return await self._one(WorkspaceRow.id == workspace_id)

    async def by_slack_team(self, team_id: str) -> Workspace | None:
        return await self._one(WorkspaceRow.slack_team_id == team_id)

    async def by_discord_guild(self, guild_id: str) -> Workspace | None:
        return await self._one(WorkspaceRow.discord_guild_id == guild_id)

    async def by_name(self, name: str) -> Workspace | None:
        return await self._one(WorkspaceRow.name == name)

    async def update(self, workspace: Workspace) -> None:
        await self._session.execute(
            update(WorkspaceRow)
            .where(WorkspaceRow.id == workspace.id)
            .values(**workspace_values(workspace))
            .execution_options(**NO_SYNC)
        )

    async def next_post_number(self, workspace_id: int) -> int:
        """Allocate the next short post number of the workspace (never reused).

        One UPDATE both reads and moves the counter, so two transactions can never get
        the same number: the second waits for the first's row lock (or SQLite's write
        lock) and sees its increment.
        """
        return await self._next(workspace_id, WorkspaceRow.next_post_number)

    async def next_comment_number(self, workspace_id: int) -> int:
        return await self._next(workspace_id, WorkspaceRow.next_comment_number)

    async def _next(self, workspace_id: int, counter: InstrumentedAttribute[int]) -> int:
        stmt = (
            update(WorkspaceRow)
            .where(WorkspaceRow.id == workspace_id)
            .values({counter: counter + 1})
            .returning(counter - 1)
            .execution_options(**NO_SYNC)
        )
        number = (await self._session.execute(stmt)).scalar_one_or_none()
        if number is None:
            raise LookupError(f"there is no workspace {workspace_id}")
        return int(number)

    async def _one(self, condition: ColumnElement[bool]) -> Workspace | None:
        row = await fresh_row(self._session, select(WorkspaceRow).where(condition))
        return workspace_from_row(row) if row else None


class SqlMemberRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, member: Member) -> Member:
        values = {**member_values(member), "granted_roles": granted_text(member.granted)}
        stmt = insert(MemberRow).values(**values).returning(MemberRow.id)
        member.id = await _insert_unique(self._session, stmt, f"member {member.name}")
        return member

    async def get(self, member_id: int) -> Member | None:
        return await self._one(select(MemberRow).where(MemberRow.id == member_id))

    async def with_workspace(self, member_id: int) -> tuple[Member, Workspace] | None:
        stmt = (
            select(MemberRow, WorkspaceRow)
            .join(WorkspaceRow, WorkspaceRow.id == MemberRow.workspace_id)
            .where(MemberRow.id == member_id)
            .execution_options(populate_existing=True)
        )
        found = (await self._session.execute(stmt)).first()
        if found is None:
            return None
        return member_from_row(found[0]), workspace_from_row(found[1])

    async def by_name(self, workspace_id: int, name: str) -> Member | None:
        return await self._one(
            select(MemberRow).where(MemberRow.workspace_id == workspace_id, MemberRow.name == name)
        )

    async def names_like(self, workspace_id: int, base: str) -> set[str]:
        stmt = select(MemberRow.name).where(
            MemberRow.workspace_id == workspace_id,
            (MemberRow.name == base) | MemberRow.name.startswith(f"{base}-", autoescape=True),
        )
        return set((await self._session.scalars(stmt)).all())

    async def by_slack_user(self, workspace_id: int, user_id: str) -> Member | None:
        return await self._one(
            select(MemberRow).where(
                MemberRow.workspace_id == workspace_id, MemberRow.slack_user_id == user_id
            )
        )

    async def by_discord_user(self, workspace_id: int, user_id: str) -> Member | None:
        return await self._one(
            select(MemberRow).where(
                MemberRow.workspace_id == workspace_id, MemberRow.discord_user_id == user_id
            )
        )

    async def list(self, workspace_id: int) -> list[Member]:
        stmt = (
            select(MemberRow).where(MemberRow.workspace_id == workspace_id).order_by(MemberRow.id)
        )
        return [member_from_row(row) for row in await fresh_rows(self._session, stmt)]

    async def update(self, member: Member) -> None:
        await self._session.execute(
            update(MemberRow)
            .where(MemberRow.id == member.id)
            .values(**member_values(member))
            .execution_options(**NO_SYNC)
        )

    async def set_granted(self, member_id: int, granted: frozenset[Role]) -> None:
        await self._session.execute(
            update(MemberRow)
            .where(MemberRow.id == member_id)
            .values(granted_roles=granted_text(granted))
            .execution_options(**NO_SYNC)
        )

    async def remove(self, member_id: int) -> None:
        await self._session.execute(
            delete(MemberRow).where(MemberRow.id == member_id).execution_options(**NO_SYNC)
        )

    async def _one(self, stmt: Select[MemberRow]) -> Member | None:
        row = await fresh_row(self._session, stmt)
        return member_from_row(row) if row else None


async def _insert_unique(session: AsyncSession, stmt: Insert, what: str) -> int:
    """The new row's id, or :class:`Duplicate` when a unique key is taken.

    On PostgreSQL a concurrent transaction adding the same key makes this insert wait
    on the unique index and fail once it commits; the savepoint keeps the failure from
    spoiling the caller's transaction, which can then read the other's row.
    """
    try:
        async with session.begin_nested():
            result: Any = (await session.execute(stmt)).scalar_one()
    except IntegrityError as error:
        if not _unique_violation(error):
            raise
        raise Duplicate(f"{what} exists already") from error
    return int(result)


def _unique_violation(error: IntegrityError) -> bool:
    """A taken unique key, told apart from a broken foreign key or a NOT NULL."""
    driver_error = error.orig
    if getattr(driver_error, "sqlstate", None) == "23505":  # PostgreSQL unique_violation
        return True
    return "UNIQUE constraint failed" in str(driver_error)  # SQLite's wording
