"""The outbox of domain events, written in the same transaction as the change."""

from collections.abc import Sequence

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.events import DomainEvent
from storage.mapping import event_from_row, event_values
from storage.repositories._common import fresh_rows
from storage.tables import DomainEventRow


class SqlEventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, event: DomainEvent) -> DomainEvent:
        stmt = insert(DomainEventRow).values(**event_values(event)).returning(DomainEventRow.id)
        event.id = (await self._session.execute(stmt)).scalar_one()
        return event

    async def after(self, event_id: int, limit: int) -> Sequence[DomainEvent]:
        """Events with an id above ``event_id``, oldest first."""
        stmt = (
            select(DomainEventRow)
            .where(DomainEventRow.id > event_id)
            .order_by(DomainEventRow.id)
            .limit(limit)
        )
        return [event_from_row(row) for row in await fresh_rows(self._session, stmt)]
