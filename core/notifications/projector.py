"""Domain events → inbox notifications and their deliveries, exactly once.

Each event is projected in a transaction of its own: the notifications, their
deliveries and the event's "processed" mark are written together or not at all. An
event that keeps failing (a bug, a kind this version does not know) is logged and set
aside, so it never holds back the ones behind it.
"""

import logging
from datetime import datetime

from core.events import DomainEvent
from core.notifications.gateways import ChatGateways
from core.notifications.model import Channel, Delivery, Notification, Presence
from core.notifications.recipients import Notice, notices_for
from core.notifications.routing import needs_presence, route
from core.notifications.types import NoticeType
from core.ports import Clock, UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

# An event that fails this many runs in a row is set aside (a bug, an unknown kind);
# fewer failures are more likely a database that blinked, so it is tried again.
SET_ASIDE_AFTER = 3


class Projector:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, chat: ChatGateways, *, batch: int = 100
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._chat = chat
        self._batch = batch
        # Failures per event in this process: one that keeps failing is set aside.
        self._failures: dict[int, int] = {}

    async def run_once(self) -> int:
        """Project pending events; return how many notifications were made."""
        made = 0
        for _ in range(self._batch):
            presence = await self._presence_for_next()
            async with self._uow() as uow:
                events = await uow.events.claim_unprocessed(1)
                if not events:
                    break
                event = events[0]
                try:
                    made += await self._project(uow, event, presence)
                    await uow.events.mark_processed(event.id, self._clock.now())
                    await uow.commit()
                    continue
                except Exception:
                    failures = self._failures.get(event.id, 0) + 1
                    self._failures[event.id] = failures
                    if failures < SET_ASIDE_AFTER:
                        # Perhaps the database blinked: leave it for the next run.
                        log.warning("event not projected yet", exc_info=True,
                                    extra={"event_id": event.id, "failures": failures})  # fmt: skip
                        break
                    log.exception("event set aside", extra={"event_id": event.id})
            self._failures.pop(event.id, None)
            async with self._uow() as uow:
                await uow.events.mark_processed(event.id, self._clock.now())
                await uow.commit()
        return made

    async def _presence_for_next(self) -> dict[int, Presence]:
        """Presence of the next event's recipients, where it can change the route.

        Read before the write transaction and outside any: it may be a network call
        (cached by the gateway) and, on SQLite, a gateway looking something up must
        not wait for the lock our own transaction would hold.
        """
        try:
            async with self._uow() as uow:
                events = await uow.events.claim_unprocessed(1)
                wanted = []
                for notice in await notices_for(uow, events[0]) if events else []:
                    member = await uow.members.get(notice.recipient_id)
                    prefs = await uow.preferences.get(notice.recipient_id)
                    if member is not None and needs_presence(notice.type, prefs):
                        wanted.append(member)
        except Exception:
            return {}  # the projection itself will meet the problem and set it aside
        return {m.id: await self._chat.presence(m) for m in wanted}

    async def _project(
        self, uow: UnitOfWork, event: DomainEvent, presence: dict[int, Presence]
    ) -> int:
        now = self._clock.now()
        made = 0
        for notice in await notices_for(uow, event):
            seen = presence.get(notice.recipient_id, Presence.UNKNOWN)
            made += await self._notify(uow, notice, event, now, seen)
        return made

    async def _notify(
        self,
        uow: UnitOfWork,
        notice: Notice,
        event: DomainEvent,
        now: datetime,
        presence: Presence,
    ) -> int:
        member = await uow.members.get(notice.recipient_id)
        if member is None or member.workspace_id != event.workspace_id:
            return 0  # removed since, or never of this workspace: not told
        if not member.active and notice.type is not NoticeType.INVITE_RECEIVED:
            return 0  # an invitation not accepted yet brings no other news
        notification = await uow.notifications.add(
            Notification(
                workspace_id=event.workspace_id,
                recipient_id=member.id,
                type=notice.type,
                created_at=now,
                payload=notice.payload,
                post_id=notice.post_id,
                account_id=notice.account_id,
                event_id=event.id,
            )
        )
        if await uow.deliveries.of_notification(notification.id):
            return 0  # a replayed event: this notification already has its deliveries
        prefs = await uow.preferences.get(member.id)
        decided = route(notice.type, prefs, presence, has_email=bool(member.email))
        channels = [
            *([(Channel.CHAT_DM, False)] if decided.chat else []),
            *([(Channel.EMAIL, decided.digest)] if decided.email else []),
        ]
        for channel, digest in channels:
            await uow.deliveries.add(
                Delivery(
                    notification_id=notification.id,
                    channel=channel,
                    recipient_id=member.id,
                    created_at=now,
                    next_attempt_at=now,
                    digest=digest,
                )
            )
        log.info(
            "notified",
            extra={
                "workspace_id": event.workspace_id,
                "member_id": member.id,
                "type": notice.type.value,
                "channels": [c.value for c, _ in channels],
            },
        )
        return 1
