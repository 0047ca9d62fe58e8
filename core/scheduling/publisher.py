"""Publishing posts: one job per enabled entry, then exactly one final status.

Entries are claimed in batches by one conditional statement (still pending, still
ready), so with any number of workers an entry is sent once. How each send ended is
written in batches too (``GroupCommit``), under the posts' row locks and a version
check, so when two entries finish at the same instant exactly one transaction moves
the post and records the "post finished" event.
"""

import asyncio
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from core.accounts import AccountStatus, SocialAccount
from core.events import DomainEvent, EventKind
from core.media import MediaRef, StoredMedia, media_label
from core.observe import NO_METER, Meter
from core.ports import (
    AuthPlatformError,
    Clock,
    MediaFile,
    PlatformClient,
    PlatformDirectory,
    PlatformError,
    ProcessLiveness,
    PublishRequest,
    PublishResult,
    TransientPlatformError,
    UnitOfWork,
    UnitOfWorkFactory,
)
from core.posts import PlatformEntry, Post
from core.scheduling.batches import GroupCommit
from core.scheduling.progress import report
from core.scheduling.rate_limits import RateLimits
from core.scheduling.sending import RetryPolicy, Sleep, send_with_retries
from core.scheduling.tokens import TokenKeeper
from core.states import EntryStatus, PostStatus
from core.usecases.targets import stored_files

log = logging.getLogger(__name__)
DEFAULT_RETRY = RetryPolicy()
# A 429 that did not say until when: X's and Mastodon's windows are 15 and 5 minutes.
RATE_LIMIT_WAIT = timedelta(minutes=15)
# An entry waits out rate limits for at most this long after its post was claimed.
LONGEST_RATE_WAIT = timedelta(hours=26)
# Sends in flight per worker. Publishing is waiting on platforms, not computing: a
# thousand posts due at 09:00 should all start within the minute; each account's own
# rate limit (RateLimits) keeps any one platform from being flooded.
CONCURRENCY = 256


@dataclass(frozen=True)
class Outcome:
    """What one entry's job ended with."""

    result: PublishResult | None = None
    error: str | None = None
    auth_failed: bool = False
    # The account's rate limit was reached: the entry waits until then, then goes.
    wait_until: datetime | None = None


@dataclass(frozen=True)
class Job:
    """A claimed entry with everything its send needs, read in the claim."""

    entry: PlatformEntry
    post: Post
    account: SocialAccount | None
    files: tuple[MediaFile, ...] = ()


@dataclass(frozen=True)
class Claimed:
    """What a claim leased (``jobs``) and the publishing posts it looked at."""

    jobs: list[Job]
    posts: list[Post]


class _Conflict(Exception):
    """A batch's version check failed: its items are written one by one instead."""


class Publisher:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        platforms: PlatformDirectory,
        clock: Clock,
        *,
        concurrency: int = CONCURRENCY,
        lease: timedelta = timedelta(minutes=10),
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Sleep = asyncio.sleep,
        meter: Meter = NO_METER,
        process_id: str | None = None,
        liveness: ProcessLiveness | None = None,
        media_path: Callable[[str], str] | None = None,
        tokens: TokenKeeper | None = None,
        limits: RateLimits | None = None,
    ) -> None:
        # Written on each lease, so recovery can tell a dead holder from a slow one.
        self.process_id = process_id or secrets.token_hex(8)
        self.liveness = liveness
        self._uow = uow
        self._platforms = platforms
        self._clock = clock
        self._concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        # Claimed entries not sent yet; the tick claims more only when there is room.
        self._held = 0
        self._room = asyncio.Condition()
        self.lease = lease
        self._retry = retry
        self._sleep = sleep
        self._meter = meter
        # Where a stored file's bytes are, by hash (None: media are links only).
        self._media_path = media_path
        self._tokens = tokens
        self._limits = limits
        self._finishing = GroupCommit(self._finish_batch)

    async def post_ready(self, post_id: int) -> None:
        """Publish the post's pending entries now (publish now, retry)."""
        await self.publish_post(post_id)

    async def publish_post(self, post_id: int) -> None:
        await self.publish_posts([post_id])

    async def publish_posts(self, post_ids: Sequence[int]) -> None:
        """Claim the ready entries of these publishing posts and publish them."""
        async with self._uow() as uow:
            claimed = await self.claim(uow, post_ids)
            await uow.commit()
        for post in claimed.posts:
            await report(post)
        await self.start(claimed.jobs)

    async def wait_for_room(self) -> None:
        """Until the entries claimed and not yet sent no longer fill every slot: a
        worker claims only what it can send soon, and leaves the rest due for the
        next worker (or tick)."""
        async with self._room:
            await self._room.wait_for(lambda: self._held <= self._concurrency)

    async def claim(self, uow: UnitOfWork, post_ids: Sequence[int]) -> Claimed:
        """In the caller's transaction: lease the ready entries of these posts (one
        statement) and read what sending them needs. The caller commits, then
        ``start``s the jobs; a post with nothing left to send is settled here."""
        now = self._clock.now()
        posts = [
            p for p in await uow.posts.lock_many(post_ids) if p.status is PostStatus.PUBLISHING
        ]
        ready: list[tuple[PlatformEntry, Post]] = []
        for post in posts:
            entries = [e for e in post.enabled_entries if e.ready(now)]
            if not entries and not any(
                e.status is EntryStatus.PENDING for e in post.enabled_entries
            ):
                await settle(uow, post, now)
            for entry in entries:
                if await self._rate_limited(uow, entry):
                    continue
                ready.append((entry, post))
        claimed = await uow.entries.claim_many(
            [entry for entry, _ in ready], now, now + self.lease, self.process_id
        )
        if not claimed:
            return Claimed([], posts)
        posts_of = {entry.id: post for entry, post in ready}
        accounts = await uow.accounts.get_many({e.account_id for e in claimed})
        files: dict[int, tuple[MediaFile, ...]] = {}
        for post in {posts_of[e.id].id: posts_of[e.id] for e in claimed}.values():
            if post.media and self._media_path is not None:
                stored = await stored_files(uow, post.workspace_id, post.media)
                files[post.id] = self._files(stored, post.media)
        jobs = [
            Job(e, posts_of[e.id], accounts.get(e.account_id), files.get(e.post_id, ()))
            for e in claimed
        ]
        return Claimed(jobs, posts)

    async def _rate_limited(self, uow: UnitOfWork, entry: PlatformEntry) -> bool:
        """The account's rate limit is reached: the entry waits until it lifts (waiting
        in a slot would hold it from accounts that could send)."""
        if self._limits is None:
            return False
        wait = await self._limits.reserve(entry.platform, entry.account_id)
        if wait is None:
            return False
        entry.not_before = wait
        await uow.entries.compare_and_set(entry)
        return True

    def start(self, jobs: Sequence[Job]) -> "asyncio.Task[None]":
        """Once the claim is committed: send each job's entry (at most ``concurrency``
        at once) and record how it ended. They count as held from now on."""
        self._held += len(jobs)
        return asyncio.create_task(self._run(jobs))

    async def _run(self, jobs: Sequence[Job]) -> None:
        await asyncio.gather(*(self._run_one(job) for job in jobs))

    async def _run_one(self, job: Job) -> None:
        try:
            try:
                async with self._slots:
                    outcome = await self._send(job.entry, job.post, job.account, job.files)
            finally:
                await self._sent_one()
            post = await self._finishing.submit((job.entry, outcome))
            if post is None:
                return
            if outcome.wait_until is None:  # a rate limit's wait is not an outcome yet
                name = "published" if outcome.result is not None else "failed"
                self._meter.count("entries", platform=job.entry.platform, outcome=name)
            await report(post)
        except Exception:
            # One entry's bug must not stop its siblings; the lease recovers it.
            log.exception("entry job crashed", extra={"entry_id": job.entry.id})

    async def _sent_one(self) -> None:
        async with self._room:
            self._held -= 1
            self._room.notify_all()

    def _files(self, stored: list[StoredMedia], media: list[str]) -> tuple[MediaFile, ...]:
        where = self._media_path
        if where is None:
            return ()
        alts = {ref.sha256: ref.alt for item in media if (ref := MediaRef.parse(item))}
        return tuple(
            MediaFile(
                where(m.sha256),
                m.content_type,
                m.size,
                m.sha256,
                alts.get(m.sha256, ""),
                m.width,
                m.height,
            )
            for m in stored
        )

    async def _send(
        self,
        entry: PlatformEntry,
        post: Post,
        account: SocialAccount | None,
        files: tuple[MediaFile, ...] = (),
    ) -> Outcome:
        if account is None:
            return Outcome(error="the account was removed")
        if account.status is AccountStatus.DISCONNECTED:
            return Outcome(error=f"{account.name} is disconnected; reconnect it, then retry")
        request = PublishRequest(
            account=account,
            text=post.text,
            media=tuple(media_label(item) for item in post.media),
            idempotency_key=entry.idempotency_key,
            labels=tuple(post.labels),
            post_number=post.number,
            files=files,
        )
        try:
            client = self._platforms.client_for(entry.platform)
            result = await self._publish(client, request)
        except AuthPlatformError as error:
            return Outcome(error=error.reason, auth_failed=True)
        except TransientPlatformError as error:
            if not error.rate_limited or self._limits is None:
                return Outcome(error=error.reason)
            wait = timedelta(seconds=error.retry_after or RATE_LIMIT_WAIT.total_seconds())
            until = self._clock.now() + wait
            self._limits.block(entry.platform, account.id, until)
            if post.claimed_at is not None and until - post.claimed_at > LONGEST_RATE_WAIT:
                # A cap that does not lift (a monthly quota): tell the team, do not wait.
                return Outcome(error=f"{error.reason}; still rate limited after a day")
            return Outcome(wait_until=until)
        except PlatformError as error:
            return Outcome(error=error.reason)
        except Exception as error:
            log.exception("platform client crashed", extra={"entry_id": entry.id})
            return Outcome(error=f"unexpected error: {type(error).__name__}")
        return Outcome(result=result)

    async def _publish(self, client: PlatformClient, request: PublishRequest) -> PublishResult:
        """Send with a token that works: renewed first when it is about to expire, and
        once more when the platform refuses it (revoked early, clocks apart)."""
        tokens = self._tokens
        account = request.account
        if tokens is not None:
            account = await tokens.fresh(account)
        try:
            result = await self._sent(client, replace(request, account=account))
        except AuthPlatformError:
            if tokens is None or not tokens.renews(account):
                raise
            account = await tokens.fresh(account, force=True)
            result = await self._sent(client, replace(request, account=account))
        if self._limits is not None:
            self._limits.told(account.platform, account.id, result.quota)
        return result

    async def _sent(self, client: PlatformClient, request: PublishRequest) -> PublishResult:
        return await send_with_retries(client, request, self._retry, self._sleep)

    async def _finish_batch(
        self, items: Sequence[tuple[PlatformEntry, Outcome]]
    ) -> list[Post | None]:
        """Record how these entries ended in one transaction: each entry, then each
        post that is now final, then the events. A version check failing (never
        expected: the posts are locked) writes the items one by one instead."""
        try:
            return await self._write_outcomes(items)
        except _Conflict:
            if len(items) == 1:
                # The lease ran out and recovery took the entry over; it reports now.
                log.warning(
                    "entry finished after losing its lease", extra={"entry_id": items[0][0].id}
                )
                return [None]
        return [post for item in items for post in await self._finish_batch([item])]

    async def _write_outcomes(
        self, items: Sequence[tuple[PlatformEntry, Outcome]]
    ) -> list[Post | None]:
        now = self._clock.now()
        async with self._uow() as uow:
            posts = {p.id: p for p in await uow.posts.lock_many([e.post_id for e, _ in items])}
            written: list[Post | None] = []
            changed: list[PlatformEntry] = []
            events: list[DomainEvent] = []
            for entry, outcome in items:
                post = posts.get(entry.post_id)
                current = _entry_of(post, entry.id)
                if post is None or current is None or current.version != entry.version:
                    if len(items) == 1:
                        raise _Conflict
                    written.append(None)
                    continue
                _record(current, outcome, now)
                changed.append(current)
                written.append(post)
                if outcome.error is not None:
                    events.append(entry_failed(post, current, now))
                if outcome.auth_failed and (notice := await _disconnect(uow, post, current, now)):
                    events.append(notice)
            if not await uow.entries.write_many(changed):
                raise _Conflict
            finished = [(post, event) for post in posts.values() if (event := _settled(post, now))]
            if not await uow.posts.compare_and_set_many([post for post, _ in finished]):
                raise _Conflict
            await uow.events.add_many(events + [event for _, event in finished])
            await uow.commit()
        return written


def _record(entry: PlatformEntry, outcome: Outcome, now: datetime) -> None:
    """What the send ended with, on the entry: published, failed, or waiting."""
    entry.lease_until = None
    entry.lease_owner = None
    if outcome.wait_until is not None:
        entry.move(EntryStatus.PENDING)
        entry.not_before = outcome.wait_until
    elif outcome.result is not None:
        entry.move(EntryStatus.PUBLISHED)
        entry.platform_url = outcome.result.url
        entry.external_id = outcome.result.external_id
        entry.error_message = None
        entry.published_at = now
    else:
        entry.move(EntryStatus.FAILED)
        entry.error_message = outcome.error


def _entry_of(post: Post | None, entry_id: int) -> PlatformEntry | None:
    if post is None:
        return None
    return next((e for e in post.entries if e.id == entry_id), None)


async def settle(uow: UnitOfWork, post: Post, now: datetime) -> bool:
    """Move a publishing post to its final status once every entry is final.

    The caller holds the post's lock; the version check makes a second settle a no-op.
    """
    event = _settled(post, now)
    if event is None or not await uow.posts.compare_and_set(post):
        return False
    await uow.events.add(event)
    return True


def _settled(post: Post, now: datetime) -> DomainEvent | None:
    """The post moved (in memory) to the final status its entries add up to, and the
    event that says so; None while an entry is unfinished or the post already final."""
    outcome = post.outcome()
    if outcome is None or post.status is not PostStatus.PUBLISHING:
        return None
    post.move(outcome)
    post.finished_at = now
    post.updated_at = now
    return DomainEvent(
        EventKind.POST_FINISHED,
        post.workspace_id,
        now,
        post_id=post.id,
        payload={"status": outcome.value, **post.snapshot()},
    )


async def record_entry_failed(
    uow: UnitOfWork, post: Post, entry: PlatformEntry, now: datetime
) -> None:
    await uow.events.add(entry_failed(post, entry, now))


def entry_failed(post: Post, entry: PlatformEntry, now: datetime) -> DomainEvent:
    """The entry failed (its reason in ``error_message``): one event, for the notices."""
    return DomainEvent(
        EventKind.ENTRY_FAILED,
        post.workspace_id,
        now,
        post_id=post.id,
        entry_id=entry.id,
        account_id=entry.account_id,
        payload={"platform": entry.platform, "error": entry.error_message},
    )


async def _disconnect(
    uow: UnitOfWork, post: Post, entry: PlatformEntry, now: datetime
) -> DomainEvent | None:
    """An auth failure means the token is dead: mark the account; the event tells its
    owner."""
    account = await uow.accounts.get(entry.account_id)
    # One statement decides: of three entries failing at once, one tells the owner.
    if account is None or not await uow.accounts.mark_disconnected(account.id):
        return None
    return DomainEvent(
        EventKind.ACCOUNT_DISCONNECTED,
        post.workspace_id,
        now,
        post_id=post.id,
        account_id=account.id,
        payload={
            "account": account.name,
            "platform": account.platform,
            "reason": entry.error_message,
        },
    )
