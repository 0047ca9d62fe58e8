"""Comments, reviews and their notices on the core's in-memory ports (issue 9)."""

from datetime import timedelta

import pytest

from core.comments import marker
from core.errors import PermissionDenied, ValidationFailed
from core.notifications.types import NoticeType
from core.roles import Role
from core.states import PostStatus, ReviewState
from core.usecases import comments, members, reviews
from core.usecases import posts as cases
from core.usecases.context import Actor
from core.usecases.plan import set_monthly_cap
from core.usecases.posts import NewPost
from core.usecases.queries import show_post
from tests.unit.conftest import Pipes, World

N = NoticeType


async def _told(world: World, pipes: Pipes) -> dict[str, list[str]]:
    """Who got which notices since the last look: member name → notice types."""
    await pipes.flush()
    async with world.uow() as uow:
        names = {m.id: m.name for m in await uow.members.list(world.workspace_id)}
        found: dict[str, list[str]] = {}
        for n in sorted(uow.store.notifications.values(), key=lambda n: n.id):
            if n.id not in pipes.seen:
                found.setdefault(names.get(n.recipient_id, "?"), []).append(n.type.value)
                pipes.seen.add(n.id)
    return found


@pytest.fixture
async def team(world: World) -> dict[str, Actor]:
    return {
        "olive": world.owner,
        "ed": await world.member("ed", Role.EDITOR),
        "ann": await world.member("ann", Role.APPROVER),
        "vic": await world.member("vic", Role.VIEWER),
    }


# --- comments ------------------------------------------------------------------------


async def test_a_mention_and_the_author_each_get_one_notice(
    world: World, pipes: Pipes, team: dict[str, Actor]
) -> None:
    post = await cases.create_draft(world.svc, team["ed"], NewPost("Launch text"))
    await _told(world, pipes)
    ann, ed = team["ann"].member_id, team["ed"].member_id
    await comments.add_comment(
        world.svc, team["vic"], post.number, f"{marker(ann)} and {marker(ed)}, look"
    )
    assert await _told(world, pipes) == {
        "ann": [N.MENTIONED_IN_COMMENT.value],
        "ed": [N.MENTIONED_IN_COMMENT.value],  # the mention, not also "on your post"
    }
    await comments.add_comment(world.svc, team["vic"], post.number, "and another thing")
    assert await _told(world, pipes) == {"ed": [N.COMMENT_ON_YOUR_POST.value]}
    await comments.add_comment(world.svc, team["ed"], post.number, "my own post")
    assert await _told(world, pipes) == {}, "nobody is told of their own words"


async def test_a_reply_tells_the_comments_author_and_joins_its_thread(
    world: World, pipes: Pipes, team: dict[str, Actor]
) -> None:
    post = await cases.create_draft(world.svc, team["ed"], NewPost("Launch text"))
    first = await comments.add_comment(world.svc, team["vic"], post.number, "typo in line 2")
    reply = await comments.add_comment(
        world.svc, team["ann"], post.number, "agreed", reply_to=first.number
    )
    deeper = await comments.add_comment(
        world.svc, team["ed"], post.number, "fixed", reply_to=reply.number
    )
    assert reply.parent_id == first.id and deeper.parent_id == first.id, "one level of threads"
    told = await _told(world, pipes)
    # Each reply tells the author of the comment it answers.
    assert told["vic"] == [N.COMMENT_REPLY.value]
    assert told["ann"] == [N.COMMENT_REPLY.value]
    assert told["ed"] == [N.COMMENT_ON_YOUR_POST.value, N.COMMENT_ON_YOUR_POST.value]


async def test_an_edit_tells_only_the_newly_mentioned(
    world: World, pipes: Pipes, team: dict[str, Actor]
) -> None:
    post = await cases.create_draft(world.svc, team["ed"], NewPost("Launch text"))
    ann, olive = team["ann"].member_id, team["olive"].member_id
    note = await comments.add_comment(world.svc, team["vic"], post.number, f"{marker(ann)} ok?")
    await _told(world, pipes)
    await comments.edit_comment(
        world.svc, team["vic"], note.number, f"{marker(ann)} {marker(olive)} ok?"
    )
    assert await _told(world, pipes) == {"olive": [N.MENTIONED_IN_COMMENT.value]}


async def test_only_authors_edit_and_authors_or_admins_delete(
    world: World, team: dict[str, Actor]
) -> None:
    post = await cases.create_draft(world.svc, team["ed"], NewPost("Launch text"))
    note = await comments.add_comment(world.svc, team["vic"], post.number, "mine")
    with pytest.raises(PermissionDenied, match="only its author edits"):
        await comments.edit_comment(world.svc, team["ed"], note.number, "hijacked")
    with pytest.raises(PermissionDenied, match="owner or an admin may delete"):
        await comments.delete_comment(world.svc, team["ed"], note.number)
    await comments.delete_comment(world.svc, team["olive"], note.number)
    assert (await comments.thread(world.svc, team["vic"], post.number)).comments == []


async def test_a_reaction_toggles_and_counts_each_member_once(
    world: World, team: dict[str, Actor]
) -> None:
    post = await cases.create_draft(world.svc, team["ed"], NewPost("Launch text"))
    note = await comments.add_comment(world.svc, team["vic"], post.number, "nice")
    _, added = await comments.react(world.svc, team["ann"], note.number, "👍")
    assert added
    shown, _ = await comments.react(world.svc, team["ed"], note.number, "👍")
    assert shown.reactions == {"👍": [team["ann"].member_id, team["ed"].member_id]}
    shown, added = await comments.react(world.svc, team["ann"], note.number, "👍")
    assert not added and shown.reactions == {"👍": [team["ed"].member_id]}


@pytest.mark.parametrize("typed", ["👍", ":thumbsup:", ":+1:", " 👍 "])
async def test_slack_names_and_real_emoji_are_one_reaction(
    world: World, team: dict[str, Actor], typed: str
) -> None:
    post = await cases.create_draft(world.svc, team["ed"], NewPost("Launch text"))
    note = await comments.add_comment(world.svc, team["vic"], post.number, "nice")
    await comments.react(world.svc, team["ann"], note.number, "👍")
    shown, added = await comments.react(world.svc, team["ann"], note.number, typed)
    assert not added and shown.reactions == {}, "the same reaction, taken back"


@pytest.mark.parametrize(("typed", "kept"), [(":party-parrot:", ":party-parrot:"), ("🎉", "🎉")])
def test_a_workspaces_own_emoji_is_kept_as_typed(typed: str, kept: str) -> None:
    assert comments.one_emoji(typed) == kept


@pytest.mark.parametrize("typed", ["hello", "👍 👍", "", ":no spaces:"])
def test_anything_else_is_not_a_reaction(typed: str) -> None:
    with pytest.raises(ValidationFailed, match="React with one emoji"):
        comments.one_emoji(typed)


async def test_a_marker_for_someone_outside_the_workspace_mentions_nobody(
    world: World, pipes: Pipes, team: dict[str, Actor]
) -> None:
    post = await cases.create_draft(world.svc, team["ed"], NewPost("Launch text"))
    note = await comments.add_comment(world.svc, team["vic"], post.number, f"{marker(999)} hi")
    assert note.mentions == [] and "@someone" in note.body
    assert await _told(world, pipes) == {"ed": [N.COMMENT_ON_YOUR_POST.value]}


async def test_a_comment_on_a_post_in_review_is_feedback_to_the_other_side(
    world: World, pipes: Pipes, team: dict[str, Actor]
) -> None:
    await _approvals_on(world)
    post = await cases.schedule_post(world.svc, team["ed"], NewPost("Hi", when="in 2 hours"))
    await _told(world, pipes)
    await comments.add_comment(world.svc, team["ann"], post.number, "shorter?")
    assert await _told(world, pipes) == {"ed": [N.APPROVAL_FEEDBACK.value]}
    await comments.add_comment(world.svc, team["ed"], post.number, "done")
    assert await _told(world, pipes) == {
        "olive": [N.APPROVAL_FEEDBACK.value],
        "ann": [N.APPROVAL_FEEDBACK.value],
    }


# --- reviews -------------------------------------------------------------------------


async def _approvals_on(world: World) -> None:
    async with world.uow() as uow:
        workspace = await uow.workspaces.get(world.workspace_id)
        assert workspace is not None
        workspace.approvals_required = True
        await uow.workspaces.update(workspace)
        await uow.commit()


async def test_a_full_review_round_ends_published(
    world: World, pipes: Pipes, team: dict[str, Actor]
) -> None:
    await _approvals_on(world)
    post = await cases.schedule_post(world.svc, team["ed"], NewPost("Hi", when="in 2 hours"))
    assert (post.status, post.review_state) == (PostStatus.DRAFT, ReviewState.PENDING_REVIEW)
    told = await _told(world, pipes)
    assert told == {"olive": [N.APPROVAL_REQUESTED.value], "ann": [N.APPROVAL_REQUESTED.value]}
    [dm] = [m for who, m, _ in pipes.chat.sent if who == "ann"]
    assert [b.command for b in dm.buttons][:2] == [
        f"approve {post.number}",
        f"changes {post.number}",
    ]

    await reviews.request_changes(world.svc, team["ann"], post.number, "Add the link")
    assert await _told(world, pipes) == {"ed": [N.CHANGES_REQUESTED.value]}
    await cases.edit_post(world.svc, team["ed"], post.number, "Hi, with https://x.test")
    await reviews.submit_post(world.svc, team["ed"], post.number)
    assert set(await _told(world, pipes)) == {"olive", "ann"}
    approved = await reviews.approve_post(world.svc, team["ann"], post.number)
    assert (approved.status, approved.review_state) == (PostStatus.SCHEDULED, ReviewState.APPROVED)
    assert await _told(world, pipes) == {"ed": [N.POST_APPROVED.value]}

    world.clock.advance(timedelta(hours=3))
    await world.ticker.tick()
    details = await show_post(world.svc, team["ed"], post.number)
    assert details.post.status is PostStatus.PUBLISHED


async def test_nobody_approves_their_own_post_unless_owner_or_admin(
    world: World, team: dict[str, Actor]
) -> None:
    ed_post = await cases.create_draft(world.svc, team["ed"], NewPost("Mine"))
    await reviews.submit_post(world.svc, team["ed"], ed_post.number)
    await members.set_role(world.svc, team["olive"], "ed", "approver")
    with pytest.raises(PermissionDenied, match="is yours"):
        await reviews.approve_post(world.svc, team["ed"], ed_post.number)
    owner_post = await cases.create_draft(world.svc, team["olive"], NewPost("Owner's"))
    await reviews.submit_post(world.svc, team["olive"], owner_post.number)
    await reviews.approve_post(world.svc, team["olive"], owner_post.number)


async def test_a_second_click_says_who_decided_and_when(
    world: World, team: dict[str, Actor]
) -> None:
    await _approvals_on(world)
    post = await cases.schedule_post(world.svc, team["ed"], NewPost("Hi", when="in 2 hours"))
    await reviews.approve_post(world.svc, team["ann"], post.number)
    with pytest.raises(ValidationFailed, match="already approved by you at"):
        await reviews.approve_post(world.svc, team["ann"], post.number)
    with pytest.raises(ValidationFailed, match="already approved by @ann at .*2026-11-25"):
        await reviews.request_changes(world.svc, team["olive"], post.number, "late")


async def test_approval_after_the_time_passed_returns_a_draft_and_says_why(
    world: World, pipes: Pipes, team: dict[str, Actor]
) -> None:
    await _approvals_on(world)
    post = await cases.schedule_post(world.svc, team["ed"], NewPost("Hi", when="in 1 hour"))
    world.clock.advance(timedelta(hours=2))
    await _told(world, pipes)
    approved = await reviews.approve_post(world.svc, team["ann"], post.number)
    assert (approved.status, approved.scheduled_at) == (PostStatus.DRAFT, None)
    await pipes.flush()
    [dm] = [m for who, m, _ in pipes.chat.sent if who == "ed"]
    assert "time passed" in (dm.text or "")


async def test_an_unapproved_post_is_never_published_and_told_once(
    world: World, pipes: Pipes, team: dict[str, Actor]
) -> None:
    await _approvals_on(world)
    post = await cases.schedule_post(world.svc, team["ed"], NewPost("Hi", when="in 1 hour"))
    await _told(world, pipes)
    for _ in range(3):
        world.clock.advance(timedelta(hours=1))
        await world.ticker.tick()
    assert world.platform.sent == []
    details = await show_post(world.svc, team["ed"], post.number)
    assert details.post.review_state is ReviewState.PENDING_REVIEW
    assert await _told(world, pipes) == {
        "ed": [N.REVIEW_OVERDUE.value],
        "olive": [N.REVIEW_OVERDUE.value],
        "ann": [N.REVIEW_OVERDUE.value],
    }


async def test_editing_an_approved_post_sends_it_back_to_review(
    world: World, team: dict[str, Actor]
) -> None:
    await _approvals_on(world)
    post = await cases.schedule_post(world.svc, team["ed"], NewPost("Hi", when="in 2 hours"))
    await reviews.approve_post(world.svc, team["ann"], post.number)
    edited = await cases.edit_post(world.svc, team["ed"], post.number, "Different words")
    assert (edited.status, edited.review_state) == (PostStatus.DRAFT, ReviewState.PENDING_REVIEW)


async def test_approving_into_a_full_month_is_refused(world: World, team: dict[str, Actor]) -> None:
    await _approvals_on(world)
    post = await cases.schedule_post(world.svc, team["ed"], NewPost("Hi", when="in 2 hours"))
    await set_monthly_cap(world.svc, team["olive"], 1)
    await cases.schedule_post(world.svc, team["olive"], NewPost("fills it", when="in 3 hours"))
    with pytest.raises(ValidationFailed, match="allows 1 posts a month"):
        await reviews.approve_post(world.svc, team["ann"], post.number)


async def test_publish_now_waits_for_review_in_words(world: World, team: dict[str, Actor]) -> None:
    await _approvals_on(world)
    with pytest.raises(ValidationFailed, match="approves posts before they go out"):
        await cases.publish_now(world.svc, team["ed"], NewPost("Now!"))
    assert world.platform.sent == []
