"""The outbox over real storage and a real SMTP server that goes down and comes back."""

from datetime import UTC, datetime, timedelta

from aiosmtpd.controller import Controller

from bot.email.links import LinkSigner
from bot.email.smtp import SmtpMailer
from core.clock import ManualClock
from core.events import DomainEvent, EventKind
from core.notifications.gateways import ChatGateways
from core.notifications.model import Channel, DeliveryStatus
from core.notifications.outbox import Outbox
from core.notifications.ports import InboxFilter
from core.notifications.projector import Projector
from core.roles import Role
from core.workspace import Member, Workspace
from storage.uow import SqlUnitOfWorkFactory
from tests.fakes import RecordingChat
from tests.integration.test_email import HOST, RecordingHandler, _free_port

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


async def seed(uow_factory: SqlUnitOfWorkFactory) -> int:
    """An owner with an email, and a fact that concerns them: an account disconnected."""
    async with uow_factory() as uow:
        workspace = await uow.workspaces.add(Workspace(name="acme"))
        owner = await uow.members.add(
            Member(workspace.id, "olive", Role.OWNER, email="olive@example.test")
        )
        await uow.events.add(
            DomainEvent(
                EventKind.ACCOUNT_DISCONNECTED,
                workspace.id,
                NOW,
                account_id=None,
                payload={"account": "brand", "platform": "sandbox", "reason": "revoked"},
            )
        )
        await uow.events.add(
            DomainEvent(
                EventKind.MEMBER_JOINED,
                workspace.id,
                NOW,
                payload={"member_id": owner.id + 1000, "name": "bob", "role": "editor"},
            )
        )
        await uow.commit()
    return owner.id


def outbox(uow: SqlUnitOfWorkFactory, clock: ManualClock, port: int, chat: RecordingChat) -> Outbox:
    links = LinkSigner("secret", "https://trypost.example.com")
    mailer = SmtpMailer(f"smtp://{HOST}:{port}", "bot@example.com", links, timeout=2)
    return Outbox(uow, clock, ChatGateways([chat]), mailer)


async def test_smtp_down_then_up_delivers_each_email_once(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    clock = ManualClock(NOW)
    owner = await seed(uow_factory)
    chat = RecordingChat()
    await Projector(uow_factory, clock, ChatGateways([chat])).run_once()
    port = _free_port()
    dispatcher = outbox(uow_factory, clock, port, chat)
    await dispatcher.dispatch_due()  # nothing listens on the port: the email waits
    handler = RecordingHandler()
    controller = Controller(handler, hostname=HOST, port=port)
    controller.start()
    try:
        for _ in range(4):
            clock.advance(timedelta(minutes=5))
            await dispatcher.dispatch_due()
    finally:
        controller.stop()
    assert [e.rcpt_tos for e in handler.envelopes] == [["olive@example.test"]]
    async with uow_factory() as uow:
        notification_ids = [
            n.id for n in await uow.notifications.inbox(owner, InboxFilter(limit=100))
        ]
        deliveries = [d for i in notification_ids for d in await uow.deliveries.of_notification(i)]
    emails = [d for d in deliveries if d.channel is Channel.EMAIL]
    assert [(d.status, d.attempts) for d in emails] == [(DeliveryStatus.SENT, 2)]


async def test_a_restart_with_deliveries_pending_loses_none(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    clock = ManualClock(NOW)
    await seed(uow_factory)
    chat = RecordingChat()
    await Projector(uow_factory, clock, ChatGateways([chat])).run_once()
    async with uow_factory() as uow:  # a dispatcher claimed them, then the process died
        claimed = await uow.deliveries.claim_due(clock.now(), clock.now() + timedelta(minutes=5), 9)
        await uow.commit()
    assert {d.channel for d in claimed} == {Channel.EMAIL, Channel.CHAT_DM}
    handler = RecordingHandler()
    port = _free_port()
    controller = Controller(handler, hostname=HOST, port=port)
    controller.start()
    try:
        restarted = outbox(uow_factory, clock, port, chat)
        assert await restarted.dispatch_due() == 0, "leases still held by the dead process"
        clock.advance(timedelta(minutes=6))
        await restarted.dispatch_due()
        await restarted.dispatch_due()
    finally:
        controller.stop()
    assert len(handler.envelopes) == 1
    assert len(chat.sent) == 1
