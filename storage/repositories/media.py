"""The media store's rows: which files each workspace keeps, and how much they weigh."""

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.media import StoredMedia
from storage.repositories._common import fresh_rows, insert_with_conflicts
from storage.tables import MediaFileRow


class SqlMediaRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, media: StoredMedia) -> StoredMedia:
        stmt = (
            insert_with_conflicts(self._session, MediaFileRow)
            .values(
                workspace_id=media.workspace_id,
                sha256=media.sha256,
                content_type=media.content_type,
                size=media.size,
                width=media.width,
                height=media.height,
                created_at=datetime.now(UTC),
            )
            .on_conflict_do_nothing(index_elements=["workspace_id", "sha256"])
        )
        await self._session.execute(stmt)
        found = await self.by_hashes(media.workspace_id, [media.sha256])
        return found[0]

    async def by_hashes(self, workspace_id: int, hashes: Sequence[str]) -> list[StoredMedia]:
        if not hashes:
            return []
        rows = await fresh_rows(
            self._session,
            select(MediaFileRow).where(
                MediaFileRow.workspace_id == workspace_id, MediaFileRow.sha256.in_(hashes)
            ),
        )
        return [
            StoredMedia(r.workspace_id, r.sha256, r.content_type, r.size, r.width, r.height, r.id)
            for r in rows
        ]

    async def usage(self, workspace_id: int) -> int:
        total = await self._session.scalar(
            select(func.coalesce(func.sum(MediaFileRow.size), 0)).where(
                MediaFileRow.workspace_id == workspace_id
            )
        )
        return int(total or 0)
