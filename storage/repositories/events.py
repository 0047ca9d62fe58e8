"""The outbox of domain events, written in the same transaction as the change."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.events import DomainEvent
from storage.mapping import event_from_row, event_values
from storage.repositories._common import NO_SYNC, fresh_rows, table_of
from storage.tables import DomainEventRow


class SqlEventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, event: DomainEvent) -> DomainEvent:
        stmt = insert(DomainEventRow).values(**event_values(event)).returning(DomainEventRow.id)
        event.id = (await self._session.execute(stmt)).scalar_one()
        return event

    async def add_many(self, events: Sequence[DomainEvent]) -> None:
        if events:
            await self._session.execute(
                insert(table_of(DomainEventRow)), [event_values(event) for event in events]
            )

    async def after(self, event_id: int, limit: int) -> Sequence[DomainEvent]:
        """Events with an id above ``event_id``, oldest first."""
        stmt = (
            select(DomainEventRow)
            .where(DomainEventRow.id > event_id)
            .order_by(DomainEventRow.id)
            .limit(limit)
        )
        return [event_from_row(row) for row in await fresh_rows(self._session, stmt)]

    async def claim_unprocessed(self, limit: int) -> Sequence[DomainEvent]:
        """Events not yet processed, oldest first, locked until the unit of work ends.

        ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent consumers split the
        events instead of waiting on each other; SQLite renders no clause, and its
        ``BEGIN IMMEDIATE`` already makes consumers take turns.
        """
        stmt = (
            select(DomainEventRow)
            .where(DomainEventRow.processed_at.is_(None))
            .order_by(DomainEventRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [event_from_row(row) for row in await fresh_rows(self._session, stmt)]

    async def mark_processed(self, event_id: int, at: datetime) -> None:
        await self._session.execute(
            update(DomainEventRow)
            .where(DomainEventRow.id == event_id)
            .values(processed_at=at)
            .execution_options(**NO_SYNC)
        )
