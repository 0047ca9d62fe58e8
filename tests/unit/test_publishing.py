"""The tick on a fixed clock: outcomes, retries, recovery and the missed-post rule."""

import asyncio
from datetime import timedelta

import pytest

from core.accounts import AccountStatus
from core.events import EventKind
from core.ports import AuthPlatformError, PermanentPlatformError, TransientPlatformError
from core.scheduling.recovery import INTERRUPTED, fail_missed
from core.scheduling.tick import Ticker
from core.states import EntryStatus, PostStatus
from core.usecases import posts as cases
from core.usecases.posts import NewPost
from core.usecases.queries import show_post
from tests.unit.conftest import SLEPT, World
from tests.waiting import until


async def scheduled(world: World, text: str = "hello", **kw: object) -> int:
    post = await cases.schedule_post(
        world.svc, world.owner, NewPost(text, when="in 5 minutes", **kw)
    )  # type: ignore[arg-type]
    return post.number


async def state(world: World, number: int) -> tuple[PostStatus, dict[str, EntryStatus]]:
    post = (await show_post(world.svc, world.owner, number)).post
    return post.status, {e.platform: e.status for e in post.entries}


async def due(world: World) -> None:
    world.clock.advance(timedelta(minutes=6))
    await world.ticker.tick()


async def test_nothing_is_claimed_before_its_time(world: World) -> None:
    number = await scheduled(world)
    world.clock.advance(timedelta(minutes=4))
    report = await world.ticker.tick()
    assert report.claimed == 0
    assert (await state(world, number))[0] is PostStatus.SCHEDULED


async def test_all_entries_ok_make_the_post_published(world: World) -> None:
    number = await scheduled(world)
    await due(world)
    status, entries = await state(world, number)
    assert status is PostStatus.PUBLISHED
    assert set(entries.values()) == {EntryStatus.PUBLISHED}
    post = (await show_post(world.svc, world.owner, number)).post
    assert all(e.platform_url and e.external_id for e in post.entries)
    [event] = world.events(EventKind.POST_FINISHED)
    assert event.payload["status"] == "published"  # type: ignore[attr-defined]


async def test_one_failure_makes_it_partial_and_leaves_the_other_untouched(world: World) -> None:
    number = await scheduled(world)
    world.platform.fail("masto", PermanentPlatformError("Validation failed: Text too long"))
    await due(world)
    status, entries = await state(world, number)
    assert status is PostStatus.PARTIALLY_PUBLISHED
    assert entries == {"sandbox": EntryStatus.PUBLISHED, "mastodon": EntryStatus.FAILED}
    post = (await show_post(world.svc, world.owner, number)).post
    failed = next(e for e in post.entries if e.platform == "mastodon")
    assert failed.error_message == "Validation failed: Text too long"
    assert failed.attempts == 1, "a permanent error is not retried"
    assert len(world.platform.sent) == 1


async def test_all_failing_makes_the_post_failed(world: World) -> None:
    number = await scheduled(world)
    world.platform.fail("main", PermanentPlatformError("no"))
    world.platform.fail("masto", PermanentPlatformError("no"))
    await due(world)
    assert (await state(world, number))[0] is PostStatus.FAILED
    assert len(world.events(EventKind.ENTRY_FAILED)) == 2


async def test_retry_resends_only_the_failed_entries(world: World) -> None:
    number = await scheduled(world)
    world.platform.fail("masto", PermanentPlatformError("down"))
    await due(world)
    first_sent = [r.account.name for r in world.platform.sent]
    retried = await cases.retry_post(world.svc, world.owner, number)
    assert retried.number == number
    assert [r.account.name for r in world.platform.sent] == [*first_sent, "masto"]
    assert (await state(world, number))[0] is PostStatus.PUBLISHED
    assert len(world.events(EventKind.POST_FINISHED)) == 2
    assert world.events(EventKind.POST_RETRIED)


async def test_transient_errors_are_retried_with_backoff(world: World) -> None:
    number = await scheduled(world, accounts=["masto"])
    world.platform.fail("masto", TransientPlatformError("503"), TransientPlatformError("timeout"))
    await due(world)
    assert (await state(world, number))[0] is PostStatus.PUBLISHED
    assert len(SLEPT) == 2 and all(s > 0 for s in SLEPT)


async def test_a_429_waits_as_long_as_retry_after_says(world: World) -> None:
    await scheduled(world, accounts=["masto"])
    world.platform.fail("masto", TransientPlatformError("429", retry_after=17))
    await due(world)
    assert SLEPT == [17]


async def test_transient_errors_give_up_after_the_policy_attempts(world: World) -> None:
    number = await scheduled(world, accounts=["masto"])
    world.platform.fail("masto", *[TransientPlatformError("502 Bad Gateway")] * 5)
    await due(world)
    post = (await show_post(world.svc, world.owner, number)).post
    assert post.status is PostStatus.FAILED
    assert post.entries[0].error_message == "502 Bad Gateway"


async def test_an_auth_error_disconnects_the_account_and_says_so(world: World) -> None:
    number = await scheduled(world, accounts=["masto"])
    world.platform.fail("masto", AuthPlatformError("The access token is invalid"))
    await due(world)
    assert (await state(world, number))[0] is PostStatus.FAILED
    async with world.uow() as uow:
        account = await uow.accounts.by_name(world.workspace_id, "masto")
    assert account is not None and account.status is AccountStatus.DISCONNECTED
    [event] = world.events(EventKind.ACCOUNT_DISCONNECTED)
    assert event.payload["reason"] == "The access token is invalid"  # type: ignore[attr-defined]
    assert len(SLEPT) == 0


async def test_entries_finishing_together_emit_one_finished_event(world: World) -> None:
    number = await scheduled(world)
    gate = asyncio.Event()
    world.platform.gate = gate
    world.clock.advance(timedelta(minutes=6))
    tick = asyncio.create_task(world.ticker.tick())
    await until(lambda: world.platform.waiting == 2, "both entries at the gate")
    gate.set()  # both entries return at the same instant
    await tick
    assert (await state(world, number))[0] is PostStatus.PUBLISHED
    assert len(world.events(EventKind.POST_FINISHED)) == 1


async def test_two_racing_ticks_send_each_entry_once(world: World) -> None:
    await scheduled(world)
    world.clock.advance(timedelta(minutes=6))
    await asyncio.gather(world.ticker.tick(), world.ticker.tick(), world.ticker.tick())
    assert sorted(r.account.name for r in world.platform.sent) == ["main", "masto"]
    assert len(world.events(EventKind.POST_FINISHED)) == 1


async def _crash_mid_publish(world: World, number: int) -> None:
    """Leave every entry of the post publishing with a lease, as a dead worker would."""
    world.clock.advance(timedelta(minutes=6))
    async with world.uow() as uow:
        await uow.posts.claim_due(world.clock.now(), 10)
        post = await uow.posts.by_number(world.workspace_id, number)
        assert post is not None
        for entry in post.entries:
            entry.move(EntryStatus.PUBLISHING)
            entry.attempts = 1
            entry.lease_until = world.clock.now() + timedelta(minutes=10)
            assert await uow.entries.compare_and_set(entry)
        await uow.commit()


async def test_an_interrupted_entry_is_resent_only_where_idempotency_keys_are_honoured(
    world: World,
) -> None:
    await world.account("bird", "x")
    number = await scheduled(world, accounts=["main", "bird"])
    await _crash_mid_publish(world, number)
    await world.ticker.tick()
    assert world.platform.sent == [], "nothing is touched while the lease runs"
    world.clock.advance(timedelta(minutes=11))
    report = await world.ticker.tick()
    assert report.recovered == 2
    status, entries = await state(world, number)
    assert entries == {"sandbox": EntryStatus.PUBLISHED, "x": EntryStatus.FAILED}
    assert status is PostStatus.PARTIALLY_PUBLISHED
    post = (await show_post(world.svc, world.owner, number)).post
    bird = next(e for e in post.entries if e.platform == "x")
    assert bird.error_message == INTERRUPTED
    [resent] = world.platform.sent
    assert resent.idempotency_key.endswith("-0"), "the re-send reuses the original key"


async def test_posts_missed_beyond_the_grace_fail_and_the_rest_publish(world: World) -> None:
    late = await scheduled(world, "late")
    world.clock.advance(timedelta(minutes=10))
    recent = await scheduled(world, "recent")
    # The bot was down; it starts 30 minutes after "late" and 20 after "recent" came due.
    world.clock.advance(timedelta(minutes=25))
    missed = await fail_missed(world.uow, world.clock, grace=timedelta(minutes=22))
    assert missed == 1
    await world.ticker.tick()
    assert (await state(world, late))[0] is PostStatus.FAILED
    assert (await state(world, recent))[0] is PostStatus.PUBLISHED
    [event] = world.events(EventKind.POST_MISSED)
    post = (await show_post(world.svc, world.owner, late)).post
    assert event.post_id == post.id  # type: ignore[attr-defined]
    assert all("missed" in (e.error_message or "") for e in post.entries)


async def test_a_failed_post_can_be_rescheduled_with_fresh_entries(world: World) -> None:
    number = await scheduled(world)
    world.platform.fail("main", PermanentPlatformError("no"))
    world.platform.fail("masto", PermanentPlatformError("no"))
    await due(world)
    post = await cases.reschedule_post(world.svc, world.owner, number, "in 10 minutes")
    assert post.status is PostStatus.SCHEDULED
    assert {e.status for e in post.entries} == {EntryStatus.PENDING}
    world.clock.advance(timedelta(minutes=11))
    await world.ticker.tick()
    assert (await state(world, number))[0] is PostStatus.PUBLISHED


@pytest.mark.parametrize("mode", ["now", "retry"])
async def test_publish_now_and_retry_run_at_once(world: World, mode: str) -> None:
    if mode == "now":
        post = await cases.publish_now(world.svc, world.owner, NewPost("now!"))
    else:
        number = await scheduled(world)
        world.platform.fail("masto", PermanentPlatformError("x"))
        await due(world)
        post = await cases.retry_post(world.svc, world.owner, number)
    assert (await state(world, post.number))[0] is PostStatus.PUBLISHED


async def test_a_watcher_sees_the_post_start_and_each_entry_finish(world: World) -> None:
    from core.posts import Post
    from core.scheduling.progress import watching

    seen: list[list[str]] = []

    async def listener(post: Post) -> None:
        seen.append(sorted(e.status.value for e in post.entries))

    with watching(listener):
        await cases.publish_now(world.svc, world.owner, NewPost("live"))
    assert seen[0] == ["pending", "pending"]
    assert seen[-1] == ["published", "published"]
    assert len(seen) == 3


async def test_labelling_a_post_while_it_publishes_loses_nothing(world: World) -> None:
    from core.usecases import labels

    number = await scheduled(world)
    gate = asyncio.Event()
    world.platform.gate = gate
    world.clock.advance(timedelta(minutes=6))
    tick = asyncio.create_task(world.ticker.tick())
    await until(lambda: world.platform.waiting == 2, "both entries at the gate")
    await labels.label_post(world.svc, world.owner, number, ["busy"])
    gate.set()
    await tick
    status, entries = await state(world, number)
    assert status is PostStatus.PUBLISHED and set(entries.values()) == {EntryStatus.PUBLISHED}
    assert (await show_post(world.svc, world.owner, number)).post.labels == ["busy"]


async def test_delete_refuses_a_post_claimed_meanwhile(world: World) -> None:
    from core.errors import Conflict

    number = await scheduled(world)
    async with world.uow() as uow:
        loaded = await uow.posts.by_number(world.workspace_id, number)
    world.clock.advance(timedelta(minutes=6))
    async with world.uow() as uow:
        await uow.posts.claim_due(world.clock.now(), 10)
        await uow.commit()
    async with world.uow() as uow:
        assert loaded is not None
        with pytest.raises(Conflict):
            if not await uow.posts.remove(loaded):
                raise Conflict("changed")


async def test_a_mastodon_entry_interrupted_past_its_key_window_is_not_resent(
    world: World,
) -> None:
    number = await scheduled(world, accounts=["masto"])
    await _crash_mid_publish(world, number)
    world.clock.advance(timedelta(hours=2))  # the bot was down beyond Mastodon's hour
    await world.ticker.tick()
    post = (await show_post(world.svc, world.owner, number)).post
    assert post.entries[0].error_message == INTERRUPTED
    assert world.platform.sent == []


async def test_a_mastodon_entry_interrupted_recently_is_resent_with_its_key(
    world: World,
) -> None:
    number = await scheduled(world, accounts=["masto"])
    await _crash_mid_publish(world, number)
    world.clock.advance(timedelta(minutes=11))
    await world.ticker.tick()
    assert (await state(world, number))[0] is PostStatus.PUBLISHED
    entry = (await show_post(world.svc, world.owner, number)).post.entries[0]
    assert [r.idempotency_key for r in world.platform.sent] == [f"trypost-{entry.key}-0"]


async def test_one_tick_claims_batch_after_batch_until_every_due_post_started(
    world: World,
) -> None:
    ticker = Ticker(world.uow, world.clock, world.publisher, batch=3)
    numbers = [await scheduled(world, f"post {n}") for n in range(8)]
    world.clock.advance(timedelta(minutes=6))

    report = await ticker.tick()

    assert report.claimed == 8 and report.published_posts == 8, "no cap per tick"
    assert {(await state(world, n))[0] for n in numbers} == {PostStatus.PUBLISHED}
