"""A member's notification preferences: one row, or none for all the defaults."""

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.notifications.model import Preferences
from storage.mapping import preferences_from_row, preferences_values
from storage.repositories._common import fresh_row, insert_with_conflicts
from storage.tables import NotificationPreferencesRow


class SqlPreferenceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, member_id: int) -> Preferences:
        """The member's preferences; the defaults when none were saved."""
        stmt = select(NotificationPreferencesRow).where(
            NotificationPreferencesRow.member_id == member_id
        )
        row = await fresh_row(self._session, stmt)
        return preferences_from_row(row) if row else Preferences(member_id=member_id)

    async def save(self, preferences: Preferences) -> None:
        """Insert or overwrite the member's row in one statement (``ON CONFLICT DO UPDATE``)."""
        # An audit stamp only, never read by the core, so the wall clock is enough.
        values = {**preferences_values(preferences), "updated_at": datetime.now(UTC)}
        stmt = (
            insert_with_conflicts(self._session, NotificationPreferencesRow)
            .values(member_id=preferences.member_id, **values)
            .on_conflict_do_update(index_elements=["member_id"], set_=values)
        )
        await self._session.execute(stmt)
