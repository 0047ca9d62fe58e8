"""Comments, reactions, review history and overdue reviews on SQLite and PostgreSQL."""

import asyncio
from datetime import UTC, datetime, timedelta

from core.comments import Comment, marker
from core.posts import Post
from core.reviews import Decision, ReviewStep
from core.roles import Role
from core.states import PostStatus, ReviewState
from core.workspace import Member, Workspace
from storage.uow import SqlUnitOfWorkFactory

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def _post(uow_factory: SqlUnitOfWorkFactory, **changes: object) -> tuple[int, int, int]:
    async with uow_factory() as uow:
        workspace = await uow.workspaces.add(Workspace(name=f"w{datetime.now(UTC).timestamp()}"))
        author = await uow.members.add(Member(workspace.id, "ed", Role.EDITOR))
        post = Post(
            workspace.id,
            author.id,
            "text",
            created_at=NOW,
            updated_at=NOW,
            number=await uow.workspaces.next_post_number(workspace.id),
        )
        for key, value in changes.items():
            setattr(post, key, value)
        post = await uow.posts.add(post)
        await uow.commit()
    return workspace.id, author.id, post.id


async def test_comments_keep_their_numbers_markers_and_threads(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    ws, author, post_id = await _post(uow_factory)
    async with uow_factory() as uow:
        first = await uow.comments.add(
            Comment(
                ws,
                post_id,
                author,
                f"{marker(author)} hi",
                NOW,
                number=await uow.workspaces.next_comment_number(ws),
            )
        )
        reply = await uow.comments.add(
            Comment(
                ws,
                post_id,
                author,
                "reply",
                NOW,
                parent_id=first.id,
                number=await uow.workspaces.next_comment_number(ws),
            )
        )
        await uow.commit()
    assert (first.number, reply.number) == (1, 2)
    async with uow_factory() as uow:
        found = await uow.comments.by_number(ws, 1)
        assert found is not None and found.mentions == [author]
        found.body, found.edited_at = "edited", NOW + timedelta(minutes=1)
        await uow.comments.update(found)
        await uow.commit()
    async with uow_factory() as uow:
        thread = await uow.comments.of_post(post_id)
        assert [(c.number, c.body, c.parent_id) for c in thread] == [
            (1, "edited", None),
            (2, "reply", first.id),
        ]
        assert await uow.comments.by_number(ws + 1000, 1) is None, "numbers are per workspace"
        await uow.comments.remove(first.id)
        await uow.commit()
    async with uow_factory() as uow:
        assert [c.number for c in await uow.comments.of_post(post_id)] == [2]


async def test_reactions_toggle_and_two_at_once_both_count(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    ws, author, post_id = await _post(uow_factory)
    async with uow_factory() as uow:
        comment = await uow.comments.add(Comment(ws, post_id, author, "nice", NOW, number=1))
        await uow.commit()

    async def react(member_id: int) -> bool:
        async with uow_factory() as uow:
            added = await uow.comments.toggle_reaction(comment.id, member_id, "👍", NOW)
            await uow.commit()
        return added

    assert await asyncio.gather(react(10), react(11)) == [True, True]
    assert await react(10) is False
    async with uow_factory() as uow:
        found = await uow.comments.by_number(ws, 1)
    assert found is not None and found.reactions == {"👍": [11]}


async def test_review_history_and_overdue_reviews(uow_factory: SqlUnitOfWorkFactory) -> None:
    ws, author, due = await _post(
        uow_factory,
        scheduled_at=NOW - timedelta(minutes=5),
        review_state=ReviewState.PENDING_REVIEW,
    )
    _, _, later = await _post(
        uow_factory, scheduled_at=NOW + timedelta(hours=1), review_state=ReviewState.PENDING_REVIEW
    )
    _, _, scheduled = await _post(
        uow_factory, scheduled_at=NOW - timedelta(minutes=5), status=PostStatus.SCHEDULED
    )
    async with uow_factory() as uow:
        await uow.reviews.add(ReviewStep(ws, due, author, Decision.SUBMITTED, NOW))
        await uow.reviews.add(ReviewStep(ws, due, author, Decision.CHANGES_REQUESTED, NOW, "x"))
        overdue = await uow.posts.overdue_reviews(NOW, 10)
        assert [p.id for p in overdue] == [due]
        overdue[0].review_overdue_noted = True
        assert await uow.posts.compare_and_set(overdue[0])
        await uow.commit()
    async with uow_factory() as uow:
        steps = await uow.reviews.of_post(due)
        assert [(s.decision, s.feedback) for s in steps] == [
            (Decision.SUBMITTED, None),
            (Decision.CHANGES_REQUESTED, "x"),
        ]
        assert await uow.posts.overdue_reviews(NOW, 10) == [], "told once"
    assert later and scheduled
