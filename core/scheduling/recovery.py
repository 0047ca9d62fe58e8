"""After a crash or downtime: interrupted entries and posts that came due meanwhile."""

import logging
from datetime import datetime, timedelta

from core.accounts import PLATFORMS
from core.events import DomainEvent, EventKind
from core.ports import Clock, ProcessLiveness, UnitOfWork, UnitOfWorkFactory
from core.posts import Post
from core.scheduling.publisher import record_entry_failed, settle
from core.states import EntryStatus, PostStatus
from core.timeparse import show_time

log = logging.getLogger(__name__)

INTERRUPTED = "interrupted — check the platform before retrying"


async def recover_interrupted(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    lease: timedelta = timedelta(minutes=10),
    liveness: ProcessLiveness | None = None,
) -> int:
    """Entries left publishing past their lease, or held by a process that is gone:
    the worker that held them crashed.

    A platform that honours idempotency keys gets the same request again (same key,
    so at most one post); elsewhere we cannot know whether the post went out, so the
    entry fails with a reason that tells the team to look before retrying.
    """
    now = clock.now()
    async with uow_factory() as uow:
        owners = await uow.entries.lease_owners() if liveness else set()
    gone = await liveness.gone(owners) if liveness and owners else set()
    async with uow_factory() as uow:
        stale = await uow.entries.stale_publishing(now, limit=500, gone_owners=gone)
    recovered = 0
    for stale_entry in stale:
        async with uow_factory() as uow:
            post = await uow.posts.lock(stale_entry.post_id)
            entry = (
                next((e for e in post.entries if e.id == stale_entry.id), None) if post else None
            )
            if post is None or entry is None or entry.version != stale_entry.version:
                continue
            started = entry.lease_until - lease if entry.lease_until else now
            entry.lease_until = None
            entry.lease_owner = None
            if _resendable(entry.platform, started, now):
                entry.move(EntryStatus.PENDING)
            else:
                entry.move(EntryStatus.FAILED)
                entry.error_message = INTERRUPTED
            if not await uow.entries.compare_and_set(entry):
                continue
            if entry.status is EntryStatus.FAILED:
                await record_entry_failed(uow, post, entry, now)
            await settle(uow, post, now)
            await uow.commit()
            recovered += 1
            log.warning(
                "recovered interrupted entry",
                extra={"post_id": post.id, "entry_id": entry.id, "status": entry.status.value},
            )
    return recovered


MISSED_PER_BATCH = 200


async def fail_missed(uow_factory: UnitOfWorkFactory, clock: Clock, grace: timedelta) -> int:
    """At start-up: posts overdue by more than ``grace`` fail as missed; the rest publish.

    Publishing hours late could be worse than not at all (a "starts in 10 minutes"
    post), so the owner is told instead and can reschedule or retry. Read in batches
    until none is left: a post past the first batch must not slip through to the
    catch-up tick and go out hours late.
    """
    now = clock.now()
    cutoff = now - grace
    missed = 0
    conflicts = 0
    while conflicts < 3:
        async with uow_factory() as uow:
            overdue = await uow.posts.overdue(cutoff, limit=MISSED_PER_BATCH)
            if not overdue:
                return missed
            try:
                failed = [
                    post
                    for post in await uow.posts.lock_many([p.id for p in overdue])
                    if await _fail_as_missed(uow, post, cutoff, now)
                ]
            except _Changed:
                conflicts += 1
                continue  # rolled back: read the batch again
            await uow.commit()
            missed += len(failed)
    log.warning("missed posts left scheduled: they kept changing while read")
    return missed


async def _fail_as_missed(uow: UnitOfWork, post: Post, cutoff: datetime, now: datetime) -> bool:
    if (
        post.status is not PostStatus.SCHEDULED
        or post.scheduled_at is None
        or post.scheduled_at >= cutoff
    ):
        return False
    reason = _missed_reason(post.scheduled_at)
    for entry in post.enabled_entries:
        if entry.status is EntryStatus.PENDING:
            entry.move(EntryStatus.FAILED)
            entry.error_message = reason
    post.move(PostStatus.FAILED)
    post.finished_at = now
    post.updated_at = now
    if not await uow.posts.save(post):
        # Changed since it was read (an edit committed first): the write is partial,
        # so the whole batch is rolled back and read again.
        raise _Changed
    await uow.events.add(
        DomainEvent(
            EventKind.POST_MISSED,
            post.workspace_id,
            now,
            post_id=post.id,
            payload={**post.snapshot(), "status": "failed", "reason": reason},
        )
    )
    return True


class _Changed(Exception):
    """A post changed between being read and written; its batch is read again."""


def _resendable(platform: str, started: datetime, now: datetime) -> bool:
    """Only while the platform still remembers the interrupted attempt's key."""
    spec = PLATFORMS[platform]
    if not spec.honours_idempotency_key:
        return False
    return spec.idempotency_window is None or now - started < spec.idempotency_window


def _missed_reason(scheduled_at: datetime) -> str:
    return (
        f"missed: the bot was not running at {show_time(scheduled_at, 'UTC')}; "
        "reschedule or retry it"
    )
