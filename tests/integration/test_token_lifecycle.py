"""Token lifecycle on real storage (SQLite and PostgreSQL): a token is renewed once
however many publishes and processes need it at once, the rotated refresh token is
written before the new access token is used, and a token that cannot be renewed warns
its owner 7 days and 1 day ahead, then disconnects the account, once each.

Each TokenKeeper below stands for one process (its own in-process locks); they share
the database, which is what keeps them from refreshing the same account twice. The
refresher is a stand-in for a platform's token endpoint, with X's single-use rule."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from core.accounts import AccountStatus, SocialAccount, TokenLife
from core.clock import ManualClock
from core.events import EventKind
from core.ports import AuthPlatformError, Renewal
from core.roles import Role
from core.scheduling.tokens import TokenKeeper
from core.workspace import Member, Workspace
from storage.uow import SqlUnitOfWorkFactory

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


class SingleUseRefresher:
    """Rotates the refresh token on every refresh; a spent one is refused, as X does."""

    def __init__(self, clock: ManualClock, lifetime: timedelta = timedelta(hours=2)) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.valid = "refresh-0"
        self.calls = 0
        self.refuse = False
        self.saw: list[str] = []

    async def refresh(self, account: SocialAccount) -> Renewal:
        self.calls += 1
        held = account.credentials["refresh_token"]
        await asyncio.sleep(0.05)  # long enough for every other caller to pile up
        if self.refuse or held != self.valid:
            raise AuthPlatformError("the refresh token was revoked or already used")
        self.valid = f"refresh-{self.calls}"
        credentials = {"access_token": f"access-{self.calls}", "refresh_token": self.valid}
        # Like LinkedIn's, a renewal keeps the end the refresh token had.
        life = TokenLife(self.clock.now() + self.lifetime, True, account.token_renew_until)
        return Renewal(credentials, life)


async def _account(
    uow: SqlUnitOfWorkFactory, platform: str, expires_in: timedelta, *, renewable: bool = True
) -> SocialAccount:
    async with uow() as tx:
        workspace = await tx.workspaces.add(Workspace(name=f"ws-{platform}"))
        owner = await tx.members.add(Member(workspace.id, "olive", Role.OWNER))
        account = SocialAccount(
            workspace.id,
            platform,
            f"brand-{platform}",
            "@brand",
            credentials={"access_token": "access-0", "refresh_token": "refresh-0"},
            owner_member_id=owner.id,
        )
        account.take_token(TokenLife(NOW + expires_in, renewable=renewable))
        await tx.accounts.add(account)
        await tx.commit()
    return account


async def _stored(uow: SqlUnitOfWorkFactory, account_id: int) -> SocialAccount:
    async with uow() as tx:
        found = await tx.accounts.get(account_id)
    assert found is not None
    return found


async def _events(uow: SqlUnitOfWorkFactory, kind: EventKind) -> list[dict[str, object]]:
    async with uow() as tx:
        events = await tx.events.after(0, 100)
    return [dict(e.payload) for e in events if e.kind == kind]


async def test_many_publishes_in_two_processes_renew_a_single_use_token_once(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    clock = ManualClock(NOW)
    refresher = SingleUseRefresher(clock)
    account = await _account(uow_factory, "x", timedelta(minutes=2))
    keepers = [TokenKeeper(uow_factory, clock, {"x": refresher}, poll=0.02) for _ in range(2)]

    renewed = await asyncio.gather(*(keeper.fresh(account) for keeper in keepers for _ in range(3)))

    assert refresher.calls == 1, "one refresh, however many callers at once"
    assert {a.credentials["access_token"] for a in renewed} == {"access-1"}
    stored = await _stored(uow_factory, account.id)
    assert stored.credentials["refresh_token"] == "refresh-1", "the rotated token is kept"
    assert stored.token_expires_at == NOW + timedelta(hours=2)


async def test_a_token_with_time_left_is_used_as_it_is(uow_factory: SqlUnitOfWorkFactory) -> None:
    clock = ManualClock(NOW)
    refresher = SingleUseRefresher(clock)
    account = await _account(uow_factory, "x", timedelta(hours=1))

    same = await TokenKeeper(uow_factory, clock, {"x": refresher}).fresh(account)

    assert refresher.calls == 0 and same.credentials["access_token"] == "access-0"


async def test_the_hourly_job_renews_ahead_of_expiry_and_only_what_is_near(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    clock = ManualClock(NOW)
    refresher = SingleUseRefresher(clock)
    account = await _account(uow_factory, "x", timedelta(hours=1))
    keepers = [TokenKeeper(uow_factory, clock, {"x": refresher}, poll=0.02) for _ in range(2)]

    reports = await asyncio.gather(*(keeper.keep() for keeper in keepers))

    assert refresher.calls == 1, "two workers running the job renew it once"
    assert sum(r.refreshed for r in reports) == 2, "the second finds it renewed"
    assert (await _stored(uow_factory, account.id)).token_expires_at == NOW + timedelta(hours=2)
    await keepers[0].keep()
    assert refresher.calls == 1, "2 hours left is not near for the hourly job"


async def test_a_refused_renewal_warns_7_and_1_days_ahead_then_disconnects_once_each(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    clock = ManualClock(NOW)
    refresher = SingleUseRefresher(clock)
    refresher.refuse = True
    account = await _account(uow_factory, "linkedin", timedelta(days=6))
    keepers = [TokenKeeper(uow_factory, clock, {"linkedin": refresher}) for _ in range(2)]

    async def run_job() -> None:
        await asyncio.gather(*(keeper.keep() for keeper in keepers))

    await run_job()
    [warned] = await _events(uow_factory, EventKind.TOKEN_EXPIRING)
    assert warned["days"] == "7" and warned["account"] == "brand-linkedin"
    assert "revoked or already used" in str(warned["reason"])
    assert not (await _stored(uow_factory, account.id)).token_renewable
    calls = refresher.calls
    await run_job()
    assert len(await _events(uow_factory, EventKind.TOKEN_EXPIRING)) == 1, "once"
    assert refresher.calls == calls, "a refused renewal is not tried again"

    clock.advance(timedelta(days=5, hours=1))
    await run_job()
    await run_job()
    warnings = await _events(uow_factory, EventKind.TOKEN_EXPIRING)
    assert [w["days"] for w in warnings] == ["7", "1"]
    assert not await _events(uow_factory, EventKind.ACCOUNT_DISCONNECTED)

    clock.advance(timedelta(days=1))
    await run_job()
    await run_job()
    [gone] = await _events(uow_factory, EventKind.ACCOUNT_DISCONNECTED)
    assert gone["account"] == "brand-linkedin" and "sign-in ended" in str(gone["reason"])
    assert (await _stored(uow_factory, account.id)).status is AccountStatus.DISCONNECTED
    assert len(await _events(uow_factory, EventKind.TOKEN_EXPIRING)) == 2


async def test_a_renewal_that_itself_ends_warns_although_refreshes_work(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    """LinkedIn's refresh token keeps its first end date: refreshing cannot pass it."""
    clock = ManualClock(NOW)
    refresher = SingleUseRefresher(clock, lifetime=timedelta(days=60))
    account = await _account(uow_factory, "linkedin", timedelta(days=30))
    async with uow_factory() as tx:
        account.token_renew_until = NOW + timedelta(days=3)
        await tx.accounts.update(account)
        await tx.commit()

    await TokenKeeper(uow_factory, clock, {"linkedin": refresher}).keep()

    [warned] = await _events(uow_factory, EventKind.TOKEN_EXPIRING)
    assert warned["days"] == "7"
    assert warned["expires_at"] == (NOW + timedelta(days=3)).isoformat()
    assert "only until then" in str(warned["reason"])


class GatedRefresher(SingleUseRefresher):
    """The first call waits at a gate (a slow platform) while others go on."""

    def __init__(self, clock: ManualClock) -> None:
        super().__init__(clock)
        self.gate = asyncio.Event()
        self.first = True

    async def refresh(self, account: SocialAccount) -> Renewal:
        if self.first:
            self.first = False
            await self.gate.wait()
        return await super().refresh(account)


async def test_a_late_refusal_never_undoes_the_renewal_another_process_saved(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    clock = ManualClock(NOW)
    refresher = GatedRefresher(clock)
    account = await _account(uow_factory, "x", timedelta(minutes=2))
    slow, quick = (TokenKeeper(uow_factory, clock, {"x": refresher}, poll=0.01) for _ in "ab")

    stalled = asyncio.create_task(slow.fresh(account))
    await asyncio.sleep(0.05)
    clock.advance(timedelta(minutes=6))  # the slow holder's lease lapses
    renewed = await quick.fresh(account, force=True)
    assert renewed.credentials["refresh_token"] == "refresh-1"
    refresher.gate.set()
    with pytest.raises(AuthPlatformError):
        await stalled  # its refresh token was spent by the other renewal

    stored = await _stored(uow_factory, account.id)
    assert stored.token_renewable, "the refusal came too late to count"
    assert stored.credentials["refresh_token"] == "refresh-1"


async def test_renewing_the_access_token_does_not_repeat_a_warning_about_the_renewal_end(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    clock = ManualClock(NOW)
    refresher = SingleUseRefresher(clock, lifetime=timedelta(hours=2))
    account = await _account(uow_factory, "x", timedelta(minutes=30))
    async with uow_factory() as tx:
        account.token_renew_until = NOW + timedelta(days=6)
        await tx.accounts.update(account)
        await tx.commit()
    keeper = TokenKeeper(uow_factory, clock, {"x": refresher})

    for _ in range(3):  # each run renews the two-hour token
        await keeper.keep()
        clock.advance(timedelta(hours=1, minutes=45))

    assert refresher.calls >= 2
    assert [w["days"] for w in await _events(uow_factory, EventKind.TOKEN_EXPIRING)] == ["7"]
