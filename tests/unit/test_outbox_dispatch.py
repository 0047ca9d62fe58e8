"""How the outbox dispatcher paces its sends: everything due in one run, a slow
delivery holding only its own slot, never more in flight than allowed."""

import asyncio
from datetime import timedelta

from core.messages import Reply
from core.notifications.gateways import ChatGateways
from core.notifications.model import Channel, Delivery, DeliveryStatus, Notification, Presence
from core.notifications.outbox import Backoff, Outbox
from core.notifications.ports import DeliveryFailed
from core.notifications.types import NoticeType
from core.workspace import Member
from tests.fakes import RecordingMailer
from tests.unit.conftest import World
from tests.waiting import until


class PacedChat:
    """A chat surface that counts DMs in flight; DMs to ``held`` wait for ``release``."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.flying = 0
        self.most = 0
        self.held: set[str] = set()
        self.release = asyncio.Event()
        self.failures: list[DeliveryFailed] = []

    def reaches(self, member: Member) -> bool:
        return True

    async def presence(self, member: Member) -> Presence:
        return Presence.UNKNOWN

    async def send_dm(self, member: Member, message: Reply, key: str) -> None:
        self.flying += 1
        self.most = max(self.most, self.flying)
        try:
            await asyncio.sleep(0)
            if key in self.held:
                await self.release.wait()
            if self.failures:
                raise self.failures.pop(0)
            self.sent.append(key)
        finally:
            self.flying -= 1


async def notices(world: World, count: int, *, email: bool = True) -> list[Delivery]:
    """``count`` notices to the owner, due now, each with a DM (and an email)."""
    now = world.clock.now()
    made = []
    async with world.uow() as uow:
        owner = await uow.members.get(world.owner.member_id)
        assert owner is not None
        owner.email = "olive@example.test"
        await uow.members.update(owner)
        for n in range(count):
            notice = await uow.notifications.add(
                Notification(
                    world.workspace_id,
                    owner.id,
                    NoticeType.POST_PUBLISHED,
                    now,
                    payload={"post_number": n + 1},
                )  # fmt: skip
            )
            for channel in (Channel.CHAT_DM, Channel.EMAIL) if email else (Channel.CHAT_DM,):
                made.append(
                    await uow.deliveries.add(
                        Delivery(notice.id, channel, owner.id, created_at=now, next_attempt_at=now)
                    )
                )
        await uow.commit()
    return made


def statuses(world: World) -> set[DeliveryStatus]:
    return {d.status for d in world.uow.store.deliveries.values()}


async def test_one_run_sends_everything_due_however_much(world: World) -> None:
    # 120 deliveries, two at a time: the old dispatcher stopped after 50 claims (100).
    await notices(world, 60)
    chat, mail = PacedChat(), RecordingMailer()
    outbox = Outbox(world.uow, world.clock, ChatGateways([chat]), mail, parallel=2)

    assert await outbox.dispatch_due() == 120

    assert statuses(world) == {DeliveryStatus.SENT}
    assert len(chat.sent) == len(set(chat.sent)) == 60 and len(mail.sent) == 60
    assert chat.most <= 2


async def test_a_waiting_dm_holds_its_own_slot_not_the_others(world: World) -> None:
    made = await notices(world, 40)
    chat, mail = PacedChat(), RecordingMailer()
    slow = next(d for d in made if d.channel is Channel.CHAT_DM)
    chat.held.add(slow.key)
    outbox = Outbox(world.uow, world.clock, ChatGateways([chat]), mail, parallel=4, claim=1)

    run = asyncio.create_task(outbox.dispatch_due())
    await until(lambda: len(mail.sent) == 40 and len(chat.sent) == 39, "the others to go")
    assert not run.done()
    assert world.uow.store.deliveries[slow.id].status is DeliveryStatus.SENDING

    chat.release.set()
    assert await run == 80
    assert statuses(world) == {DeliveryStatus.SENT}
    assert chat.most <= 4


async def test_a_retry_now_waits_a_second_and_is_not_retried_in_the_same_run(
    world: World,
) -> None:
    [dm] = await notices(world, 1, email=False)
    chat = PacedChat()
    chat.failures = [DeliveryFailed("ratelimited", retry_after=0)] * 5
    outbox = Outbox(world.uow, world.clock, ChatGateways([chat]), RecordingMailer())

    assert await outbox.dispatch_due() == 0

    stored = world.uow.store.deliveries[dm.id]
    assert (stored.status, stored.attempts) == (DeliveryStatus.PENDING, 1)
    assert stored.next_attempt_at == world.clock.now() + timedelta(seconds=1)
    assert Backoff().after(3, 0) == timedelta(seconds=1)
    assert Backoff().after(3, 12.5) == timedelta(seconds=12.5)


async def test_a_run_stops_claiming_after_its_time_and_finishes_what_it_claimed(
    world: World,
) -> None:
    await notices(world, 10, email=False)
    chat = PacedChat()
    ticks = iter(range(100))
    outbox = Outbox(world.uow, world.clock, ChatGateways([chat]), RecordingMailer(),
                    parallel=2, claim=2, run_for=1.5, monotonic=lambda: next(ticks))  # fmt: skip

    # The budget ends at 1.5: the clock reads 0 at the start, 1 at the first claim,
    # 2 at the second, so one claim of two goes out.
    assert await outbox.dispatch_due() == 2
    assert len(chat.sent) == 2
    pending = [d for d in world.uow.store.deliveries.values() if d.status is DeliveryStatus.PENDING]
    assert len(pending) == 8, "left for the next run, not claimed"
