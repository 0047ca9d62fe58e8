"""Statements over posts that the scheduler and the list views run.

They are built here, apart from the repository, so tests can EXPLAIN exactly the
statement the repository executes.
"""

from datetime import datetime

from sqlalchemy import ColumnElement, Select, Update, exists, func, or_, select, update

from core.ports import PostFilter
from core.states import EntryStatus, PostStatus
from storage.repositories._common import NO_SYNC
from storage.tables import LabelRow, PlatformEntryRow, PostLabelRow, PostRow


def due_posts_select(now: datetime, limit: int, *, skip_locked: bool = False) -> Select[int]:
    """Ids of scheduled posts whose time has come, oldest first.

    A range scan on ``ix_posts_status_scheduled_at``. With ``skip_locked`` (PostgreSQL)
    rows another worker is claiming are passed over instead of waited for.
    """
    stmt = (
        select(PostRow.id)
        .where(PostRow.status == PostStatus.SCHEDULED.value, PostRow.scheduled_at <= now)
        .order_by(PostRow.scheduled_at)
        .limit(limit)
    )
    return stmt.with_for_update(skip_locked=True) if skip_locked else stmt


def claim_due_update(now: datetime, limit: int, *, skip_locked: bool) -> Update:
    """Flip the due posts to publishing in one statement and return their ids.

    ``WITH due AS MATERIALIZED (<due_posts_select>) UPDATE posts … WHERE id IN
    (SELECT id FROM due) AND status = 'scheduled' RETURNING id``. The CTE runs once:
    a plain ``IN (SELECT … LIMIT … FOR UPDATE SKIP LOCKED)`` may be re-run by a
    nested-loop plan for every outer row, and each re-run skips the rows the statement
    itself just claimed and locks the next ones, claiming more than ``limit``. The
    outer status check keeps the update conditional: a post claimed by a transaction
    that committed first no longer matches.
    """
    due = (
        due_posts_select(now, limit, skip_locked=skip_locked).cte("due").prefix_with("MATERIALIZED")
    )
    return _claim(PostRow.id.in_(select(due.c.id)), now)


def claim_ids_update(ids: list[int], now: datetime) -> Update:
    """Flip these scheduled posts to publishing (by primary key) and return their ids."""
    return _claim(PostRow.id.in_(ids), now)


def _claim(chosen: ColumnElement[bool], now: datetime) -> Update:
    """The chosen posts that are still scheduled (a transaction that committed first may
    have claimed one) become publishing, claimed now, their version bumped."""
    return (
        update(PostRow)
        .where(chosen, PostRow.status == PostStatus.SCHEDULED.value)
        .values(status=PostStatus.PUBLISHING.value, claimed_at=now, version=PostRow.version + 1)
        .returning(PostRow.id)
        .execution_options(**NO_SYNC)
    )


def pending_entries_select(now: datetime, limit: int) -> Select[int]:
    """Ids of publishing posts with a pending enabled entry not waiting past ``now``."""
    pending = exists().where(
        PlatformEntryRow.post_id == PostRow.id,
        PlatformEntryRow.enabled.is_(True),
        PlatformEntryRow.status == EntryStatus.PENDING.value,
        or_(PlatformEntryRow.not_before.is_(None), PlatformEntryRow.not_before <= now),
    )
    return (
        select(PostRow.id)
        .where(PostRow.status == PostStatus.PUBLISHING.value, pending)
        .order_by(PostRow.claimed_at, PostRow.id)
        .limit(limit)
    )


def overdue_select(before: datetime, limit: int) -> Select[PostRow]:
    """Scheduled posts whose time is earlier than ``before``, oldest first."""
    return (
        select(PostRow)
        .where(PostRow.status == PostStatus.SCHEDULED.value, PostRow.scheduled_at < before)
        .order_by(PostRow.scheduled_at, PostRow.id)
        .limit(limit)
    )


def post_time() -> ColumnElement[datetime]:
    """When a post shows on a calendar: its schedule, else when it ended or began."""
    return func.coalesce(PostRow.scheduled_at, PostRow.finished_at, PostRow.created_at)


def filtered_select(workspace_id: int, query: PostFilter) -> Select[PostRow]:
    """The posts of a workspace that ``query`` asks for, in calendar order."""
    stmt = select(PostRow).where(*_filter_conditions(workspace_id, query))
    return stmt.order_by(post_time(), PostRow.number).limit(query.limit)


def filtered_count(workspace_id: int, query: PostFilter) -> Select[int]:
    """How many posts :func:`filtered_select` would return without its limit."""
    return select(func.count()).select_from(PostRow).where(*_filter_conditions(workspace_id, query))


def _filter_conditions(workspace_id: int, query: PostFilter) -> list[ColumnElement[bool]]:
    when = post_time()
    conditions = [PostRow.workspace_id == workspace_id]
    if query.statuses:
        conditions.append(PostRow.status.in_(sorted(s.value for s in query.statuses)))
    if query.label is not None:
        labelled = (
            select(PostLabelRow.post_id)
            .join(LabelRow, LabelRow.id == PostLabelRow.label_id)
            .where(LabelRow.workspace_id == workspace_id, LabelRow.name == query.label)
        )
        conditions.append(PostRow.id.in_(labelled))
    if query.start is not None:
        conditions.append(when >= query.start)
    if query.end is not None:
        conditions.append(when < query.end)
    return conditions
