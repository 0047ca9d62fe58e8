"""No notice, DM, email or inbox line crosses from one workspace to another (issue 14).

Each reproduction runs the real use cases, publisher, projector and outbox on SQLite
and PostgreSQL, with the sandbox platform writing to a folder; only the chat network
and the mail server are recorded fakes.
"""

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.clock import ManualClock
from core.notifications.gateways import ChatGateways
from core.notifications.outbox import Outbox
from core.notifications.ports import InboxFilter
from core.notifications.projector import Projector
from core.ports import PostFilter
from core.scheduling.publisher import Publisher
from core.states import EntryStatus
from core.usecases import accounts, members, posts
from core.usecases.context import Actor, Services
from core.usecases.identities import ChatProfile
from core.usecases.posts import NewPost
from core.workspace import Member
from platforms.directory import Platforms
from platforms.sandbox import SandboxClient
from storage.uow import SqlUnitOfWorkFactory
from tests.fakes import RecordingChat, RecordingMailer

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def no_sleep(_: float) -> None:
    return None


@dataclass
class Teams:
    svc: Services
    clock: ManualClock
    chat: RecordingChat
    mailer: RecordingMailer
    projector: Projector
    outbox: Outbox
    uow: SqlUnitOfWorkFactory
    sandbox: Path

    async def owner(self, team: str) -> Actor:
        workspace = await members.ensure_workspace(self.svc, team)
        owner = await members.ensure_member(
            self.svc, workspace.id, f"{team}-owner", email=f"{team}-owner@example.org"
        )
        return Actor(workspace.id, owner.id)

    async def invite(self, by: Actor, name: str, role: str = "editor") -> Actor:
        profile = ChatProfile(f"U{name.upper()}", name, email=f"{name}@example.org")
        member = await members.invite_member(self.svc, by, profile, role)
        await members.accept_invitation(self.svc, Actor(by.workspace_id, member.id))
        return Actor(by.workspace_id, member.id)

    async def deliver(self) -> None:
        """Everything queued reaches the chat and mail fakes, as the worker would."""
        await self.projector.run_once()
        await self.outbox.dispatch_due()

    def said_to(self, name: str) -> str:
        """Every DM and email the member called ``name`` got, as one text."""
        dms = [json.dumps(reply.__dict__, default=str) for who, reply, _ in self.chat.sent
               if who == name]  # fmt: skip
        mails = [repr(e) for e in self.mailer.sent if e.recipient_name == name]
        return "\n".join(dms + mails)

    async def inbox_of(self, member_id: int) -> list[dict[str, object]]:
        async with self.uow() as uow:
            member = await uow.members.get(member_id)
            assert member is not None
            found = await uow.notifications.inbox(member_id, InboxFilter(limit=1000))
        return [n.payload for n in found]


@pytest.fixture
def teams(uow_factory: SqlUnitOfWorkFactory, tmp_path: Path) -> Teams:
    clock = ManualClock(START)
    sandbox = tmp_path / "sandbox"
    publisher = Publisher(
        uow_factory, Platforms({"sandbox": SandboxClient(sandbox)}), clock, sleep=no_sleep
    )
    chat, mailer = RecordingChat(), RecordingMailer()
    gateways = ChatGateways([chat])
    return Teams(
        Services(uow_factory, clock, publisher),
        clock,
        chat,
        mailer,
        Projector(uow_factory, clock, gateways),
        Outbox(uow_factory, clock, gateways, mailer),
        uow_factory,
        sandbox,
    )


async def test_a_removed_authors_post_never_notifies_the_next_workspaces_newcomer(
    teams: Teams,
) -> None:
    a = await teams.owner("a")
    b = await teams.owner("b")
    await accounts.add_sandbox_account(teams.svc, a, "brand")
    await accounts.set_sandbox_mode(teams.svc, a, "brand", "fail")
    rem = await teams.invite(a, "rem")
    post = await posts.publish_now(teams.svc, rem, NewPost("A CONFIDENTIAL launch text"))
    await teams.deliver()
    await members.remove_member(teams.svc, a, "rem")
    newcomer = await teams.invite(b, "newcomer")
    assert newcomer.member_id != rem.member_id
    await posts.retry_post(teams.svc, a, post.number)
    await teams.deliver()

    assert "CONFIDENTIAL" not in teams.said_to("newcomer")
    assert all(
        "CONFIDENTIAL" not in json.dumps(p) for p in await teams.inbox_of(newcomer.member_id)
    )
    assert "CONFIDENTIAL" in teams.said_to("a-owner")  # the team's own owner was told


async def test_a_deleted_posts_queued_event_never_describes_another_workspaces_post(
    teams: Teams,
) -> None:
    one = await teams.owner("one")
    co_owner = await teams.invite(one, "co", role="owner")
    two = await teams.owner("two")
    for team in (one, two):
        await accounts.add_sandbox_account(teams.svc, team, "main")
    first = await posts.schedule_post(teams.svc, one, NewPost("team ONE note", when="in 1 hour"))
    await posts.delete_post(teams.svc, one, first.number)
    await posts.schedule_post(teams.svc, two, NewPost("team TWO SECRET roadmap", when="in 1 hour"))
    await teams.deliver()

    assert "TWO SECRET" not in teams.said_to("co")
    assert all("TWO SECRET" not in json.dumps(p) for p in await teams.inbox_of(co_owner.member_id))


async def test_a_delivery_for_someone_removed_since_the_notice_is_not_sent(teams: Teams) -> None:
    a = await teams.owner("a")
    await accounts.add_sandbox_account(teams.svc, a, "brand")
    editor = await teams.invite(a, "ed")
    await posts.publish_now(teams.svc, editor, NewPost("hello"))
    await teams.projector.run_once()  # notices made, deliveries queued
    await members.remove_member(teams.svc, a, "ed")
    await teams.outbox.dispatch_due()
    assert teams.said_to("ed") == ""


@pytest.mark.parametrize("seed", [1, 3, 4])
async def test_random_team_histories_never_cross_workspaces_or_repeat_a_key(
    teams: Teams, seed: int
) -> None:
    rng = random.Random(seed)
    owners = {name: await teams.owner(name) for name in ("red", "blue")}
    for actor in owners.values():
        await accounts.add_sandbox_account(teams.svc, actor, "acct")
    people: dict[str, list[Actor]] = {name: [] for name in owners}
    numbers: dict[str, list[int]] = {name: [] for name in owners}
    count = 0
    for _ in range(60):
        team = rng.choice(list(owners))
        owner = owners[team]
        step = rng.choice(["invite", "remove", "post", "delete", "retry", "fail", "ok"])
        if step == "invite":
            count += 1
            people[team].append(await teams.invite(owner, f"{team}{count}"))
        elif step == "remove" and people[team]:
            gone = people[team].pop(rng.randrange(len(people[team])))
            async with teams.uow() as uow:
                member = await uow.members.get(gone.member_id)
            assert member is not None
            await members.remove_member(teams.svc, owner, member.name)
        elif step == "post":
            author = rng.choice([owner, *people[team]])
            post = await posts.publish_now(
                teams.svc, author, NewPost(f"{team.upper()} text {count}")
            )
            numbers[team].append(post.number)
            count += 1
        elif step == "delete" and numbers[team]:
            number = numbers[team].pop(rng.randrange(len(numbers[team])))
            await posts.delete_post(teams.svc, owner, number)
        elif step == "retry" and numbers[team]:
            number = rng.choice(numbers[team])
            try:
                await posts.retry_post(teams.svc, owner, number)
            except Exception as refused:  # nothing to retry: a published post
                assert "nothing to retry" in str(refused)
        elif step in ("fail", "ok"):
            await accounts.set_sandbox_mode(teams.svc, owner, "acct", step)
        if rng.random() < 0.5:
            await teams.deliver()
        teams.clock.advance(timedelta(minutes=1))
    await teams.deliver()

    async with teams.uow() as uow:
        everyone: list[Member] = []
        for actor in owners.values():
            everyone += await uow.members.list(actor.workspace_id)
    for member in everyone:
        other = "BLUE" if member.name.startswith("red") else "RED"
        assert f"{other} text" not in teams.said_to(member.name), member.name
        for payload in await teams.inbox_of(member.id):
            assert f"{other} text" not in json.dumps(payload), member.name
    # Every published entry's sandbox record holds its own post's text: no new entry was
    # taken for a deleted one because a key repeated.
    async with teams.uow() as uow:
        for actor in owners.values():
            for post in await uow.posts.list(actor.workspace_id, PostFilter(limit=1000)):
                for entry in post.entries:
                    if entry.status is EntryStatus.PUBLISHED:
                        record = teams.sandbox / "acct" / f"{entry.idempotency_key}.json"
                        assert json.loads(record.read_text())["text"] == post.text
