"""Keeping expiring tokens alive (LinkedIn, X, Bluesky sessions).

A token is renewed ahead of its expiry, by a publish that finds it about to expire or
by the hourly job, and only ever by one caller at a time: in a process, a lock per
account; across processes, a lease on the account's row. X's refresh tokens are single
use, so two refreshes at once would lose the account; and the renewed credentials are
written before the new token is used, so a crash right after a refresh loses nothing.

When a token can no longer be renewed (no refresh token, refused for good, a renewal
that itself ends), its owner hears ``token_expiring`` 7 days and 1 day ahead, then
``account_disconnected`` with a Reconnect button when it ends: each once, however many
workers run the job.
"""

import asyncio
import logging
import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.accounts import SocialAccount
from core.events import DomainEvent, EventKind
from core.ports import (
    AuthPlatformError,
    Clock,
    PlatformError,
    Renewal,
    TokenRefresher,
    TransientPlatformError,
    UnitOfWorkFactory,
)

log = logging.getLogger(__name__)

# A publish renews a token that would expire within this, so it never goes out stale.
PUBLISH_MARGIN = timedelta(minutes=5)
# One refresh call gets this long; the lease outlasts it, so it never lapses while its
# holder still waits for an answer (a crashed holder's lapses after it).
REFRESH_TIMEOUT = 60.0
REFRESH_LEASE = timedelta(minutes=5)
# Writing a renewal is retried: the new refresh token exists nowhere else.
SAVE_ATTEMPTS = 5
# Warnings before a token that cannot be renewed ends, largest first.
WARNING_DAYS = (7, 1)
# The job looks this far ahead: the first warning, and a margin for the hourly rhythm.
HORIZON = timedelta(days=WARNING_DAYS[0], hours=2)
BATCH = 500

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class TokenReport:
    refreshed: int = 0
    warned: int = 0
    disconnected: int = 0


class TokenKeeper:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        refreshers: Mapping[str, TokenRefresher],
        *,
        wait_for_others: float = 30.0,
        poll: float = 0.25,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._refreshers = refreshers
        self._wait = wait_for_others
        self._poll = poll
        self._sleep = sleep
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    def renews(self, account: SocialAccount) -> bool:
        return (
            account.platform in self._refreshers
            and account.token_renewable
            and account.token_expires_at is not None
        )

    async def fresh(self, account: SocialAccount, *, force: bool = False) -> SocialAccount:
        """The account with a token good for a while yet: renewed if it was about to
        expire (or, with ``force``, because the platform refused it), else as given.

        Raises AuthPlatformError when the renewal was refused for good and the token no
        longer works (expired, or refused: ``force``).
        """
        if not self.renews(account) or not (force or self._expiring(account)):
            return account
        async with self._locks[account.id]:
            current = await self._load(account.id)
            if current is None:
                return account
            if not current.token_renewable or (
                current.credentials != account.credentials and not self._expiring(current)
            ):
                return current  # renewed, or found unrenewable, while this one waited
            try:
                return await self._renew(current)
            except PlatformError:
                if force or self._expired(current):
                    raise
                # Not renewed (refused, or the platform is down), but the token works a
                # few minutes more: use it; the next publish or the hourly job tries again.
                return current

    def _expired(self, account: SocialAccount) -> bool:
        expires = account.token_expires_at
        return expires is not None and expires <= self._clock.now()

    def _expiring(self, account: SocialAccount) -> bool:
        expires = account.token_expires_at
        return expires is not None and expires - self._clock.now() <= PUBLISH_MARGIN

    async def _renew(self, account: SocialAccount) -> SocialAccount:
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self._wait
        owner = secrets.token_hex(8)
        while not await self._take_lease(account.id, owner):
            # Another process is renewing: its result is read back once it is written.
            if loop.time() >= give_up:
                raise TransientPlatformError("another process is renewing the token")
            await self._sleep(self._poll)
            current = await self._load(account.id)
            if current is not None and _settled(account, current):
                return current
        # The lease is ours; what was renewed (or refused) before we took it must not
        # be tried again with a refresh token already spent.
        current = await self._load(account.id)
        if current is not None and _settled(account, current):
            await self._release(account.id, owner)
            return current
        return await self._refresh(account, owner)

    async def _refresh(self, account: SocialAccount, owner: str) -> SocialAccount:
        refresher = self._refreshers[account.platform]
        try:
            renewal = await asyncio.wait_for(refresher.refresh(account), REFRESH_TIMEOUT)
        except AuthPlatformError:
            async with self._uow() as uow:
                ended = await uow.accounts.end_renewal(account.id, owner)
                await uow.commit()
            account.token_renewable = not ended and account.token_renewable
            raise
        except TimeoutError:
            await self._release(account.id, owner)
            raise TransientPlatformError(
                f"{account.spec.label} did not renew the token within {REFRESH_TIMEOUT:g}s"
            ) from None
        except BaseException:
            await self._release(account.id, owner)
            raise
        moved = renewal.life.deadline() != account.token.deadline()
        # Shielded: a shutdown cancelling the publish must not cancel the one write that
        # keeps a rotated refresh token.
        await asyncio.shield(self._save(account.id, renewal, forget_warnings=moved))
        warned = account.expiry_warned_days
        account.credentials = dict(renewal.credentials)
        account.take_token(renewal.life)
        account.expiry_warned_days = None if moved else warned
        log.info("token renewed", extra={"account_id": account.id})
        return account

    async def _save(self, account_id: int, renewal: Renewal, *, forget_warnings: bool) -> None:
        for attempt in range(1, SAVE_ATTEMPTS + 1):
            try:
                async with self._uow() as uow:
                    await uow.accounts.save_renewal(
                        account_id, renewal, forget_warnings=forget_warnings
                    )
                    await uow.commit()
                return
            except Exception:
                if attempt == SAVE_ATTEMPTS:
                    log.exception("renewed token not saved", extra={"account_id": account_id})
                    raise
                await self._sleep(0.2 * attempt)

    async def _take_lease(self, account_id: int, owner: str) -> bool:
        now = self._clock.now()
        async with self._uow() as uow:
            taken = await uow.accounts.take_refresh_lease(
                account_id, now, now + REFRESH_LEASE, owner
            )
            await uow.commit()
        return taken

    async def _release(self, account_id: int, owner: str) -> None:
        async with self._uow() as uow:
            await uow.accounts.release_refresh_lease(account_id, owner)
            await uow.commit()

    async def _load(self, account_id: int) -> SocialAccount | None:
        async with self._uow() as uow:
            return await uow.accounts.get(account_id)

    # --- the hourly job ----------------------------------------------------------------

    async def keep(self) -> TokenReport:
        """Renew what expires soon; warn about, then disconnect, what cannot be."""
        now = self._clock.now()
        refreshed = warned = disconnected = 0
        after = 0
        while True:
            # Page by id: hundreds of two-hour X tokens must not hide a LinkedIn deadline.
            async with self._uow() as uow:
                accounts = await uow.accounts.expiring(now + HORIZON, BATCH, after)
            for found in accounts:
                outcome = await self._keep_one(found, now)
                refreshed += outcome == "refreshed"
                warned += outcome == "warned"
                disconnected += outcome == "disconnected"
            if len(accounts) < BATCH:
                return TokenReport(refreshed, warned, disconnected)
            after = accounts[-1].id

    async def _keep_one(self, account: SocialAccount, now: datetime) -> str:
        """Renew the account's token if it is due; then, whatever came of that, warn
        about (or end) what can no longer be renewed."""
        reason, refreshed = "", False
        if self.renews(account) and self._due_for_renewal(account, now):
            try:
                account = await self.fresh(account, force=True)
                refreshed = account.token_renewable
            except TransientPlatformError:
                # Worth another try next hour.
                log.warning("token renewal failed", extra={"account_id": account.id})
                return ""
            except PlatformError as failed:
                reason = failed.reason
                account = await self._load(account.id) or account
        told = await self._warn_or_disconnect(account, reason)
        return told or ("refreshed" if refreshed else "")

    def _due_for_renewal(self, account: SocialAccount, now: datetime) -> bool:
        expires = account.token_expires_at
        return expires is not None and expires - now <= account.spec.refresh_ahead

    async def _warn_or_disconnect(self, account: SocialAccount, reason: str) -> str:
        deadline = account.token.deadline()
        now = self._clock.now()
        if deadline is None or deadline - now > timedelta(days=WARNING_DAYS[0]):
            return ""
        payload = {
            "account": account.name,
            "platform": account.platform,
            "expires_at": deadline.isoformat(),
            "reason": reason or _why(account),
        }
        async with self._uow() as uow:
            if deadline <= now:
                if not await uow.accounts.mark_disconnected(account.id):
                    return ""
                kind, outcome = EventKind.ACCOUNT_DISCONNECTED, "disconnected"
                payload["reason"] = f"its sign-in ended ({payload['reason']})"
            else:
                days = min(d for d in WARNING_DAYS if deadline - now <= timedelta(days=d))
                if not await uow.accounts.mark_warned(account.id, days):
                    return ""
                kind, outcome = EventKind.TOKEN_EXPIRING, "warned"
                payload["days"] = str(days)
            await uow.events.add(
                DomainEvent(kind, account.workspace_id, now, account_id=account.id, payload=payload)
            )
            await uow.commit()
        return outcome


def _settled(asked: SocialAccount, current: SocialAccount) -> bool:
    """Another caller renewed the token since ``asked`` was read, or learnt that it
    cannot be renewed."""
    return current.credentials != asked.credentials or not current.token_renewable


def _why(account: SocialAccount) -> str:
    if account.token_renewable:
        return f"{account.spec.label} lets a sign-in be renewed only until then"
    return f"{account.spec.label} gave no way to renew the sign-in"
