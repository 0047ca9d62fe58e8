"""The inbox: one notification per member, event and type; read and archived marks."""

from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.notifications.model import Notification
from core.notifications.ports import InboxFilter
from storage.mapping import notification_from_row, notification_values
from storage.repositories._common import NO_SYNC, fresh_row, fresh_rows, insert_with_conflicts
from storage.tables import NotificationRow

N = NotificationRow


class SqlNotificationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, notification: Notification) -> Notification:
        """Insert and fill in the id; a duplicate (event_id, type, recipient) returns the
        stored notification instead, unchanged, and leaves the one given untouched.

        ``ON CONFLICT DO NOTHING`` rather than catching an IntegrityError: the
        transaction stays usable, and on PostgreSQL a concurrent insert of the same key
        is waited for and then seen, not raced.
        """
        stmt = (
            insert_with_conflicts(self._session, NotificationRow)
            .values(**notification_values(notification))
            .on_conflict_do_nothing(index_elements=["event_id", "type", "recipient_id"])
            .returning(N.id)
        )
        inserted = (await self._session.execute(stmt)).scalar_one_or_none()
        if inserted is not None:
            notification.id = inserted
            return notification
        stored = await self._one(
            N.event_id == notification.event_id,
            N.type == notification.type.value,
            N.recipient_id == notification.recipient_id,
        )
        if stored is None:  # the conflicting row was deleted in between (its member went)
            raise LookupError(f"notification for event {notification.event_id} vanished")
        return stored

    async def get(self, notification_id: int) -> Notification | None:
        return await self._one(N.id == notification_id)

    async def update(self, notification: Notification) -> None:
        await self._session.execute(
            update(NotificationRow)
            .where(N.id == notification.id)
            .values(**notification_values(notification))
            .execution_options(**NO_SYNC)
        )

    async def inbox(self, recipient_id: int, query: InboxFilter) -> list[Notification]:
        """Newest first."""
        stmt = inbox_select(recipient_id, query)
        return [notification_from_row(row) for row in await fresh_rows(self._session, stmt)]

    async def unread_count(self, recipient_id: int) -> int:
        """Unread and not archived."""
        stmt = select(func.count()).select_from(NotificationRow).where(*_unread(recipient_id))
        return int((await self._session.execute(stmt)).scalar_one())

    async def mark_all_read(self, recipient_id: int, at: datetime) -> int:
        """Mark what ``unread_count`` counts as read; return how many that was."""
        return await self._mark(_unread(recipient_id), read_at=at)

    async def archive_all(self, recipient_id: int, at: datetime) -> int:
        """Archive everything not archived yet, and mark it read as archiving one does;
        return how many."""
        return await self._mark(
            [N.recipient_id == recipient_id, N.archived_at.is_(None)],
            archived_at=at,
            read_at=func.coalesce(N.read_at, at),
        )

    async def _mark(self, where: list[ColumnElement[bool]], **values: object) -> int:
        stmt = (
            update(NotificationRow)
            .where(*where)
            .values(**values)
            .returning(N.id)
            .execution_options(**NO_SYNC)
        )
        return len((await self._session.execute(stmt)).all())

    async def _one(self, *where: ColumnElement[bool]) -> Notification | None:
        row = await fresh_row(self._session, select(NotificationRow).where(*where))
        return notification_from_row(row) if row else None


def _unread(recipient_id: int) -> list[ColumnElement[bool]]:
    return [N.recipient_id == recipient_id, N.archived_at.is_(None), N.read_at.is_(None)]


def inbox_select(recipient_id: int, query: InboxFilter) -> Select[NotificationRow]:
    """A member's notifications as ``query`` narrows them; no status means not archived."""
    stmt = select(NotificationRow).where(N.recipient_id == recipient_id)
    if query.status == "archived":
        stmt = stmt.where(N.archived_at.is_not(None))
    else:
        stmt = stmt.where(N.archived_at.is_(None))
    if query.status == "unread":
        stmt = stmt.where(N.read_at.is_(None))
    elif query.status == "read":
        stmt = stmt.where(N.read_at.is_not(None))
    if query.category is not None:
        stmt = stmt.where(N.category == query.category.value)
    if query.since is not None:
        stmt = stmt.where(N.created_at >= query.since)
    return stmt.order_by(N.created_at.desc(), N.id.desc()).limit(query.limit)
