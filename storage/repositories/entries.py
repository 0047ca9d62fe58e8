"""Platform entries: claimed and finished under a version check, one or many at once."""

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.posts import PlatformEntry
from core.states import EntryStatus
from storage.mapping import entry_from_row, entry_values
from storage.repositories._common import NO_SYNC, fresh_row, fresh_rows, write_versioned
from storage.tables import PlatformEntryRow


class SqlEntryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, entry_id: int) -> PlatformEntry | None:
        stmt = select(PlatformEntryRow).where(PlatformEntryRow.id == entry_id)
        row = await fresh_row(self._session, stmt)
        return entry_from_row(row) if row else None

    async def compare_and_set(self, entry: PlatformEntry) -> bool:
        """Write the entry only if its stored version equals ``entry.version``.

        On success the version is bumped in storage and in memory.
        """
        if not await write_entry(self._session, entry):
            return False
        entry.version += 1
        return True

    async def claim_many(
        self, entries: Sequence[PlatformEntry], now: datetime, lease_until: datetime, owner: str
    ) -> list[PlatformEntry]:
        """One ``UPDATE … WHERE id IN (…) AND <still ready> RETURNING …``: an entry
        another worker claimed meanwhile no longer matches and is left out."""
        if not entries:
            return []
        stmt = (
            update(PlatformEntryRow)
            .where(
                PlatformEntryRow.id.in_([e.id for e in entries]),
                PlatformEntryRow.enabled.is_(True),
                PlatformEntryRow.status == EntryStatus.PENDING.value,
                or_(PlatformEntryRow.not_before.is_(None), PlatformEntryRow.not_before <= now),
            )
            .values(
                status=EntryStatus.PUBLISHING.value,
                attempts=PlatformEntryRow.attempts + 1,
                lease_until=lease_until,
                lease_owner=owner,
                not_before=None,
                version=PlatformEntryRow.version + 1,
            )
            .returning(PlatformEntryRow.id, PlatformEntryRow.version, PlatformEntryRow.attempts)
            .execution_options(**NO_SYNC)
        )
        stored = {
            id_: (version, attempts) for id_, version, attempts in await self._session.execute(stmt)
        }
        claimed = []
        for entry in entries:
            if entry.id not in stored:
                continue
            entry.move(EntryStatus.PUBLISHING)
            entry.version, entry.attempts = stored[entry.id]
            entry.lease_until = lease_until
            entry.lease_owner = owner
            entry.not_before = None
            claimed.append(entry)
        return claimed

    async def write_many(self, entries: Sequence[PlatformEntry]) -> bool:
        rows = [(entry.id, entry.version, entry_values(entry)) for entry in entries]
        if not await write_versioned(self._session, PlatformEntryRow, rows):
            return False
        for entry in entries:
            entry.version += 1
        return True

    async def stale_publishing(
        self, now: datetime, limit: int, gone_owners: Collection[str] = ()
    ) -> list[PlatformEntry]:
        """Entries left publishing by a crashed worker: lease ended, or owner gone."""
        stale = PlatformEntryRow.lease_until < now
        if gone_owners:
            stale = or_(stale, PlatformEntryRow.lease_owner.in_(list(gone_owners)))
        stmt = (
            select(PlatformEntryRow)
            .where(PlatformEntryRow.status == EntryStatus.PUBLISHING.value, stale)
            .order_by(PlatformEntryRow.lease_until, PlatformEntryRow.id)
            .limit(limit)
        )
        return [entry_from_row(row) for row in await fresh_rows(self._session, stmt)]

    async def lease_owners(self) -> set[str]:
        stmt = (
            select(PlatformEntryRow.lease_owner)
            .where(
                PlatformEntryRow.status == EntryStatus.PUBLISHING.value,
                PlatformEntryRow.lease_owner.is_not(None),
            )
            .distinct()
        )
        return {owner for owner in (await self._session.scalars(stmt)) if owner}


async def write_entry(session: AsyncSession, entry: PlatformEntry) -> bool:
    """``UPDATE … SET …, version = version + 1 WHERE id = … AND version = …``.

    True when the row matched; the in-memory version is left to the caller, so a
    caller writing several rows can bump them all only once every write succeeded.
    """
    stmt = (
        update(PlatformEntryRow)
        .where(
            PlatformEntryRow.id == entry.id,
            PlatformEntryRow.post_id == entry.post_id,
            PlatformEntryRow.version == entry.version,
        )
        .values(**entry_values(entry), version=PlatformEntryRow.version + 1)
        .returning(PlatformEntryRow.id)
        .execution_options(**NO_SYNC)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def insert_entry(session: AsyncSession, post_id: int, entry: PlatformEntry) -> None:
    """Insert a new entry of the post and fill in its id and post id."""
    stmt = (
        insert(PlatformEntryRow)
        .values(**entry_values(entry), post_id=post_id, version=entry.version)
        .returning(PlatformEntryRow.id)
    )
    entry.id = (await session.execute(stmt)).scalar_one()
    entry.post_id = post_id
