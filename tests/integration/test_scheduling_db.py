"""The tick suite on real databases (SQLite and PostgreSQL), including racing workers."""

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.accounts import AccountStatus, SocialAccount
from core.clock import ManualClock
from core.events import EventKind
from core.ports import AuthPlatformError, PermanentPlatformError
from core.roles import Role
from core.scheduling import recovery
from core.scheduling.publisher import Publisher
from core.scheduling.recovery import INTERRUPTED, fail_missed
from core.scheduling.sending import RetryPolicy
from core.scheduling.tick import Ticker
from core.states import EntryStatus, PostStatus
from core.usecases import posts as cases
from core.usecases.context import Actor, Services
from core.usecases.posts import NewPost
from core.usecases.queries import show_post
from core.workspace import Member, Workspace
from storage.crypto import CredentialCipher
from storage.engine import create_engine_for, session_factory
from storage.uow import SqlUnitOfWorkFactory
from tests.fakes import Directory, RecordingPlatform
from tests.waiting import until

START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


async def no_sleep(_: float) -> None:
    await asyncio.sleep(0)


@dataclass
class Bench:
    uow: SqlUnitOfWorkFactory
    clock: ManualClock
    platform: RecordingPlatform
    ticker: Ticker
    svc: Services
    owner: Actor

    def worker(self, uow: SqlUnitOfWorkFactory) -> Ticker:
        publisher = Publisher(uow, Directory(self.platform), self.clock, sleep=no_sleep)
        return Ticker(uow, self.clock, publisher)

    async def schedule(self, text: str, accounts: tuple[str, ...] = ()) -> int:
        post = await cases.schedule_post(
            self.svc, self.owner, NewPost(text, accounts=accounts, when="in 5 minutes")
        )
        return post.number

    async def status(self, number: int) -> tuple[PostStatus, dict[str, EntryStatus]]:
        post = (await show_post(self.svc, self.owner, number)).post
        return post.status, {e.platform: e.status for e in post.entries}

    async def events(self, kind: EventKind) -> list[object]:
        async with self.uow() as uow:
            return [e for e in await uow.events.after(0, 1000) if e.kind == kind]


@pytest.fixture
async def bench(uow_factory: SqlUnitOfWorkFactory) -> Bench:
    clock = ManualClock(START)
    platform = RecordingPlatform()
    publisher = Publisher(
        uow_factory, Directory(platform), clock, retry=RetryPolicy(attempts=2), sleep=no_sleep
    )
    async with uow_factory() as uow:
        workspace = await uow.workspaces.add(Workspace(name="acme"))
        owner = await uow.members.add(Member(workspace.id, "olive", Role.OWNER))
        for name, platform_name in (("main", "sandbox"), ("masto", "mastodon")):
            await uow.accounts.add(
                SocialAccount(workspace.id, platform_name, name, f"@{name}", credentials={"t": "s"})
            )
        await uow.commit()
    return Bench(
        uow_factory,
        clock,
        platform,
        Ticker(uow_factory, clock, publisher),
        Services(uow_factory, clock, publisher),
        Actor(workspace.id, owner.id),
    )


async def due_tick(bench: Bench) -> None:
    bench.clock.advance(timedelta(minutes=6))
    await bench.ticker.tick()


async def test_all_entries_ok_publish_the_post(bench: Bench) -> None:
    number = await bench.schedule("all good")
    await due_tick(bench)
    assert await bench.status(number) == (
        PostStatus.PUBLISHED,
        {"sandbox": EntryStatus.PUBLISHED, "mastodon": EntryStatus.PUBLISHED},
    )
    assert len(await bench.events(EventKind.POST_FINISHED)) == 1


async def test_one_failure_is_partial_and_the_success_stays(bench: Bench) -> None:
    number = await bench.schedule("half")
    bench.platform.fail("masto", PermanentPlatformError("rejected"))
    await due_tick(bench)
    assert await bench.status(number) == (
        PostStatus.PARTIALLY_PUBLISHED,
        {"sandbox": EntryStatus.PUBLISHED, "mastodon": EntryStatus.FAILED},
    )
    await cases.retry_post(bench.svc, bench.owner, number)
    assert [r.account.name for r in bench.platform.sent] == ["main", "masto"]
    assert (await bench.status(number))[0] is PostStatus.PUBLISHED


async def test_all_failing_fail_the_post_and_auth_disconnects(bench: Bench) -> None:
    number = await bench.schedule("none")
    bench.platform.fail("main", PermanentPlatformError("no"))
    bench.platform.fail("masto", AuthPlatformError("token revoked"))
    await due_tick(bench)
    assert (await bench.status(number))[0] is PostStatus.FAILED
    async with bench.uow() as uow:
        masto = await uow.accounts.by_name(bench.owner.workspace_id, "masto")
    assert masto is not None and masto.status is AccountStatus.DISCONNECTED
    assert len(await bench.events(EventKind.ACCOUNT_DISCONNECTED)) == 1


async def test_entries_finishing_together_finish_the_post_once(bench: Bench) -> None:
    number = await bench.schedule("together")
    bench.platform.gate = asyncio.Event()
    bench.clock.advance(timedelta(minutes=6))
    tick = asyncio.create_task(bench.ticker.tick())
    await until(lambda: bench.platform.waiting == 2, "both entries at the gate")
    bench.platform.gate.set()
    await tick
    assert (await bench.status(number))[0] is PostStatus.PUBLISHED
    assert len(await bench.events(EventKind.POST_FINISHED)) == 1


async def test_crash_recovery_resends_only_with_idempotency(bench: Bench) -> None:
    number = await bench.schedule("interrupted", accounts=("main", "masto"))
    async with bench.uow() as uow:
        # masto is Mastodon (honours keys); make it X for this test, which does not.
        post = await uow.posts.by_number(bench.owner.workspace_id, number)
        assert post is not None
        post.entries[1].platform = "x"
        assert await uow.posts.save(post)
        await uow.commit()
    bench.clock.advance(timedelta(minutes=6))
    async with bench.uow() as uow:
        await uow.posts.claim_due(bench.clock.now(), 10)
        post = await uow.posts.by_number(bench.owner.workspace_id, number)
        assert post is not None
        for entry in post.entries:
            entry.move(EntryStatus.PUBLISHING)
            entry.lease_until = bench.clock.now() + timedelta(minutes=10)
            assert await uow.entries.compare_and_set(entry)
        await uow.commit()
    bench.clock.advance(timedelta(minutes=11))
    report = await bench.ticker.tick()
    assert report.recovered == 2
    status, entries = await bench.status(number)
    assert (status, entries) == (
        PostStatus.PARTIALLY_PUBLISHED,
        {"sandbox": EntryStatus.PUBLISHED, "x": EntryStatus.FAILED},
    )
    post = (await show_post(bench.svc, bench.owner, number)).post
    assert post.entries[1].error_message == INTERRUPTED


async def test_missed_posts_fail_beyond_the_grace(bench: Bench) -> None:
    late = await bench.schedule("late")
    bench.clock.advance(timedelta(minutes=40))
    assert await fail_missed(bench.uow, bench.clock, timedelta(minutes=15)) == 1
    assert (await bench.status(late))[0] is PostStatus.FAILED
    assert len(await bench.events(EventKind.POST_MISSED)) == 1


async def test_every_missed_post_fails_however_many_batches_they_fill(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read in batches until none is left: a post beyond the first batch once slipped
    through to the catch-up tick and went out hours late."""
    monkeypatch.setattr(recovery, "MISSED_PER_BATCH", 2)
    late = [await bench.schedule(f"late {i}") for i in range(5)]
    bench.clock.advance(timedelta(minutes=40))
    recent = await bench.schedule("recent")
    async with bench.uow() as uow:
        post = await uow.posts.by_number(bench.owner.workspace_id, recent)
        assert post is not None
        post.scheduled_at = bench.clock.now() - timedelta(minutes=5)
        assert await uow.posts.save(post)
        await uow.commit()
    assert await fail_missed(bench.uow, bench.clock, timedelta(minutes=15)) == 5
    assert {(await bench.status(n))[0] for n in late} == {PostStatus.FAILED}
    assert (await bench.status(recent))[0] is PostStatus.SCHEDULED
    assert len(await bench.events(EventKind.POST_MISSED)) == 5


async def test_racing_workers_publish_each_entry_exactly_once(
    bench: Bench, engine: AsyncEngine, database_url: str, cipher: CredentialCipher
) -> None:
    """Three workers, each with its own engine (as separate processes would), tick
    together over 20 due posts; every entry reaches the platform once."""
    numbers = [await bench.schedule(f"post {i}") for i in range(20)]
    engines = [create_engine_for(database_url) for _ in range(3)]
    try:
        workers = [bench.worker(SqlUnitOfWorkFactory(session_factory(e), cipher)) for e in engines]
        bench.clock.advance(timedelta(minutes=6))
        for _ in range(2):
            await asyncio.gather(*(w.tick() for w in workers))
    finally:
        for e in engines:
            await e.dispose()
    sent = Counter(r.idempotency_key for r in bench.platform.sent)
    assert len(sent) == 40 and set(sent.values()) == {1}
    for number in numbers:
        assert (await bench.status(number))[0] is PostStatus.PUBLISHED
    assert len(await bench.events(EventKind.POST_FINISHED)) == 20
