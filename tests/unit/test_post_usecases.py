"""Use cases that create and change posts, on in-memory ports."""

from datetime import UTC, datetime, timedelta

import pytest

from core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from core.events import EventKind
from core.roles import Role
from core.states import EntryStatus, PostStatus
from core.usecases import labels as label_cases
from core.usecases import posts as cases
from core.usecases.context import Actor
from core.usecases.posts import NewPost
from core.usecases.queries import calendar, list_posts, show_post
from core.workspace import Workspace
from tests.unit.conftest import World


async def test_schedule_stores_utc_to_the_minute_and_targets_the_defaults(world: World) -> None:
    post = await cases.schedule_post(
        world.svc, world.owner, NewPost("Hello", when="2026-11-26 09:15")
    )
    assert post.status is PostStatus.SCHEDULED
    assert post.scheduled_at == datetime(2026, 11, 26, 9, 15, tzinfo=UTC)
    assert sorted(e.platform for e in post.entries) == ["mastodon", "sandbox"]
    assert post.number == 1
    assert world.events(EventKind.POST_SCHEDULED)


async def test_schedule_in_the_past_changes_nothing(world: World) -> None:
    with pytest.raises(ValidationFailed, match="in the past"):
        await cases.schedule_post(world.svc, world.owner, NewPost("Hi", when="yesterday 9am"))
    assert world.uow.store.posts == {}


async def test_schedule_without_a_time_asks_for_one(world: World) -> None:
    with pytest.raises(ValidationFailed, match="When should it go out"):
        await cases.schedule_post(world.svc, world.owner, NewPost("Hi"))


@pytest.mark.parametrize(
    ("platform", "limit"),
    [("x", 280), ("bluesky", 300), ("mastodon", 500), ("threads", 500), ("linkedin", 3000)],
)
async def test_each_platform_limit_is_checked_at_schedule_time(
    world: World, platform: str, limit: int
) -> None:
    await world.account(f"acct-{platform}", platform)
    on = [f"acct-{platform}"]
    fits = await cases.schedule_post(
        world.svc, world.owner, NewPost("a" * limit, accounts=on, when="in 1 hour")
    )
    assert fits.status is PostStatus.SCHEDULED
    with pytest.raises(ValidationFailed, match=f"allows {limit}"):
        await cases.schedule_post(
            world.svc, world.owner, NewPost("a" * (limit + 1), accounts=on, when="in 1 hour")
        )


async def test_a_draft_may_exceed_limits_until_it_is_scheduled(world: World) -> None:
    await world.account("bird", "x")
    draft = await cases.create_draft(world.svc, world.owner, NewPost("a" * 300, accounts=["x"]))
    with pytest.raises(ValidationFailed, match="X allows 280"):
        await cases.reschedule_post(world.svc, world.owner, draft.number, "in 2 hours")


async def test_empty_text_is_refused(world: World) -> None:
    with pytest.raises(ValidationFailed, match="no text"):
        await cases.create_draft(world.svc, world.owner, NewPost("   "))


async def test_unknown_account_names_the_known_ones(world: World) -> None:
    with pytest.raises(NotFound, match="your accounts: main, masto"):
        await cases.create_draft(world.svc, world.owner, NewPost("hi", accounts=["nope"]))


async def test_accounts_are_chosen_by_name_or_platform(world: World) -> None:
    post = await cases.create_draft(world.svc, world.owner, NewPost("hi", accounts=["mastodon"]))
    assert [e.platform for e in post.entries] == ["mastodon"]


async def test_a_post_of_another_workspace_does_not_exist_here(world: World) -> None:
    post = await cases.create_draft(world.svc, world.owner, NewPost("ours"))
    async with world.uow() as uow:
        other = await uow.workspaces.add(Workspace(name="rival"))
        await uow.commit()
    stranger = await world.member("sam", Role.OWNER)
    async with world.uow() as uow:
        member = await uow.members.get(stranger.member_id)
        assert member is not None
        member.workspace_id = other.id
        await uow.members.update(member)
        await uow.commit()
    with pytest.raises(NotFound, match=f"no post {post.number} here"):
        await show_post(world.svc, Actor(other.id, stranger.member_id), post.number)


async def test_edit_is_refused_once_published(world: World) -> None:
    post = await cases.publish_now(world.svc, world.owner, NewPost("out now"))
    with pytest.raises(ValidationFailed, match="published and can no longer be edited"):
        await cases.edit_post(world.svc, world.owner, post.number, "changed")
    shown = await show_post(world.svc, world.owner, post.number)
    assert shown.post.text == "out now"


async def test_edit_of_a_scheduled_post_rechecks_limits(world: World) -> None:
    await world.account("bird", "x")
    post = await cases.schedule_post(
        world.svc, world.owner, NewPost("short", accounts=["bird"], when="in 1 hour")
    )
    with pytest.raises(ValidationFailed, match="allows 280"):
        await cases.edit_post(world.svc, world.owner, post.number, "b" * 281)
    edited = await cases.edit_post(world.svc, world.owner, post.number, "still short")
    assert edited.text == "still short"


async def test_unschedule_returns_to_draft(world: World) -> None:
    post = await cases.schedule_post(world.svc, world.owner, NewPost("x", when="in 1 hour"))
    draft = await cases.unschedule_post(world.svc, world.owner, post.number)
    assert draft.status is PostStatus.DRAFT and draft.scheduled_at is None
    with pytest.raises(ValidationFailed, match="not scheduled"):
        await cases.unschedule_post(world.svc, world.owner, post.number)


async def test_duplicate_makes_a_reset_draft_with_a_new_number(world: World) -> None:
    source = await cases.schedule_post(
        world.svc,
        world.owner,
        NewPost("dup me", labels=["launch"], media=["a.png"], when="in 1 hour"),
    )
    world.clock.advance(timedelta(hours=2))
    await world.ticker.tick()
    copy = await cases.duplicate_post(world.svc, world.owner, source.number)
    assert copy.number != source.number and copy.id != source.id
    assert (copy.text, copy.media, copy.labels) == ("dup me", ["a.png"], ["launch"])
    assert copy.status is PostStatus.DRAFT
    assert [e.status for e in copy.entries] == [EntryStatus.PENDING] * 2
    assert all(e.platform_url is None and e.attempts == 0 for e in copy.entries)


async def test_delete_removes_our_record_only(world: World) -> None:
    post = await cases.create_draft(world.svc, world.owner, NewPost("bye"))
    await cases.delete_post(world.svc, world.owner, post.number)
    with pytest.raises(NotFound):
        await show_post(world.svc, world.owner, post.number)


async def test_roles_are_checked_for_every_change(world: World) -> None:
    viewer = await world.member("vic", Role.VIEWER)
    post = await cases.create_draft(world.svc, world.owner, NewPost("hi"))
    with pytest.raises(PermissionDenied, match=r"Your role \(viewer\) cannot write a post"):
        await cases.create_draft(world.svc, viewer, NewPost("nope"))
    with pytest.raises(PermissionDenied):
        await cases.delete_post(world.svc, viewer, post.number)
    with pytest.raises(PermissionDenied):
        await cases.retry_post(world.svc, viewer, post.number)
    assert (await show_post(world.svc, viewer, post.number)).post.text == "hi"


async def test_retry_of_a_published_post_has_nothing_to_do(world: World) -> None:
    post = await cases.publish_now(world.svc, world.owner, NewPost("fine"))
    with pytest.raises(ValidationFailed, match="nothing to retry"):
        await cases.retry_post(world.svc, world.owner, post.number)


async def test_reschedule_a_published_post_is_refused(world: World) -> None:
    post = await cases.publish_now(world.svc, world.owner, NewPost("fine"))
    with pytest.raises(InvalidTransition, match="already published"):
        await cases.reschedule_post(world.svc, world.owner, post.number, "in 3 hours")


async def test_list_filters_by_scope_label_and_window(world: World) -> None:
    a = await cases.schedule_post(
        world.svc, world.owner, NewPost("a", labels=["Launch"], when="2026-11-26 09:00")
    )
    b = await cases.schedule_post(world.svc, world.owner, NewPost("b", when="2026-12-10 09:00"))
    d = await cases.create_draft(world.svc, world.owner, NewPost("draft"))
    numbers = lambda listing: [p.number for p in listing.posts]  # noqa: E731
    assert numbers(await list_posts(world.svc, world.owner, "scheduled")) == [a.number, b.number]
    assert numbers(await list_posts(world.svc, world.owner, "drafts")) == [d.number]
    assert numbers(await list_posts(world.svc, world.owner, label="launch")) == [a.number]
    window = await list_posts(world.svc, world.owner, "all", start="2026-12-01", end="2026-12-31")
    assert numbers(window) == [b.number]
    with pytest.raises(ValidationFailed, match="not a list"):
        await list_posts(world.svc, world.owner, "everything")


async def test_calendar_week_starts_on_monday_in_the_members_zone(world: World) -> None:
    await cases.schedule_post(world.svc, world.owner, NewPost("in", when="2026-11-29 22:00"))
    await cases.schedule_post(world.svc, world.owner, NewPost("out", when="2026-11-30 10:00"))
    week = await calendar(world.svc, world.owner, "week", "2026-11-26")
    assert [d.isoformat() for d in (week.days[0], week.days[-1])] == ["2026-11-23", "2026-11-29"]
    assert [p.text for p in week.posts] == ["in"]
    month = await calendar(world.svc, world.owner, "month", "2026-11-26")
    assert len(month.days) == 30 and len(month.posts) == 2
    day = await calendar(world.svc, world.owner, "day", "2026-11-30")
    assert [p.text for p in day.posts] == ["out"]


async def test_labels_attach_detach_and_vanish_with_their_label(world: World) -> None:
    post = await cases.create_draft(world.svc, world.owner, NewPost("l"))
    labelled = await label_cases.label_post(world.svc, world.owner, post.number, ["Q4", "#promo"])
    assert labelled.labels == ["q4", "promo"]
    assert [lb.name for lb in await label_cases.list_labels(world.svc, world.owner)] == [
        "promo",
        "q4",
    ]
    unlabelled = await label_cases.unlabel_post(world.svc, world.owner, post.number, "q4")
    assert unlabelled.labels == ["promo"]
    await label_cases.remove_label(world.svc, world.owner, "promo")
    assert (await show_post(world.svc, world.owner, post.number)).post.labels == []
    with pytest.raises(ValidationFailed, match="not a usable label"):
        await label_cases.add_label(world.svc, world.owner, "two words")
