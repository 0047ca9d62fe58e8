"""The outbox: deliveries claimed with a lease and settled under a version check."""

from datetime import datetime

from sqlalchemy import ColumnElement, Update, and_, false, insert, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.notifications.model import Delivery, DeliveryStatus
from storage.mapping import delivery_from_row, delivery_values
from storage.repositories._common import NO_SYNC, fresh_rows, skip_locked
from storage.tables import DeliveryRow

D = DeliveryRow
PENDING = DeliveryStatus.PENDING.value
SENDING = DeliveryStatus.SENDING.value


class SqlDeliveryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, delivery: Delivery) -> Delivery:
        stmt = (
            insert(DeliveryRow)
            .values(**delivery_values(delivery), version=delivery.version)
            .returning(D.id)
        )
        delivery.id = (await self._session.execute(stmt)).scalar_one()
        return delivery

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Delivery]:
        """Flip deliveries due now to sending with the new lease and return them.

        One statement either way, as with posts: PostgreSQL locks the chosen rows with
        ``SKIP LOCKED`` so concurrent dispatchers split them; SQLite has one writer at a
        time (``BEGIN IMMEDIATE``), so the conditional update alone is enough.
        """
        stmt = claim_due_update(now, lease_until, limit, skip_locked=skip_locked(self._session))
        rows = (await self._session.scalars(stmt)).all()
        return sorted((delivery_from_row(row) for row in rows), key=lambda d: d.id)

    async def compare_and_set(self, delivery: Delivery) -> bool:
        """Write if the stored version equals ``delivery.version``; bump it on success."""
        stmt = (
            update(DeliveryRow)
            .where(D.id == delivery.id, D.version == delivery.version)
            .values(**delivery_values(delivery), version=D.version + 1)
            .returning(D.id)
            .execution_options(**NO_SYNC)
        )
        if (await self._session.execute(stmt)).scalar_one_or_none() is None:
            return False
        delivery.version += 1
        return True

    async def waiting_for_digest(self, recipient_id: int) -> list[Delivery]:
        """Pending digest deliveries of one member, oldest first."""
        stmt = (
            select(DeliveryRow)
            .where(D.recipient_id == recipient_id, *_waiting_for_digest())
            .order_by(D.created_at, D.id)
        )
        return [delivery_from_row(row) for row in await fresh_rows(self._session, stmt)]

    async def digest_recipients(self) -> list[int]:
        """Members with at least one pending digest delivery."""
        stmt = (
            select(D.recipient_id).where(*_waiting_for_digest()).distinct().order_by(D.recipient_id)
        )
        return list((await self._session.scalars(stmt)).all())

    async def of_notification(self, notification_id: int) -> list[Delivery]:
        stmt = select(DeliveryRow).where(D.notification_id == notification_id).order_by(D.id)
        return [delivery_from_row(row) for row in await fresh_rows(self._session, stmt)]


def _waiting_for_digest() -> list[ColumnElement[bool]]:
    return [D.status == PENDING, D.digest == true()]


def _claimable(now: datetime) -> ColumnElement[bool]:
    """Due and not held for a digest, or abandoned by a dispatcher whose lease ended."""
    return or_(
        and_(D.status == PENDING, D.digest == false(), D.next_attempt_at <= now),
        and_(D.status == SENDING, D.lease_until < now),
    )


def claim_due_update(
    now: datetime, lease_until: datetime, limit: int, *, skip_locked: bool
) -> Update:
    """``WITH due AS MATERIALIZED (SELECT id … LIMIT n [FOR UPDATE SKIP LOCKED])
    UPDATE deliveries … WHERE id IN (SELECT id FROM due) AND <claimable> RETURNING *``.

    MATERIALIZED for the reason given at ``post_queries.claim_due_update``: the locking
    select must run once, or a re-run could claim more than ``limit``. Repeating the
    condition outside keeps the update conditional on SQLite, and on PostgreSQL
    guards against a row a committed claimer changed after the select saw it.
    """
    due = select(D.id).where(_claimable(now)).order_by(D.next_attempt_at, D.id).limit(limit)
    if skip_locked:
        due = due.with_for_update(skip_locked=True)
    chosen = due.cte("due").prefix_with("MATERIALIZED")
    return (
        update(DeliveryRow)
        .where(D.id.in_(select(chosen.c.id)), _claimable(now))
        .values(status=SENDING, lease_until=lease_until, version=D.version + 1)
        .returning(DeliveryRow)
        # Rows come back as ORM objects: refresh any copy the session already holds.
        .execution_options(populate_existing=True, **NO_SYNC)
    )
