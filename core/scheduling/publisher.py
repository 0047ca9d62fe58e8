"""Publishing a post: one job per enabled entry, then exactly one final status.

Every entry is claimed with a compare-and-set on its version, so with any number of
workers an entry is sent once. The post's final status is decided under the post's
row lock, so when two entries finish at the same instant exactly one of them moves
the post and records the "post finished" event.
"""

import asyncio
import logging
import secrets
from collections.abc import Callable
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


@dataclass(frozen=True)
class Outcome:
    """What one entry's job ended with."""

    result: PublishResult | None = None
    error: str | None = None
    auth_failed: bool = False
    # The account's rate limit was reached: the entry waits until then, then goes.
    wait_until: datetime | None = None


class Publisher:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        platforms: PlatformDirectory,
        clock: Clock,
        *,
        concurrency: int = 8,
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
        self._slots = asyncio.Semaphore(concurrency)
        self.lease = lease
        self._retry = retry
        self._sleep = sleep
        self._meter = meter
        # Where a stored file's bytes are, by hash (None: media are links only).
        self._media_path = media_path
        self._tokens = tokens
        self._limits = limits

    async def post_ready(self, post_id: int) -> None:
        """Publish the post's pending entries now (publish now, retry)."""
        await self.publish_post(post_id)

    async def publish_post(self, post_id: int) -> None:
        async with self._uow() as uow:
            post = await uow.posts.get(post_id)
        if post is None or post.status is not PostStatus.PUBLISHING:
            return
        now = self._clock.now()
        pending = [e for e in post.enabled_entries if e.ready(now)]
        await report(post)
        if pending:
            await asyncio.gather(*(self._bounded(e.id) for e in pending))
        elif not any(e.status is EntryStatus.PENDING for e in post.enabled_entries):
            await self._settle_alone(post_id)

    async def _bounded(self, entry_id: int) -> None:
        async with self._slots:
            try:
                await self.run_entry(entry_id)
            except Exception:
                # One entry's bug must not stop its siblings; the lease recovers it.
                log.exception("entry job crashed", extra={"entry_id": entry_id})

    async def run_entry(self, entry_id: int) -> None:
        claimed = await self._claim(entry_id)
        if claimed is None:
            return
        entry, post, account, files = claimed
        outcome = await self._send(entry, post, account, files)
        await self._finish(entry, outcome)

    async def _claim(
        self, entry_id: int
    ) -> tuple[PlatformEntry, Post, SocialAccount | None, tuple[MediaFile, ...]] | None:
        now = self._clock.now()
        async with self._uow() as uow:
            entry = await uow.entries.get(entry_id)
            if entry is None or not entry.ready(now):
                return None
            wait = (
                await self._limits.reserve(entry.platform, entry.account_id)
                if self._limits
                else None
            )
            if wait is not None:
                # Waiting would hold a publish slot other accounts could use.
                entry.not_before = wait
                if await uow.entries.compare_and_set(entry):
                    await uow.commit()
                return None
            entry.not_before = None
            entry.move(EntryStatus.PUBLISHING)
            entry.attempts += 1
            entry.lease_until = now + self.lease
            entry.lease_owner = self.process_id
            if not await uow.entries.compare_and_set(entry):
                return None  # another worker claimed it first
            post = await uow.posts.get(entry.post_id)
            account = await uow.accounts.get(entry.account_id)
            assert post is not None
            stored = await stored_files(uow, post.workspace_id, post.media)
            await uow.commit()
        return entry, post, account, self._files(stored, post.media)

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

    async def _finish(self, entry: PlatformEntry, outcome: Outcome) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            post = await uow.posts.lock(entry.post_id)
            current = _entry_of(post, entry.id)
            if post is None or current is None or current.version != entry.version:
                # The lease ran out and recovery took the entry over; it reports now.
                log.warning("entry finished after losing its lease", extra={"entry_id": entry.id})
                return
            current.lease_until = None
            current.lease_owner = None
            if outcome.wait_until is not None:
                current.move(EntryStatus.PENDING)
                current.not_before = outcome.wait_until
                if await uow.entries.compare_and_set(current):
                    await uow.commit()
                return
            if outcome.result is not None:
                current.move(EntryStatus.PUBLISHED)
                current.platform_url = outcome.result.url
                current.external_id = outcome.result.external_id
                current.error_message = None
                current.published_at = now
            else:
                current.move(EntryStatus.FAILED)
                current.error_message = outcome.error
            if not await uow.entries.compare_and_set(current):
                return
            if outcome.error is not None:
                await record_entry_failed(uow, post, current, now)
            if outcome.auth_failed:
                await _disconnect(uow, post, current, now)
            await settle(uow, post, now)
            await uow.commit()
        outcome_name = "published" if outcome.result is not None else "failed"
        self._meter.count("entries", platform=entry.platform, outcome=outcome_name)
        await report(post)

    async def _settle_alone(self, post_id: int) -> None:
        async with self._uow() as uow:
            post = await uow.posts.lock(post_id)
            if post is not None:
                await settle(uow, post, self._clock.now())
                await uow.commit()


def _entry_of(post: Post | None, entry_id: int) -> PlatformEntry | None:
    if post is None:
        return None
    return next((e for e in post.entries if e.id == entry_id), None)


async def settle(uow: UnitOfWork, post: Post, now: datetime) -> bool:
    """Move a publishing post to its final status once every entry is final.

    The caller holds the post's lock; the version check makes a second settle a no-op.
    """
    outcome = post.outcome()
    if outcome is None or post.status is not PostStatus.PUBLISHING:
        return False
    post.move(outcome)
    post.finished_at = now
    post.updated_at = now
    if not await uow.posts.compare_and_set(post):
        return False
    await uow.events.add(
        DomainEvent(
            EventKind.POST_FINISHED,
            post.workspace_id,
            now,
            post_id=post.id,
            payload={"status": outcome.value, **post.snapshot()},
        )
    )
    return True


async def record_entry_failed(
    uow: UnitOfWork, post: Post, entry: PlatformEntry, now: datetime
) -> None:
    """The entry failed (its reason in ``error_message``): one event, for the notices."""
    await uow.events.add(
        DomainEvent(
            EventKind.ENTRY_FAILED,
            post.workspace_id,
            now,
            post_id=post.id,
            entry_id=entry.id,
            account_id=entry.account_id,
            payload={"platform": entry.platform, "error": entry.error_message},
        )
    )


async def _disconnect(uow: UnitOfWork, post: Post, entry: PlatformEntry, now: datetime) -> None:
    """An auth failure means the token is dead: mark the account and tell its owner."""
    account = await uow.accounts.get(entry.account_id)
    # One statement decides: of three entries failing at once, one tells the owner.
    if account is None or not await uow.accounts.mark_disconnected(account.id):
        return
    await uow.events.add(
        DomainEvent(
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
    )
