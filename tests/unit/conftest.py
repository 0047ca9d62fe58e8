"""The core on in-memory fakes: a workspace with an owner and three accounts."""

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from core.accounts import SocialAccount
from core.clock import ManualClock
from core.notifications.gateways import ChatGateways
from core.notifications.outbox import Outbox
from core.notifications.projector import Projector
from core.roles import Role
from core.scheduling.publisher import Publisher
from core.scheduling.sending import RetryPolicy
from core.scheduling.tick import Ticker
from core.usecases.context import Actor, Services
from core.workspace import Member, Workspace
from tests.fakes import (
    Directory,
    FakeUnitOfWorkFactory,
    RecordingChat,
    RecordingMailer,
    RecordingPlatform,
)

START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


async def no_sleep(seconds: float) -> None:
    SLEPT.append(seconds)


SLEPT: list[float] = []


@dataclass
class World:
    uow: FakeUnitOfWorkFactory
    clock: ManualClock
    platform: RecordingPlatform
    publisher: Publisher
    ticker: Ticker
    svc: Services
    owner: Actor
    workspace_id: int

    async def member(self, name: str, role: Role) -> Actor:
        async with self.uow() as uow:
            member = await uow.members.add(Member(self.workspace_id, name, role))
            await uow.commit()
        return Actor(self.workspace_id, member.id)

    async def account(self, name: str, platform: str) -> SocialAccount:
        async with self.uow() as uow:
            account = await uow.accounts.add(
                SocialAccount(self.workspace_id, platform, name, f"@{name}", credentials={"t": "x"})
            )
            await uow.commit()
        return account

    def events(self, kind: str) -> list[object]:
        return [e for e in self.uow.store.events if e.kind == kind]


@pytest.fixture
async def world() -> World:
    return await make_world()


async def make_world() -> World:
    SLEPT.clear()
    uow = FakeUnitOfWorkFactory()
    clock = ManualClock(START)
    platform = RecordingPlatform()
    publisher = Publisher(
        uow, Directory(platform), clock, retry=RetryPolicy(attempts=3), sleep=no_sleep
    )
    async with uow() as tx:
        workspace = await tx.workspaces.add(Workspace(name="acme"))
        owner = await tx.members.add(Member(workspace.id, "olive", Role.OWNER))
        await tx.commit()
    w = World(
        uow,
        clock,
        platform,
        publisher,
        Ticker(uow, clock, publisher),
        Services(uow, clock, publisher),
        Actor(workspace.id, owner.id),
        workspace.id,
    )
    await w.account("main", "sandbox")
    await w.account("masto", "mastodon")
    return w


class Pipes:
    def __init__(self, world: World) -> None:
        self.chat = RecordingChat()
        self.mail = RecordingMailer()
        gateways = ChatGateways([self.chat])
        self.projector = Projector(world.uow, world.clock, gateways)
        self.outbox = Outbox(world.uow, world.clock, gateways, self.mail)
        # Notification ids a test has looked at already.
        self.seen: set[int] = set()

    async def flush(self) -> None:
        await self.projector.run_once()
        await self.outbox.dispatch_due()


@pytest.fixture
async def pipes(world: World) -> Pipes:
    async with world.uow() as uow:
        for member in await uow.members.list(world.workspace_id):
            member.email = f"{member.name}@example.test"
            await uow.members.update(member)
        await uow.commit()
    return Pipes(world)
