"""Labels of a workspace, and the post ↔ label links a post's label names stand for."""

from collections.abc import Sequence

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.labels import Label
from storage.mapping import label_from_row
from storage.repositories._common import NO_SYNC, fresh_row, fresh_rows
from storage.tables import LabelRow, PostLabelRow


class SqlLabelRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, label: Label) -> Label:
        label.id = await _insert_label(self._session, label.workspace_id, label.name)
        return label

    async def by_name(self, workspace_id: int, name: str) -> Label | None:
        stmt = select(LabelRow).where(LabelRow.workspace_id == workspace_id, LabelRow.name == name)
        row = await fresh_row(self._session, stmt)
        return label_from_row(row) if row else None

    async def list(self, workspace_id: int) -> list[Label]:
        stmt = select(LabelRow).where(LabelRow.workspace_id == workspace_id).order_by(LabelRow.name)
        return [label_from_row(row) for row in await fresh_rows(self._session, stmt)]

    async def remove(self, label_id: int) -> None:
        """Delete the label and detach it from every post."""
        # The foreign key cascades too; saying it here keeps the rule visible.
        await self._session.execute(
            delete(PostLabelRow)
            .where(PostLabelRow.label_id == label_id)
            .execution_options(**NO_SYNC)
        )
        await self._session.execute(
            delete(LabelRow).where(LabelRow.id == label_id).execution_options(**NO_SYNC)
        )


async def set_post_labels(
    session: AsyncSession, workspace_id: int, post_id: int, names: Sequence[str]
) -> None:
    """Make the post's links match ``names`` in order, creating labels the workspace lacks."""
    names = list(dict.fromkeys(names))
    ids = await _label_ids(session, workspace_id, names)
    await session.execute(
        delete(PostLabelRow).where(PostLabelRow.post_id == post_id).execution_options(**NO_SYNC)
    )
    if names:
        await session.execute(
            insert(PostLabelRow),
            [
                {"post_id": post_id, "label_id": ids[name], "position": position}
                for position, name in enumerate(names)
            ],
        )


async def _label_ids(session: AsyncSession, workspace_id: int, names: list[str]) -> dict[str, int]:
    if not names:
        return {}
    rows = await session.execute(
        select(LabelRow.name, LabelRow.id).where(
            LabelRow.workspace_id == workspace_id, LabelRow.name.in_(names)
        )
    )
    known: dict[str, int] = {name: label_id for name, label_id in rows}
    for name in names:
        if name not in known:
            known[name] = await _insert_label(session, workspace_id, name)
    return known


async def _insert_label(session: AsyncSession, workspace_id: int, name: str) -> int:
    """Insert the label, or return the id of the one a concurrent transaction just made.

    On PostgreSQL two transactions can create the same label at once; the second waits
    on the unique index and fails when the first commits. The savepoint keeps that
    failure from spoiling the caller's transaction, and the label is then read back.
    """
    stmt = insert(LabelRow).values(workspace_id=workspace_id, name=name).returning(LabelRow.id)
    try:
        async with session.begin_nested():
            return (await session.execute(stmt)).scalar_one()
    except IntegrityError:
        existing = await session.scalar(
            select(LabelRow.id).where(LabelRow.workspace_id == workspace_id, LabelRow.name == name)
        )
        if existing is None:
            raise
        return existing
