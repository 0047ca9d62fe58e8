"""A DM that can never be delivered goes by email instead, or stays in the inbox, saying so.

Chat refusing for good (Discord's 50007 "cannot send messages to this user", Slack's
channel_not_found, no chat identity at all) must not lose the notice: the failure and an
email delivery are written together, due now, whatever the type's email default, the
presence rule or the digest; only an explicit "email off" for the type is respected.
"""

import logging
from datetime import timedelta

import pytest

from bot.commands.dispatch import Context, dispatch
from bot.commands.grammar import parse
from core.notifications.model import Channel, Delivery, DeliveryStatus, Presence
from core.notifications.ports import DeliveryFailed
from core.notifications.types import NoticeType
from core.roles import Role
from core.usecases import posts as cases
from core.usecases.context import Actor
from core.usecases.posts import NewPost
from tests.unit.conftest import Pipes, World

REFUSED = "cannot send messages to this user (50007)"


async def a_post_scheduled_by_an_editor(world: World) -> None:
    """The owner hears of it by chat only: post_scheduled's email is off by default."""
    editor = await world.member("eddie", Role.EDITOR)
    await cases.schedule_post(world.svc, editor, NewPost("Spring sale", when="in 2 hours"))


def deliveries(world: World, kind: NoticeType) -> list[Delivery]:
    """The owner's deliveries of notices of this kind, oldest first."""
    owner = world.owner.member_id
    notices = world.uow.store.notifications.values()
    wanted = {n.id for n in notices if n.type is kind and n.recipient_id == owner}
    found = [d for d in world.uow.store.deliveries.values() if d.notification_id in wanted]
    return sorted(found, key=lambda d: d.id)


async def say(world: World, actor: Actor, line: str) -> None:
    await dispatch(parse(line), Context(world.svc, actor))


async def test_a_dm_refused_for_good_is_emailed_instead(world: World, pipes: Pipes) -> None:
    pipes.chat.refuse_for_good("olive", REFUSED)
    await a_post_scheduled_by_an_editor(world)
    await pipes.flush()
    dm, email = deliveries(world, NoticeType.POST_SCHEDULED)
    assert dm.channel is Channel.CHAT_DM and dm.status is DeliveryStatus.FAILED
    assert dm.last_error == f"{REFUSED}; sent by email instead"
    assert email.channel is Channel.EMAIL and email.status is DeliveryStatus.SENT
    [mail] = pipes.mail.sent
    assert mail.to == "olive@example.test" and "Post 1 scheduled" in mail.subject


async def test_the_fallback_email_ignores_presence_and_the_digest(
    world: World, pipes: Pipes
) -> None:
    await say(world, world.owner, "settings notifications digest 8")
    await say(world, world.owner, "settings notifications away-only on")
    pipes.chat.presence_of["olive"] = Presence.PRESENT
    pipes.chat.refuse_for_good("olive")
    await a_post_scheduled_by_an_editor(world)
    await pipes.flush()
    [mail] = pipes.mail.sent
    assert not mail.digest, "chat was the way and it is shut: the email goes now"


async def test_a_notice_that_has_an_email_already_gets_no_second_one(
    world: World, pipes: Pipes
) -> None:
    pipes.chat.refuse_for_good("olive")
    await cases.publish_now(world.svc, await world.member("eve", Role.EDITOR), NewPost("Hi"))
    await pipes.flush()
    dm, email = deliveries(world, NoticeType.POST_PUBLISHED)
    assert dm.status is DeliveryStatus.FAILED and "its email delivery carries" in (
        dm.last_error or ""
    )
    assert email.status is DeliveryStatus.SENT
    assert [m.to for m in pipes.mail.sent] == ["olive@example.test"], "one email, not two"


async def test_with_no_address_the_notice_stays_in_the_inbox_and_is_never_retried(
    world: World, pipes: Pipes, caplog: pytest.LogCaptureFixture
) -> None:
    await say(world, world.owner, "settings email off")
    pipes.chat.refuse_for_good("olive", REFUSED)
    await a_post_scheduled_by_an_editor(world)
    with caplog.at_level(logging.WARNING, logger="core.notifications.outbox"):
        await pipes.flush()
        for _ in range(3):
            world.clock.advance(timedelta(hours=2))
            await pipes.flush()
    [dm] = deliveries(world, NoticeType.POST_SCHEDULED)
    assert dm.status is DeliveryStatus.FAILED and dm.attempts == 1
    assert dm.last_error == f"{REFUSED}; no email address either: the notice stays in the inbox"
    assert pipes.mail.sent == []
    warned = [r for r in caplog.records if r.getMessage() == "notice left in the inbox only"]
    assert len(warned) == 1
    inbox = await dispatch(parse("inbox"), Context(world.svc, world.owner))
    assert any("Post 1 scheduled" in item for item in inbox.items)


async def test_an_explicit_email_off_for_the_type_is_respected(world: World, pipes: Pipes) -> None:
    await say(world, world.owner, "settings notifications email off post_scheduled")
    pipes.chat.refuse_for_good("olive")
    await a_post_scheduled_by_an_editor(world)
    await pipes.flush()
    [dm] = deliveries(world, NoticeType.POST_SCHEDULED)
    assert dm.status is DeliveryStatus.FAILED
    assert (dm.last_error or "").endswith(
        "email is off for this type: the notice stays in the inbox"
    )
    assert pipes.mail.sent == []


async def test_an_unsubscribe_of_the_category_is_respected(world: World, pipes: Pipes) -> None:
    from core.notifications.types import Category
    from core.usecases.notifications import unsubscribe

    await unsubscribe(world.svc, world.owner.member_id, [Category.PUBLISHING])
    pipes.chat.refuse_for_good("olive")
    await a_post_scheduled_by_an_editor(world)
    await pipes.flush()
    assert pipes.mail.sent == []


async def test_a_passing_chat_failure_is_retried_not_rerouted(world: World, pipes: Pipes) -> None:
    pipes.chat.failures.append(DeliveryFailed("rate limited", retry_after=30))
    await a_post_scheduled_by_an_editor(world)
    await pipes.flush()
    [dm] = deliveries(world, NoticeType.POST_SCHEDULED)
    assert dm.status is DeliveryStatus.PENDING and pipes.mail.sent == []
    world.clock.advance(timedelta(seconds=31))
    await pipes.flush()
    assert pipes.chat.sent and pipes.mail.sent == []


async def test_a_dispatcher_that_lost_its_lease_adds_no_email(world: World, pipes: Pipes) -> None:
    """One writer: the failure and its email commit together, behind the version check."""
    await a_post_scheduled_by_an_editor(world)
    await pipes.projector.run_once()
    [dm] = deliveries(world, NoticeType.POST_SCHEDULED)
    notice = world.uow.store.notifications[dm.notification_id]
    stale = Delivery(**{**dm.__dict__, "version": dm.version - 1})
    refused = DeliveryFailed(REFUSED, transient=False)
    assert not await pipes.outbox._settle(stale, refused, instead=notice)
    assert [d.channel for d in deliveries(world, NoticeType.POST_SCHEDULED)] == [Channel.CHAT_DM]
    assert world.uow.store.deliveries[dm.id].status is DeliveryStatus.PENDING


async def test_a_member_no_chat_surface_reaches_gets_email(world: World) -> None:
    """ChatGateways' own refusal ("no chat identity I can reach") is for good too."""
    from core.notifications.gateways import ChatGateways
    from core.notifications.outbox import Outbox
    from core.notifications.projector import Projector
    from tests.fakes import RecordingMailer

    async with world.uow() as uow:
        owner = await uow.members.get(world.owner.member_id)
        assert owner is not None
        owner.email = "olive@example.test"
        await uow.members.update(owner)
        await uow.commit()
    mail, nobody = RecordingMailer(), ChatGateways()
    await a_post_scheduled_by_an_editor(world)
    await Projector(world.uow, world.clock, nobody).run_once()
    await Outbox(world.uow, world.clock, nobody, mail).dispatch_due()
    assert [m.to for m in mail.sent] == ["olive@example.test"]
