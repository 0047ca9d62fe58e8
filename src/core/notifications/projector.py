"""Domain events → inbox notifications and their deliveries, exactly once.

Presence is read before the write transaction (it may be a network call, cached by
the gateway); the transaction then claims the events, writes the notifications and
deliveries and marks the events processed, all or nothing.
"""

import logging
from collections.abc import Sequence
from datetime import datetime

from core.notifications.gateways import ChatGateways
from core.notifications.model import Channel, Delivery, Notification, Presence
from core.notifications.recipients import Notice, notices_for
from core.notifications.routing import route
from core.ports import Clock, UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)


class Projector:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, chat: ChatGateways, *, batch: int = 100
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._chat = chat
        self._batch = batch

    async def run_once(self) -> int:
        """Project one batch of pending events; return how many notifications were made."""
        presence = await self._presence_of_recipients()
        made = 0
        async with self._uow() as uow:
            events = await uow.events.claim_unprocessed(self._batch)
            now = self._clock.now()
            for event in events:
                for notice in await notices_for(uow, event):
                    made += await self._notify(
                        uow,
                        notice,
                        event.workspace_id,
                        event.id,
                        now,
                        presence.get(notice.recipient_id, Presence.UNKNOWN),
                    )
                await uow.events.mark_processed(event.id, now)
            await uow.commit()
        return made

    async def _presence_of_recipients(self) -> dict[int, Presence]:
        async with self._uow() as uow:
            events = await uow.events.claim_unprocessed(self._batch)
            notices = [n for e in events for n in await notices_for(uow, e)]
            members = [await uow.members.get(i) for i in {n.recipient_id for n in notices}]
        return {m.id: await self._chat.presence(m) for m in members if m is not None}

    async def _notify(
        self,
        uow: UnitOfWork,
        notice: Notice,
        workspace_id: int,
        event_id: int,
        now: datetime,
        presence: Presence,
    ) -> int:
        member = await uow.members.get(notice.recipient_id)
        if member is None:
            return 0
        notification = await uow.notifications.add(
            Notification(
                workspace_id=workspace_id,
                recipient_id=member.id,
                type=notice.type,
                created_at=now,
                payload=notice.payload,
                post_id=notice.post_id,
                account_id=notice.account_id,
                event_id=event_id,
            )
        )
        if await uow.deliveries.of_notification(notification.id):
            return 0  # a replayed event: this notification already has its deliveries
        prefs = await uow.preferences.get(member.id)
        decided = route(notice.type, prefs, presence, has_email=bool(member.email))
        channels: Sequence[tuple[Channel, bool]] = [
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
                "workspace_id": workspace_id,
                "member_id": member.id,
                "type": notice.type.value,
                "channels": [c.value for c, _ in channels],
            },
        )
        return 1
