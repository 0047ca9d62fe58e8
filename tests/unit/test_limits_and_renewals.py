"""The publisher with per-account rate limits and token renewal (issue 12, points 3–4):
a burst waits its turn instead of collecting 429s, waits show in the entry's status, a
quota that ran out or a long 429 defers the entry, and an expiring or refused token is
renewed (and saved) before the publish that needs it."""

import asyncio
from datetime import timedelta

import pytest

from bot.commands.views import post_details
from core.accounts import SocialAccount, TokenLife
from core.clock import ManualClock
from core.errors import ValidationFailed
from core.ports import (
    AuthPlatformError,
    PublishRequest,
    PublishResult,
    RateQuota,
    Renewal,
    TransientPlatformError,
)
from core.scheduling.publisher import Publisher
from core.scheduling.rate_limits import PublishLimit, RateLimits
from core.scheduling.sending import RetryPolicy
from core.scheduling.tick import Ticker
from core.scheduling.tokens import TokenKeeper
from core.states import EntryStatus, PostStatus
from core.usecases import posts as cases
from core.usecases.posts import NewPost
from core.usecases.queries import show_post
from tests.fakes import Directory, FakeUnitOfWorkFactory, RecordingPlatform
from tests.unit.conftest import World, no_sleep

MINUTE = timedelta(minutes=1)


def wire(
    world: World, *, limits: RateLimits | None = None, tokens: TokenKeeper | None = None
) -> None:
    world.publisher = Publisher(
        world.uow,
        Directory(world.platform),
        world.clock,
        retry=RetryPolicy(attempts=2),
        sleep=no_sleep,
        limits=limits,
        tokens=tokens,
    )
    world.ticker = Ticker(world.uow, world.clock, world.publisher)


async def schedule(world: World, count: int, on: str = "main") -> list[int]:
    numbers = []
    for n in range(count):
        post = await cases.schedule_post(
            world.svc, world.owner, NewPost(f"post {n}", accounts=[on], when="in 1 minute")
        )
        numbers.append(post.number)
    return numbers


async def statuses(world: World, numbers: list[int]) -> list[PostStatus]:
    return [(await show_post(world.svc, world.owner, n)).post.status for n in numbers]


async def test_a_burst_on_one_account_waits_within_its_limit_instead_of_collecting_429s(
    world: World,
) -> None:
    # Three posts per 0.3 s: the bucket drips one out every 0.1 s of real time.
    wire(
        world, limits=RateLimits(world.clock, {"sandbox": PublishLimit(3, timedelta(seconds=0.3))})
    )
    numbers = await schedule(world, 5)
    world.clock.advance(2 * MINUTE)
    await world.ticker.tick()

    assert len(world.platform.sent) == 3, "only what the limit allows went out"
    assert (await statuses(world, numbers)).count(PostStatus.PUBLISHING) == 2
    waiting = (await show_post(world.svc, world.owner, numbers[-1])).post.entries[0]
    assert waiting.status is EntryStatus.PENDING and waiting.not_before is not None
    assert waiting.not_before > world.clock.now()

    await asyncio.sleep(0.35)
    world.clock.advance(MINUTE)
    await world.ticker.tick()
    assert len(world.platform.sent) == 5
    assert set(await statuses(world, numbers)) == {PostStatus.PUBLISHED}


class QuotaPlatform(RecordingPlatform):
    """Answers like X: each publish says how many are left in the window."""

    def __init__(self, clock: ManualClock, remaining: int) -> None:
        super().__init__()
        self.clock = clock
        self.remaining = remaining
        self.resets_at = clock.now() + timedelta(minutes=10)

    async def publish(self, request: PublishRequest) -> PublishResult:
        if self.remaining <= 0:
            raise TransientPlatformError("Too Many Requests", 600, rate_limited=True)
        self.remaining -= 1
        result = await super().publish(request)
        return PublishResult(
            result.external_id, result.url, RateQuota(self.remaining, self.resets_at)
        )


async def test_a_quota_the_platform_says_is_spent_holds_the_next_entries_until_its_reset(
    world: World,
) -> None:
    platform = world.platform = QuotaPlatform(world.clock, remaining=1)
    wire(world, limits=RateLimits(world.clock, {}))
    numbers = await schedule(world, 1)
    world.clock.advance(2 * MINUTE)
    await world.ticker.tick()  # it goes; the quota is then 0 until the reset
    numbers += await schedule(world, 2)
    world.clock.advance(2 * MINUTE)
    await world.ticker.tick()
    await world.ticker.tick()

    assert len(platform.sent) == 1, "no request spent on a known-empty quota"
    held = (await show_post(world.svc, world.owner, numbers[1])).post
    assert held.entries[0].not_before == platform.resets_at
    shown = await show_post(world.svc, world.owner, numbers[1])
    assert "waiting for Sandbox's rate limit until" in "\n".join(post_details(shown).items)

    platform.remaining = 5
    world.clock.set(platform.resets_at + MINUTE)
    await world.ticker.tick()
    assert set(await statuses(world, numbers)) == {PostStatus.PUBLISHED}


async def test_a_long_429_defers_the_entry_and_nothing_fails(world: World) -> None:
    world.platform.fail("main", TransientPlatformError("Too Many Requests", 900, rate_limited=True))
    wire(world, limits=RateLimits(world.clock, {}))
    [number] = await schedule(world, 1)
    world.clock.advance(2 * MINUTE)
    await world.ticker.tick()

    post = (await show_post(world.svc, world.owner, number)).post
    assert post.status is PostStatus.PUBLISHING
    assert post.entries[0].status is EntryStatus.PENDING
    assert post.entries[0].not_before == world.clock.now() + timedelta(seconds=900)
    assert not world.events("entry_failed"), "a wait is not a failure"

    world.clock.advance(16 * MINUTE)
    await world.ticker.tick()
    assert await statuses(world, [number]) == [PostStatus.PUBLISHED]


async def test_a_rate_limit_that_never_lifts_fails_the_entry_after_a_day(world: World) -> None:
    ten_hours = TransientPlatformError("Too Many Requests", 36_000, rate_limited=True)
    world.platform.fail("main", ten_hours, ten_hours, ten_hours)
    wire(world, limits=RateLimits(world.clock, {}))
    [number] = await schedule(world, 1)
    world.clock.advance(2 * MINUTE)
    for _ in range(3):
        await world.ticker.tick()
        world.clock.advance(timedelta(hours=10, minutes=1))

    post = (await show_post(world.svc, world.owner, number)).post
    assert post.status is PostStatus.FAILED
    assert "still rate limited after a day" in (post.entries[0].error_message or "")
    assert len(world.events("entry_failed")) == 1


class Refresher:
    def __init__(self, world: World, *, refuse: bool = False) -> None:
        self.world = world
        self.calls = 0
        self.refuse = refuse

    async def refresh(self, account: SocialAccount) -> Renewal:
        self.calls += 1
        if self.refuse:
            raise AuthPlatformError("invalid_grant: the refresh token was revoked")
        life = TokenLife(self.world.clock.now() + timedelta(hours=2), renewable=True)
        return Renewal({"access_token": f"access-{self.calls}", "refresh_token": "r"}, life)


class TokenCheckingPlatform(RecordingPlatform):
    """Refuses any token but the newest, and notes what storage held when called."""

    def __init__(self, uow: FakeUnitOfWorkFactory) -> None:
        super().__init__()
        self.uow = uow
        self.stored_at_send: list[str] = []

    async def publish(self, request: PublishRequest) -> PublishResult:
        stored = self.uow.store.accounts[request.account.id].credentials["access_token"]
        self.stored_at_send.append(stored)
        if request.account.credentials.get("access_token") in (None, "access-0", "revoked"):
            raise AuthPlatformError("Unauthorized")
        return await super().publish(request)


async def x_account(world: World, expires_in: timedelta, token: str = "access-0") -> None:
    account = await world.account("brand", "x")
    stored = world.uow.store.accounts[account.id]
    stored.credentials = {"access_token": token, "refresh_token": "r"}
    stored.take_token(TokenLife(world.clock.now() + expires_in, renewable=True))


async def test_an_expiring_token_is_renewed_and_saved_before_the_publish_uses_it(
    world: World,
) -> None:
    platform = world.platform = TokenCheckingPlatform(world.uow)
    refresher = Refresher(world)
    wire(world, tokens=TokenKeeper(world.uow, world.clock, {"x": refresher}))
    await x_account(world, timedelta(minutes=3))
    [number] = await schedule(world, 1, on="brand")
    world.clock.advance(2 * MINUTE)
    await world.ticker.tick()

    assert refresher.calls == 1
    assert platform.stored_at_send == ["access-1"], "written before it was used"
    assert await statuses(world, [number]) == [PostStatus.PUBLISHED]


async def test_a_token_refused_early_is_renewed_once_and_the_publish_sent_again(
    world: World,
) -> None:
    platform = world.platform = TokenCheckingPlatform(world.uow)
    refresher = Refresher(world)
    wire(world, tokens=TokenKeeper(world.uow, world.clock, {"x": refresher}))
    await x_account(world, timedelta(hours=1), token="revoked")
    [number] = await schedule(world, 1, on="brand")
    world.clock.advance(2 * MINUTE)
    await world.ticker.tick()

    assert refresher.calls == 1
    assert (
        len(platform.sent) == 1
        and platform.sent[0].account.credentials["access_token"] == "access-1"
    )
    assert await statuses(world, [number]) == [PostStatus.PUBLISHED]


async def test_a_refused_renewal_still_publishes_with_the_minutes_the_token_has_left(
    world: World,
) -> None:
    platform = world.platform = TokenCheckingPlatform(world.uow)
    refresher = Refresher(world, refuse=True)
    wire(world, tokens=TokenKeeper(world.uow, world.clock, {"x": refresher}))
    await x_account(world, timedelta(minutes=4), token="still-good")
    [number] = await schedule(world, 1, on="brand")
    world.clock.advance(2 * MINUTE)
    await world.ticker.tick()

    assert refresher.calls == 1 and len(platform.sent) == 1
    assert await statuses(world, [number]) == [PostStatus.PUBLISHED]
    [account] = [a for a in world.uow.store.accounts.values() if a.name == "brand"]
    assert not account.token_renewable, "the hourly job will warn its owner"


@pytest.mark.parametrize(
    ("text", "fits"),
    [
        ("a" * 280, True),
        ("a" * 281, False),
        ("日本" * 70, True),  # CJK weighs 2: exactly 280
        ("日本" * 70 + "a", False),
        ("👍" * 140, True),  # an emoji weighs 2, whatever its code points
        ("👨‍👩‍👧" * 141, False),
        ("a" * 256 + " https://example.com/" + "x" * 200, True),  # a link counts 23
    ],
)
async def test_x_counts_text_its_own_way_when_the_post_is_scheduled(
    world: World, text: str, fits: bool
) -> None:
    await world.account("brand", "x")
    new = NewPost(text, accounts=["brand"], when="in 1 hour")
    if fits:
        await cases.schedule_post(world.svc, world.owner, new)
        return
    with pytest.raises(ValidationFailed, match="as X counts them; X allows 280"):
        await cases.schedule_post(world.svc, world.owner, new)
