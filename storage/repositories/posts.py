"""Posts with their entries and labels, written as one aggregate under a version check."""

import builtins
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Select, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.ports import PostFilter
from core.posts import PlatformEntry, Post
from core.states import PostStatus, ReviewState
from storage.mapping import entry_from_row, post_from_row, post_values
from storage.repositories._common import NO_SYNC, fresh_rows, skip_locked, write_versioned
from storage.repositories.entries import insert_entry, write_entry
from storage.repositories.labels import set_post_labels
from storage.repositories.post_queries import (
    claim_due_update,
    claim_ids_update,
    due_posts_select,
    filtered_count,
    filtered_select,
    overdue_select,
    pending_entries_select,
)
from storage.tables import LabelRow, PlatformEntryRow, PostLabelRow, PostRow


class SqlPostRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, post: Post) -> Post:
        """Insert the post with its entries and labels; ids are filled in."""
        if post.created_at is None:
            # The core stamps posts from its clock; this only guards the NOT NULL column.
            post.created_at = datetime.now(UTC)
        post.updated_at = post.updated_at or post.created_at
        stmt = (
            insert(PostRow).values(**post_values(post), version=post.version).returning(PostRow.id)
        )
        post.id = (await self._session.execute(stmt)).scalar_one()
        for entry in post.entries:
            await insert_entry(self._session, post.id, entry)
        await set_post_labels(self._session, post.workspace_id, post.id, post.labels)
        return post

    async def get(self, post_id: int) -> Post | None:
        return await self._first(select(PostRow).where(PostRow.id == post_id))

    async def by_number(self, workspace_id: int, number: int) -> Post | None:
        return await self._first(
            select(PostRow).where(PostRow.workspace_id == workspace_id, PostRow.number == number)
        )

    async def lock(self, post_id: int) -> Post | None:
        """Load the post and hold its row until the unit of work ends.

        ``SELECT … FOR UPDATE`` on PostgreSQL. SQLite has no row locks and renders no
        clause, but every transaction there began with ``BEGIN IMMEDIATE`` and already
        holds the database's write lock.
        """
        return await self._first(select(PostRow).where(PostRow.id == post_id).with_for_update())

    async def lock_many(self, post_ids: Sequence[int]) -> builtins.list[Post]:
        """``SELECT … WHERE id IN (…) ORDER BY id FOR UPDATE``: in id order, so two
        workers locking overlapping sets queue instead of deadlocking."""
        if not post_ids:
            return []
        stmt = (
            select(PostRow)
            .where(PostRow.id.in_(sorted(set(post_ids))))
            .order_by(PostRow.id)
            .with_for_update()
        )
        return await self._load(stmt)

    async def compare_and_set_many(self, posts: Sequence[Post]) -> bool:
        rows = [(post.id, post.version, post_values(post)) for post in posts]
        if not await write_versioned(self._session, PostRow, rows):
            return False
        for post in posts:
            post.version += 1
        return True

    async def save(self, post: Post) -> bool:
        """Write the post, its labels and entries if none changed since it was loaded.

        False when the post's or any entry's stored version differs from the one in
        memory; rows may then be written partly and the caller must not commit.
        Entries with id 0 are inserted; stored entries the post no longer has are
        deleted, so storage mirrors the aggregate.
        """
        if not await self._write_post(post):
            return False
        written: list[PlatformEntry] = []
        for entry in post.entries:
            if entry.id == 0:
                await insert_entry(self._session, post.id, entry)
            elif entry.post_id != post.id or not await write_entry(self._session, entry):
                return False
            else:
                written.append(entry)
        await self._session.execute(
            delete(PlatformEntryRow)
            .where(
                PlatformEntryRow.post_id == post.id,
                PlatformEntryRow.id.not_in([e.id for e in post.entries]),
            )
            .execution_options(**NO_SYNC)
        )
        await set_post_labels(self._session, post.workspace_id, post.id, post.labels)
        post.version += 1
        for entry in written:
            entry.version += 1
        return True

    async def compare_and_set(self, post: Post) -> bool:
        """Write the post's own fields (not labels, not entries) if its stored version
        equals ``post.version``; on success bump the version in storage and in memory."""
        if not await self._write_post(post):
            return False
        post.version += 1
        return True

    async def set_labels(self, post: Post) -> None:
        await set_post_labels(self._session, post.workspace_id, post.id, post.labels)

    async def remove(self, post: Post) -> bool:
        # Entries and label links go with the post (ON DELETE CASCADE).
        stmt = (
            delete(PostRow)
            .where(PostRow.id == post.id, PostRow.version == post.version)
            .returning(PostRow.id)
            .execution_options(**NO_SYNC)
        )
        return (await self._session.execute(stmt)).scalar_one_or_none() is not None

    async def list(self, workspace_id: int, query: PostFilter) -> list[Post]:
        return await self._load(filtered_select(workspace_id, query))

    async def count(self, workspace_id: int, query: PostFilter) -> int:
        """How many posts ``list`` would return without its limit."""
        return int((await self._session.execute(filtered_count(workspace_id, query))).scalar_one())

    async def claim_due(self, now: datetime, limit: int) -> builtins.list[int]:
        """Flip due scheduled posts to publishing and return their ids.

        PostgreSQL: one statement, locking the chosen rows with ``FOR UPDATE SKIP
        LOCKED`` so concurrent workers split the due posts between them. SQLite has one
        writer at a time (``BEGIN IMMEDIATE``): the due ids are read by index first,
        then updated by id — in one statement its planner would scan the status index
        (every scheduled post) while holding the write lock.
        """
        if skip_locked(self._session):
            stmt = claim_due_update(now, limit, skip_locked=True)
            return sorted((await self._session.execute(stmt)).scalars().all())
        due = list((await self._session.scalars(due_posts_select(now, limit))).all())
        if not due:
            return []
        result = await self._session.execute(claim_ids_update(due, now))
        return sorted(result.scalars().all())

    async def with_pending_entries(self, now: datetime, limit: int) -> builtins.list[int]:
        return list((await self._session.scalars(pending_entries_select(now, limit))).all())

    async def overdue(self, before: datetime, limit: int) -> builtins.list[Post]:
        """Scheduled posts whose time is earlier than ``before``."""
        return await self._load(overdue_select(before, limit))

    async def overdue_reviews(self, now: datetime, limit: int) -> builtins.list[Post]:
        # A range scan of the (status, scheduled_at) index, like the due query.
        stmt = (
            select(PostRow)
            .where(
                PostRow.status == PostStatus.DRAFT.value,
                PostRow.scheduled_at <= now,
                PostRow.review_state == ReviewState.PENDING_REVIEW.value,
                PostRow.review_overdue_noted.is_(False),
            )
            .order_by(PostRow.scheduled_at, PostRow.id)
            .limit(limit)
        )
        return await self._load(stmt)

    async def _write_post(self, post: Post) -> bool:
        """``UPDATE posts SET …, version = version + 1 WHERE id = … AND version = …``."""
        stmt = (
            update(PostRow)
            .where(PostRow.id == post.id, PostRow.version == post.version)
            .values(**post_values(post), version=PostRow.version + 1)
            .returning(PostRow.id)
            .execution_options(**NO_SYNC)
        )
        return (await self._session.execute(stmt)).scalar_one_or_none() is not None

    async def _first(self, stmt: Select[PostRow]) -> Post | None:
        posts = await self._load(stmt.limit(1))
        return posts[0] if posts else None

    async def _load(self, stmt: Select[PostRow]) -> builtins.list[Post]:
        """Posts for the rows ``stmt`` selects, with entries and labels in two queries."""
        rows = await fresh_rows(self._session, stmt)
        if not rows:
            return []
        ids = [row.id for row in rows]
        entries = await self._entries_of(ids)
        labels = await self._labels_of(ids)
        return [post_from_row(row, entries[row.id], labels[row.id]) for row in rows]

    async def _entries_of(self, post_ids: Sequence[int]) -> dict[int, builtins.list[PlatformEntry]]:
        stmt = (
            select(PlatformEntryRow)
            .where(PlatformEntryRow.post_id.in_(post_ids))
            .order_by(PlatformEntryRow.id)
        )
        entries: dict[int, builtins.list[PlatformEntry]] = defaultdict(list)
        for row in await fresh_rows(self._session, stmt):
            entries[row.post_id].append(entry_from_row(row))
        return entries

    async def _labels_of(self, post_ids: Sequence[int]) -> dict[int, builtins.list[str]]:
        stmt = (
            select(PostLabelRow.post_id, LabelRow.name)
            .join(LabelRow, LabelRow.id == PostLabelRow.label_id)
            .where(PostLabelRow.post_id.in_(post_ids))
            .order_by(PostLabelRow.post_id, PostLabelRow.position)
        )
        labels: dict[int, builtins.list[str]] = defaultdict(list)
        for post_id, name in await self._session.execute(stmt):
            labels[post_id].append(name)
        return labels
