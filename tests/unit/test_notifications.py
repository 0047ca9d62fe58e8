"""Events become notices for the right people; the outbox sends each exactly once."""

from datetime import timedelta

import pytest

from core.errors import NotFound
from core.notifications.model import Channel, DeliveryStatus, EmailMode, Presence
from core.notifications.ports import DeliveryFailed
from core.notifications.types import Category, NoticeType
from core.ports import PermanentPlatformError
from core.roles import Role
from core.usecases import notifications as inbox
from core.usecases import posts as cases
from core.usecases.context import Actor
from core.usecases.posts import NewPost
from tests.unit.conftest import Pipes, World


async def with_email(world: World, name: str, role: Role) -> Actor:
    actor = await world.member(name, role)
    async with world.uow() as uow:
        member = await uow.members.get(actor.member_id)
        assert member is not None
        member.email = f"{name}@example.test"
        await uow.members.update(member)
        await uow.commit()
    return actor


async def failed_post(world: World, author: Actor) -> int:
    post = await cases.schedule_post(world.svc, author, NewPost("Hi", when="in 5 minutes"))
    world.platform.fail("masto", PermanentPlatformError("Text too long"))
    world.clock.advance(timedelta(minutes=6))
    await world.ticker.tick()
    return post.number


async def test_a_partial_publish_reaches_owner_and_author_with_a_retry_button(
    world: World, pipes: Pipes
) -> None:
    editor = await with_email(world, "eddie", Role.EDITOR)
    number = await failed_post(world, editor)
    await pipes.flush()
    dms = {name: msg for name, msg, _ in pipes.chat.sent if "partially" in (msg.title or "")}
    assert set(dms) == {"olive", "eddie"}
    assert [b.command for b in dms["olive"].buttons][0] == f"retry {number}"
    assert any("Text too long" in item for item in dms["olive"].items)
    emails = [e for e in pipes.mail.sent if "partially" in e.subject]
    assert sorted(e.to for e in emails) == ["eddie@example.test", "olive@example.test"]
    box = await inbox.inbox(world.svc, world.owner)
    assert box.unread >= 1
    assert any(n.type is NoticeType.POST_FAILED for n in box.notifications)


async def test_the_actor_is_not_told_of_their_own_scheduling(world: World, pipes: Pipes) -> None:
    editor = await with_email(world, "eddie", Role.EDITOR)
    await cases.schedule_post(world.svc, editor, NewPost("Hi", when="in 1 hour"))
    await pipes.flush()
    told = [name for name, msg, _ in pipes.chat.sent if "scheduled" in (msg.title or "")]
    assert told == ["olive"]
    assert not pipes.mail.sent, "post_scheduled is off by email by default"


async def test_an_auth_failure_tells_the_owner_with_a_reconnect_button(
    world: World, pipes: Pipes
) -> None:
    from core.ports import AuthPlatformError

    await cases.schedule_post(world.svc, world.owner, NewPost("Hi", when="in 5 minutes"))
    world.platform.fail("masto", AuthPlatformError("token revoked"))
    world.clock.advance(timedelta(minutes=6))
    await world.ticker.tick()
    await pipes.flush()
    [msg] = [m for _, m, _ in pipes.chat.sent if "disconnected" in (m.title or "")]
    assert msg.buttons[0].command == "accounts reconnect masto"


async def test_a_sandbox_account_reconnects_by_its_mode(world: World, pipes: Pipes) -> None:
    from core.accounts import AccountStatus
    from core.ports import AuthPlatformError
    from core.usecases.accounts import set_sandbox_mode

    await cases.schedule_post(world.svc, world.owner, NewPost("Hi", when="in 5 minutes"))
    world.platform.fail("main", AuthPlatformError("revoked"))
    world.clock.advance(timedelta(minutes=6))
    await world.ticker.tick()
    await pipes.flush()
    disconnected = [m for _, m, _ in pipes.chat.sent if "disconnected" in (m.title or "")]
    assert disconnected and disconnected[0].buttons[0].command == "accounts mode main ok"
    account = await set_sandbox_mode(world.svc, world.owner, "main", "ok")
    assert account.status is AccountStatus.CONNECTED


async def test_replaying_events_never_notifies_twice(world: World, pipes: Pipes) -> None:
    await failed_post(world, world.owner)
    await pipes.flush()
    world.uow.store.processed.clear()  # as if the marks were lost
    await pipes.flush()
    titles = [m.title for _, m, _ in pipes.chat.sent]
    assert titles and len(titles) == len(set(titles))


async def test_a_rate_limited_dm_is_retried_after_retry_after_and_sent_once(
    world: World, pipes: Pipes
) -> None:
    pipes.chat.failures = [DeliveryFailed("ratelimited", retry_after=30)]
    await failed_post(world, world.owner)
    await pipes.flush()
    assert pipes.chat.sent == []
    await pipes.outbox.dispatch_due()
    assert pipes.chat.sent == [], "not before Retry-After"
    world.clock.advance(timedelta(seconds=31))
    await pipes.outbox.dispatch_due()
    await pipes.outbox.dispatch_due()
    assert len(pipes.chat.sent) == 1


async def test_smtp_down_then_up_delivers_each_email_once(world: World, pipes: Pipes) -> None:
    pipes.mail.failures = [DeliveryFailed("connection refused")] * 3
    await failed_post(world, world.owner)
    await pipes.flush()
    for _ in range(6):
        world.clock.advance(timedelta(minutes=10))
        await pipes.outbox.dispatch_due()
    assert len(pipes.mail.sent) == 1
    [delivery] = [d for d in world.uow.store.deliveries.values() if d.channel is Channel.EMAIL]
    assert delivery.status is DeliveryStatus.SENT and delivery.attempts == 4


async def test_a_permanent_refusal_is_kept_as_failed_not_retried(
    world: World, pipes: Pipes
) -> None:
    pipes.mail.failures = [DeliveryFailed("550 no such user", transient=False)]
    await failed_post(world, world.owner)
    await pipes.flush()
    world.clock.advance(timedelta(hours=2))
    await pipes.outbox.dispatch_due()
    [email] = [d for d in world.uow.store.deliveries.values() if d.channel is Channel.EMAIL]
    assert email.status is DeliveryStatus.FAILED and email.last_error == "550 no such user"
    assert pipes.mail.sent == []


async def test_a_dispatcher_dying_mid_send_loses_nothing(world: World, pipes: Pipes) -> None:
    await failed_post(world, world.owner)
    await pipes.projector.run_once()
    async with world.uow() as uow:  # a dispatcher claims, then the process dies
        claimed = await uow.deliveries.claim_due(
            world.clock.now(), world.clock.now() + timedelta(minutes=5), 50
        )
        await uow.commit()
    assert claimed
    await pipes.outbox.dispatch_due()
    assert pipes.chat.sent == [] and pipes.mail.sent == []
    world.clock.advance(timedelta(minutes=6))
    await pipes.outbox.dispatch_due()
    assert len(pipes.chat.sent) == len([d for d in claimed if d.channel is Channel.CHAT_DM])
    assert len(pipes.mail.sent) == len([d for d in claimed if d.channel is Channel.EMAIL])


async def test_the_digest_goes_out_once_at_the_members_hour(world: World, pipes: Pipes) -> None:
    await inbox.change_preferences(
        world.svc, world.owner, inbox.PreferenceChange(email_mode=EmailMode.DIGEST, digest_hour=9)
    )
    async with world.uow() as uow:
        owner = await uow.members.get(world.owner.member_id)
        assert owner is not None
        owner.timezone = "Europe/Paris"
        await uow.members.update(owner)
        await uow.commit()
    # 10:00 UTC start; two failures land in the digest, not as single emails.
    await failed_post(world, world.owner)
    await failed_post(world, world.owner)
    await pipes.flush()
    assert pipes.mail.sent == []
    world.clock.set(world.clock.now().replace(day=26, hour=7, minute=30))  # 08:30 in Paris
    assert await pipes.outbox.send_digests() == 0
    world.clock.advance(timedelta(minutes=30))  # 09:00 in Paris
    assert await pipes.outbox.send_digests() == 1
    assert await pipes.outbox.send_digests() == 0
    [digest] = pipes.mail.sent
    assert digest.digest and len(digest.items) == 2
    assert digest.subject == "Your trypost digest: 2 notice(s)"


async def test_away_only_email_follows_presence(world: World, pipes: Pipes) -> None:
    await inbox.change_preferences(
        world.svc, world.owner, inbox.PreferenceChange(email_only_when_away=True)
    )
    pipes.chat.presence_of["olive"] = Presence.PRESENT
    await failed_post(world, world.owner)
    await pipes.flush()
    assert pipes.chat.sent and pipes.mail.sent == []
    pipes.chat.presence_of["olive"] = Presence.AWAY
    await failed_post(world, world.owner)
    await pipes.flush()
    assert len(pipes.mail.sent) == 1


async def test_inbox_read_archive_and_filters(world: World, pipes: Pipes) -> None:
    await failed_post(world, world.owner)
    await cases.schedule_post(world.svc, world.owner, NewPost("later", when="in 3 hours"))
    await pipes.flush()
    box = await inbox.inbox(world.svc, world.owner)
    assert box.unread == len(box.notifications) >= 1
    first = box.notifications[0]
    assert await inbox.mark_read(world.svc, world.owner, first.id) == 1
    assert (await inbox.inbox(world.svc, world.owner, "read")).notifications[0].id == first.id
    assert (await inbox.inbox(world.svc, world.owner, category="system")).notifications == []
    publishing = await inbox.inbox(world.svc, world.owner, category="publishing")
    assert publishing.notifications
    await inbox.archive(world.svc, world.owner, "all")
    assert (await inbox.inbox(world.svc, world.owner)).notifications == []
    assert (await inbox.inbox(world.svc, world.owner, "archived")).notifications
    stranger = await world.member("sam", Role.EDITOR)
    with pytest.raises(NotFound):
        await inbox.mark_read(world.svc, stranger, first.id)


async def test_preferences_and_unsubscribe_change_what_is_sent(world: World, pipes: Pipes) -> None:
    await inbox.change_preferences(
        world.svc,
        world.owner,
        inbox.PreferenceChange(channel="chat", enabled=False, topics=["publishing"]),
    )
    await inbox.unsubscribe(world.svc, world.owner.member_id, [Category.PUBLISHING])
    await failed_post(world, world.owner)
    await pipes.flush()
    assert pipes.chat.sent == [] and pipes.mail.sent == []
    assert (await inbox.inbox(world.svc, world.owner)).unread >= 1, "the inbox always records"


async def test_the_plan_cap_warns_at_80_percent_and_refuses_beyond(
    world: World, pipes: Pipes
) -> None:
    from core.errors import ValidationFailed
    from core.usecases.plan import set_monthly_cap

    await set_monthly_cap(world.svc, world.owner, 5)
    for i in range(5):
        await cases.schedule_post(world.svc, world.owner, NewPost(f"p{i}", when="in 1 hour"))
    await cases.create_draft(world.svc, world.owner, NewPost("drafts are free"))
    with pytest.raises(ValidationFailed, match="allows 5 posts a month"):
        await cases.schedule_post(world.svc, world.owner, NewPost("one too many", when="in 1 hour"))
    with pytest.raises(ValidationFailed, match="allows 5 posts a month"):
        await cases.publish_now(world.svc, world.owner, NewPost("now?"))
    await cases.schedule_post(world.svc, world.owner, NewPost("next month", when="2026-12-02 9:00"))
    await pipes.flush()
    limits = [m.title for _, m, _ in pipes.chat.sent if "limit" in (m.title or "").lower()]
    assert limits == ["📈 Nearing the monthly limit", "📈 Monthly post limit reached"]


async def test_an_interrupted_digest_is_sent_again_as_a_digest(world: World, pipes: Pipes) -> None:
    await inbox.change_preferences(
        world.svc, world.owner, inbox.PreferenceChange(email_mode=EmailMode.DIGEST, digest_hour=0)
    )
    await failed_post(world, world.owner)
    await pipes.flush()
    pipes.mail.failures = []

    class Crash(Exception):
        pass

    async def crash(email: object) -> None:
        raise Crash

    real_send = pipes.mail.send
    pipes.mail.send = crash  # type: ignore[method-assign]
    with pytest.raises(Crash):
        await pipes.outbox.send_digests()
    pipes.mail.send = real_send  # type: ignore[method-assign]
    world.clock.advance(timedelta(minutes=6))
    await pipes.outbox.dispatch_due()  # the lease ran out: back into the digest
    assert await pipes.outbox.send_digests() == 1
    assert [e.digest for e in pipes.mail.sent] == [True]


async def test_a_notice_describes_the_post_as_it_was_when_it_failed(
    world: World, pipes: Pipes
) -> None:
    number = await failed_post(world, world.owner)
    await cases.retry_post(world.svc, world.owner, number)  # fixed before notices went out
    await cases.delete_post(world.svc, world.owner, number)
    await pipes.flush()
    [failed] = [m for _, m, _ in pipes.chat.sent if "partially" in (m.title or "")]
    assert any(item.startswith("❌ masto (mastodon): Text too long") for item in failed.items)


async def test_an_event_that_cannot_be_projected_is_set_aside(world: World, pipes: Pipes) -> None:
    from core.events import DomainEvent, EventKind

    async with world.uow() as uow:
        # A malformed payload: projecting it raises.
        broken = DomainEvent(
            EventKind.POST_FINISHED,
            world.workspace_id,
            world.clock.now(),
            payload={"post_number": 9, "entries": [1]},
        )
        await uow.events.add(broken)
        await uow.commit()
    await failed_post(world, world.owner)
    for _ in range(3):  # it is retried a few runs before it is set aside
        await pipes.flush()
    assert any("partially" in (m.title or "") for _, m, _ in pipes.chat.sent)
    assert not await FakeClaims(world).unprocessed()


class FakeClaims:
    def __init__(self, world: World) -> None:
        self.world = world

    async def unprocessed(self) -> list[object]:
        async with self.world.uow() as uow:
            return list(await uow.events.claim_unprocessed(100))
