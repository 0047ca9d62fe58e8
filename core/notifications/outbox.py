"""The outbox dispatcher: every delivery is sent, retried on failure, never twice.

A delivery is claimed with a lease (status ``sending``); a dispatcher that dies
mid-send leaves it to be re-claimed when the lease ends, so nothing is lost. The
result is written with a version check, so a slow dispatcher whose lease was taken
over cannot overwrite the newer outcome.

A chat DM refused for good (the member blocks DMs, left the server, has no identity
the bot reaches) is not the end of its notice: in the transaction that records the
failure, an email delivery is added when the member has an address and the notice has
none yet, so chat's closed door never loses a notice that email could carry.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.messages import Reply
from core.notifications.gateways import ChatGateways
from core.notifications.model import Channel, Delivery, DeliveryStatus, Notification
from core.notifications.ports import AddressConfirmation, DeliveryFailed, EmailNotice, Mailer
from core.notifications.render import render, subject_of
from core.notifications.types import NoticeType
from core.observe import NO_METER, Meter
from core.ports import Clock, UnitOfWork, UnitOfWorkFactory
from core.workspace import Member, Workspace

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    first: timedelta = timedelta(seconds=30)
    longest: timedelta = timedelta(hours=1)

    # The least wait before a retry, even when told "retry now" (Retry-After: 0), so a
    # failing delivery is not tried again within the same dispatch.
    least: timedelta = timedelta(seconds=1)

    def after(self, attempts: int, retry_after: float | None) -> timedelta:
        if retry_after is not None:
            return max(timedelta(seconds=retry_after), self.least)
        grown: timedelta = self.first * (2 ** max(attempts - 1, 0))
        return min(grown, self.longest)


class Outbox:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        chat: ChatGateways,
        mailer: Mailer,
        *,
        lease: timedelta = timedelta(minutes=5),
        backoff: Backoff = Backoff(),  # noqa: B008 - frozen value object
        parallel: int = 64,
        claim: int = 16,
        run_for: float = 60.0,
        meter: Meter = NO_METER,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._chat = chat
        self._mailer = mailer
        self._lease = lease
        self._backoff = backoff
        self._parallel = max(parallel, 1)
        self._claim = max(min(claim, self._parallel), 1)
        self._run_for = run_for
        self._meter = meter
        self._monotonic = monotonic

    async def dispatch_due(self) -> int:
        """Send what is due now, until nothing is (or ``run_for`` seconds have passed);
        return how many were sent.

        Up to ``parallel`` deliveries are in flight at once, and each goes at its own
        pace: as soon as ``claim`` of them have finished, as many more are claimed (or
        fewer, when fewer are in flight). A delivery that waits (a DM holding for
        Slack's Retry-After, a slow SMTP server) holds one slot, not the others. No
        more is claimed than can be sent at once, so no claimed delivery waits in a
        queue while its lease runs out; whatever is in flight when the run ends is
        finished first.
        """
        sent = 0
        flying: set[asyncio.Task[bool]] = set()
        ends = self._monotonic() + self._run_for
        more = True
        try:
            while True:
                free = self._parallel - len(flying)
                # With nothing in flight, look again whatever the last claim found: a
                # delivery may have come due meanwhile (an email instead of a shut DM).
                if (more and free >= self._claim) or not flying:
                    if self._monotonic() >= ends:
                        more = False
                    else:
                        claimed = await self._claim_due(free)
                        # Fewer than asked for: nothing else is due now.
                        more = len(claimed) == free
                        flying |= {asyncio.create_task(self._safely(d)) for d in claimed}
                if not flying:
                    return sent
                done, flying = await asyncio.wait(flying, return_when=asyncio.FIRST_COMPLETED)
                sent += sum(task.result() for task in done)
        finally:
            if flying:
                # Cancelled mid-run: what was claimed comes back when its lease ends.
                for task in flying:
                    task.cancel()
                await asyncio.gather(*flying, return_exceptions=True)

    async def _claim_due(self, limit: int) -> list[Delivery]:
        now = self._clock.now()
        async with self._uow() as uow:
            claimed = await uow.deliveries.claim_due(now, now + self._lease, limit)
            await uow.commit()
        return claimed

    async def _safely(self, delivery: Delivery) -> bool:
        try:
            return await self._deliver(delivery)
        except Exception:
            # Left in 'sending': the lease brings it back; one bad row stops nothing.
            log.exception("delivery crashed", extra={"delivery_id": delivery.id})
            return False

    async def _deliver(self, delivery: Delivery) -> bool:
        if delivery.digest:
            # A digest interrupted mid-send came back with its lease: it belongs in the
            # digest, which is tried again at once under the same Message-ID.
            await self._reopen_digest(
                delivery.recipient_id, [delivery], DeliveryFailed("digest interrupted")
            )
            return False
        async with self._uow(read_only=True) as uow:
            notification = await uow.notifications.get(delivery.notification_id)
            member = await uow.members.get(delivery.recipient_id)
            workspace = await uow.workspaces.get(member.workspace_id) if member else None
        if notification is None or member is None or workspace is None:
            return await self._settle(delivery, DeliveryFailed("recipient gone", transient=False))
        if member.workspace_id != notification.workspace_id:
            # Checked again at delivery: membership may have changed since the notice.
            return await self._settle(
                delivery, DeliveryFailed("recipient not in the workspace", transient=False)
            )
        zone = member.zone(workspace)
        try:
            if delivery.channel is Channel.CHAT_DM:
                await self._chat.send_dm(member, render(notification, zone), delivery.key)
            elif notification.type is NoticeType.EMAIL_CONFIRMATION:
                await self._mailer.send_confirmation(
                    self._confirmation(delivery.key, member, notification, zone)
                )
            else:
                await self._mailer.send(
                    self._email(delivery.key, member, workspace, [notification], zone)
                )
        except DeliveryFailed as failed:
            if delivery.channel is Channel.CHAT_DM and not failed.transient:
                return await self._settle(delivery, failed, instead=notification)
            return await self._settle(delivery, failed)
        return await self._settle(delivery, None)

    async def _settle(
        self,
        delivery: Delivery,
        failure: DeliveryFailed | None,
        *,
        instead: Notification | None = None,
    ) -> bool:
        """Record the outcome. ``instead``: the notice of a DM refused for good, which
        gets an email delivery in the same transaction when it can have one."""
        now = self._clock.now()
        delivery.attempts += 1
        delivery.lease_until = None
        if failure is None:
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = now
            delivery.last_error = None
        elif failure.transient:
            delivery.status = DeliveryStatus.PENDING
            delivery.last_error = failure.reason
            delivery.next_attempt_at = now + self._backoff.after(
                delivery.attempts, failure.retry_after
            )
        else:
            delivery.status = DeliveryStatus.FAILED
            delivery.last_error = failure.reason
        rerouted: list[bool] = []
        before = None
        if instead is not None and failure is not None and not failure.transient:
            notice, reason = instead, failure.reason

            async def email_instead(uow: UnitOfWork) -> None:
                rerouted[:] = [await self._email_instead(uow, delivery, notice, reason)]

            before = email_instead
        if not await self._record(delivery, before=before):
            return False
        if rerouted == [False]:
            log.warning(
                "notice left in the inbox only",
                extra={"delivery_id": delivery.id, "reason": delivery.last_error},
            )
        outcome = "sent" if failure is None else "retry" if failure.transient else "failed"
        self._meter.count("deliveries", channel=delivery.channel.value, outcome=outcome)
        log.info(
            "delivery",
            extra={
                "delivery_id": delivery.id,
                "channel": delivery.channel.value,
                "status": delivery.status.value,
                "attempts": delivery.attempts,
                "error": delivery.last_error,
            },
        )
        return failure is None

    async def _record(
        self,
        delivery: Delivery,
        tries: int = 3,
        *,
        before: Callable[[UnitOfWork], Awaitable[None]] | None = None,
    ) -> bool:
        """Write the outcome; after a send, a failed write is retried here rather than
        leaving the delivery to be sent again when its lease ends. ``before`` writes
        what must commit with the outcome (and only if the version check passes)."""
        for attempt in range(1, tries + 1):
            try:
                async with self._uow() as uow:
                    if before is not None:
                        await before(uow)
                    if not await uow.deliveries.compare_and_set(delivery):
                        return False
                    await uow.commit()
                return True
            except Exception:
                if attempt == tries:
                    raise
                log.warning("delivery outcome not recorded yet", exc_info=True)
                await asyncio.sleep(0.5 * attempt)
        return False

    async def _email_instead(
        self, uow: UnitOfWork, delivery: Delivery, notification: Notification, reason: str
    ) -> bool:
        """Chat is closed for good: add an email delivery (due now, ignoring the type's
        email default, presence and digest, since chat was the way and it is shut) unless
        the member has no address, the notice has an email delivery already, or the
        member turned email off for this type (an unsubscribe link does that). Says why
        in the DM's ``last_error``; True when an email now carries the notice."""
        member = await uow.members.get(delivery.recipient_id)
        existing = await uow.deliveries.of_notification(notification.id)
        if any(d.channel is Channel.EMAIL for d in existing):
            delivery.last_error = f"{reason}; its email delivery carries the notice"
            return True
        if member is None or not member.email:
            delivery.last_error = (
                f"{reason}; no email address either: the notice stays in the inbox"
            )
            return False
        prefs = await uow.preferences.get(member.id)
        if prefs.email.get(notification.type) is False:
            delivery.last_error = (
                f"{reason}; email is off for this type: the notice stays in the inbox"
            )
            return False
        now = self._clock.now()
        await uow.deliveries.add(
            Delivery(
                notification_id=notification.id,
                channel=Channel.EMAIL,
                recipient_id=member.id,
                created_at=now,
                next_attempt_at=now,
            )
        )
        delivery.last_error = f"{reason}; sent by email instead"
        return True

    @staticmethod
    def _confirmation(
        key: str, member: Member, notification: Notification, zone: str
    ) -> AddressConfirmation:
        """The confirmation email of a ``settings email`` request, to the NEW address;
        a request withdrawn or expired before its email went out is not sent at all."""
        p = notification.payload
        address, expires = p.get("address"), p.get("expires_at")
        if not address or not expires:
            raise DeliveryFailed("the request names no address", transient=False)
        if p.get("withdrawn_at") or p.get("confirmed_at"):
            raise DeliveryFailed(
                "the request was settled before its email went out", transient=False
            )
        return AddressConfirmation(
            key=key,
            to=str(address),
            recipient_name=member.name,
            recipient_id=member.id,
            workspace_id=notification.workspace_id,
            request_id=notification.id,
            expires_at=datetime.fromisoformat(str(expires)),
            timezone=zone,
        )

    @staticmethod
    def _email(
        key: str,
        member: Member,
        workspace: Workspace,
        notifications: list[Notification],
        zone: str,
        *,
        digest: bool = False,
        subject: str | None = None,
    ) -> EmailNotice:
        assert member.email is not None
        items: list[Reply] = [render(n, zone) for n in notifications]
        return EmailNotice(
            key=key,
            to=member.email,
            recipient_name=member.name,
            recipient_id=member.id,
            workspace_id=workspace.id,
            subject=subject or subject_of(notifications[0]),
            items=items,
            categories=tuple(dict.fromkeys(n.category for n in notifications)),
            digest=digest,
        )

    async def send_digests(self) -> int:
        """One email per member whose digest hour has come today, holding every notice
        that waited for it."""
        now = self._clock.now()
        async with self._uow() as uow:
            recipients = await uow.deliveries.digest_recipients()
        sent = 0
        for member_id in recipients:
            sent += await self._digest_for(member_id, now)
        return sent

    async def _digest_for(self, member_id: int, now: datetime) -> int:
        async with self._uow() as uow:
            member = await uow.members.get(member_id)
            workspace = await uow.workspaces.get(member.workspace_id) if member else None
            if member is None or workspace is None or not member.email:
                return 0
            prefs = await uow.preferences.get(member_id)
            local = now.astimezone(ZoneInfo(member.zone(workspace)))
            today = local.date().isoformat()
            if local.hour < prefs.digest_hour or prefs.last_digest_on == today:
                return 0
            waiting = await uow.deliveries.waiting_for_digest(member_id)
            notifications = [await uow.notifications.get(d.notification_id) for d in waiting]
            notifications = [
                n for n in notifications if n is None or n.workspace_id == member.workspace_id
            ]
            for delivery in waiting:
                delivery.status = DeliveryStatus.SENDING
                delivery.lease_until = now + self._lease
                if not await uow.deliveries.compare_and_set(delivery):
                    return 0
            prefs.last_digest_on = today
            await uow.preferences.save(prefs)
            await uow.commit()
        found = [n for n in notifications if n is not None]
        email = self._email(
            f"trypost-digest-{member_id}-{today}",
            member,
            workspace,
            found,
            member.zone(workspace),
            digest=True,
            subject=f"Your trypost digest: {len(found)} notice(s)",
        )
        try:
            await self._mailer.send(email)
        except DeliveryFailed as failed:
            await self._reopen_digest(member_id, waiting, failed)
            return 0
        async with self._uow() as uow:
            for delivery in waiting:
                delivery.status, delivery.sent_at = DeliveryStatus.SENT, self._clock.now()
                delivery.attempts += 1
                delivery.lease_until = None
                await uow.deliveries.compare_and_set(delivery)
            await uow.commit()
        self._meter.count("deliveries", len(waiting), channel=Channel.EMAIL.value, outcome="sent")
        return 1

    async def _reopen_digest(
        self, member_id: int, waiting: list[Delivery], failed: DeliveryFailed
    ) -> None:
        """The digest did not go out: put its notices back and let the next minute retry."""
        async with self._uow() as uow:
            for delivery in waiting:
                delivery.status = DeliveryStatus.PENDING
                delivery.lease_until = None
                delivery.last_error = failed.reason
                await uow.deliveries.compare_and_set(delivery)
            prefs = await uow.preferences.get(member_id)
            prefs.last_digest_on = None
            await uow.preferences.save(prefs)
            await uow.commit()
        self._meter.count("deliveries", len(waiting), channel=Channel.EMAIL.value, outcome="retry")
