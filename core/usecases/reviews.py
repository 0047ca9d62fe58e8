"""The approval workflow (DESIGN §2): submit, approve, request changes.

With approvals on, a post by an editor or approver goes out only once someone who may
review approved it: scheduling puts it in review (status draft, its time kept) and
approval schedules it. Owners and admins schedule directly. Nobody approves or turns
down their own post unless they are an owner or admin.

Every decision is written with the post's version check: of two approvers deciding
at once one wins and the other is told what happened, with who and when.
"""

from dataclasses import dataclass

from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.events import DomainEvent, EventKind
from core.ports import UnitOfWork
from core.posts import Post
from core.reviews import Decision, ReviewStep
from core.roles import Action, Role
from core.states import PostStatus, ReviewState
from core.timeparse import show_time
from core.usecases.context import Actor, Services, find_post, load_actor
from core.usecases.plan import check_cap, note_usage
from core.workspace import Member, Workspace

MAX_FEEDBACK = 2000
_DECIDED = {
    ReviewState.APPROVED: Decision.APPROVED,
    ReviewState.CHANGES_REQUESTED: Decision.CHANGES_REQUESTED,
}


@dataclass(frozen=True)
class Review:
    """A post's review history with the names of those who took part."""

    steps: list[ReviewStep]
    names: dict[int, str]


def needs_review(workspace: Workspace, member: Member, post: Post) -> bool:
    """Whether scheduling this post by this member waits for an approval first."""
    return (
        workspace.approvals_required
        and not member.is_any(Role.OWNER, Role.ADMIN)
        and post.review_state is not ReviewState.APPROVED
    )


async def send_to_review(uow: UnitOfWork, workspace: Workspace, post: Post) -> None:
    """Put a draft in review; the caller saves the post (new or loaded) and commits."""
    if post.scheduled_at is not None:
        await check_cap(uow, workspace, post.scheduled_at)
    post.move_review(ReviewState.PENDING_REVIEW)
    post.review_overdue_noted = False


async def record_submission(uow: UnitOfWork, svc: Services, actor: Actor, post: Post) -> None:
    """After the post in review is saved (it has its id): its history and the notice."""
    await _step(uow, svc, actor, post, Decision.SUBMITTED)
    await _event(uow, svc, actor, post, EventKind.REVIEW_REQUESTED)


async def set_approvals(svc: Services, actor: Actor, required: bool) -> Workspace:
    """Owners and admins decide whether posts need an approval before they go out."""
    async with svc.uow() as uow:
        workspace, _ = await load_actor(uow, actor, Action.MANAGE_SETTINGS)
        workspace.approvals_required = required
        await uow.workspaces.update(workspace)
        await uow.commit()
    return workspace


async def submit_post(svc: Services, actor: Actor, number: int) -> Post:
    """Ask for review of a draft (its time, if it has one, is kept for approval)."""
    async with svc.uow() as uow:
        workspace, _ = await load_actor(uow, actor, Action.WRITE_POST)
        post = await find_post(uow, actor.workspace_id, number)
        if post.review_state is ReviewState.PENDING_REVIEW:
            raise ValidationFailed(f"Post {number} is already waiting for review.")
        if post.status is not PostStatus.DRAFT:
            raise ValidationFailed(
                f"Post {number} is {post.status.value.replace('_', ' ')}; only a draft is "
                "submitted for review (`unschedule` it first)."
            )
        await send_to_review(uow, workspace, post)
        await _save(uow, svc, post)
        await record_submission(uow, svc, actor, post)
        await uow.commit()
    return post


async def approve_post(svc: Services, actor: Actor, number: int) -> Post:
    """Approve: the post is scheduled for its time, or goes back to draft if that
    time passed while it waited (the author is told why)."""
    try:
        return await _approve(svc, actor, number)
    except Conflict:
        raise ValidationFailed(await _decided_meanwhile(svc, actor, number)) from None


async def _approve(svc: Services, actor: Actor, number: int) -> Post:
    async with svc.uow() as uow:
        workspace, member = await load_actor(uow, actor, Action.REVIEW)
        post = await _under_review(uow, actor, number, member)
        now = svc.clock.now()
        post.move_review(ReviewState.APPROVED)
        due_passed = post.scheduled_at is not None and post.scheduled_at <= now
        if post.scheduled_at is not None and not due_passed:
            await check_cap(uow, workspace, post.scheduled_at)
            post.move(PostStatus.SCHEDULED)
        if due_passed:
            post.scheduled_at = None
        await _save(uow, svc, post, number)
        await _step(uow, svc, actor, post, Decision.APPROVED)
        await _event(uow, svc, actor, post, EventKind.POST_APPROVED, due_passed=due_passed)
        if post.status is PostStatus.SCHEDULED and post.scheduled_at is not None:
            await note_usage(uow, workspace, post.scheduled_at, now)
        await uow.commit()
    return post


async def request_changes(svc: Services, actor: Actor, number: int, feedback: str) -> Post:
    feedback = feedback.strip()
    if not feedback:
        raise ValidationFailed(
            f'Say what should change: `changes {number} "Shorter, and add the link"`.'
        )
    if len(feedback) > MAX_FEEDBACK:
        raise ValidationFailed(f"Feedback holds at most {MAX_FEEDBACK} characters.")
    try:
        return await _request_changes(svc, actor, number, feedback)
    except Conflict:
        raise ValidationFailed(await _decided_meanwhile(svc, actor, number)) from None


async def _request_changes(svc: Services, actor: Actor, number: int, feedback: str) -> Post:
    async with svc.uow() as uow:
        _, member = await load_actor(uow, actor, Action.REVIEW)
        post = await _under_review(uow, actor, number, member)
        post.move_review(ReviewState.CHANGES_REQUESTED)
        await _save(uow, svc, post, number)
        await _step(uow, svc, actor, post, Decision.CHANGES_REQUESTED, feedback)
        await _event(uow, svc, actor, post, EventKind.CHANGES_REQUESTED, feedback=feedback)
        await uow.commit()
    return post


async def review_of(uow: UnitOfWork, post: Post) -> Review:
    steps = await uow.reviews.of_post(post.id)
    if not steps:
        return Review([], {})  # most posts: no member read on every post reply
    members = {m.id: m.name for m in await uow.members.list(post.workspace_id)}
    return Review(steps, {s.member_id: members.get(s.member_id, "someone") for s in steps})


async def _under_review(uow: UnitOfWork, actor: Actor, number: int, member: Member) -> Post:
    post = await find_post(uow, actor.workspace_id, number)
    if post.review_state is not ReviewState.PENDING_REVIEW:
        raise ValidationFailed(await _why_not_in_review(uow, post, member))
    if post.author_id == actor.member_id and not member.is_any(Role.OWNER, Role.ADMIN):
        raise PermissionDenied(
            f"Post {number} is yours; someone else reviews it (owners and admins may "
            "review their own)."
        )
    return post


async def _decided_meanwhile(svc: Services, actor: Actor, number: int) -> str:
    """Another reviewer's decision was written between our read and our write."""
    async with svc.uow() as uow:
        _, member = await load_actor(uow, actor, Action.REVIEW)
        post = await find_post(uow, actor.workspace_id, number)
        return await _why_not_in_review(uow, post, member)


async def _why_not_in_review(uow: UnitOfWork, post: Post, member: Member) -> str:
    """What happened instead, for a second click or an old DM: who decided, and when."""
    decision = _DECIDED.get(post.review_state)
    steps = [s for s in await uow.reviews.of_post(post.id) if s.decision is decision]
    if decision is None or not steps:
        return f"Post {post.number} is not waiting for review."
    last = steps[-1]
    by = await uow.members.get(last.member_id)
    who = "you" if last.member_id == member.id else f"@{by.name if by else 'someone'}"
    workspace = await uow.workspaces.get(post.workspace_id)
    when = show_time(last.at, member.zone(workspace) if workspace else "UTC")
    said = "approved" if decision is Decision.APPROVED else "sent back with changes requested"
    return f"Post {post.number} was already {said} by {who} at {when}."


async def _save(uow: UnitOfWork, svc: Services, post: Post, number: int | None = None) -> None:
    post.updated_at = svc.clock.now()
    if not await uow.posts.save(post):
        raise Conflict(f"Post {number or post.number} changed meanwhile; `show` it and try again.")


async def _step(
    uow: UnitOfWork,
    svc: Services,
    actor: Actor,
    post: Post,
    decision: Decision,
    feedback: str | None = None,
) -> None:
    await uow.reviews.add(
        ReviewStep(
            actor.workspace_id, post.id, actor.member_id, decision, svc.clock.now(), feedback
        )
    )


async def _event(
    uow: UnitOfWork,
    svc: Services,
    actor: Actor,
    post: Post,
    kind: EventKind,
    **extra: object,
) -> None:
    await uow.events.add(
        DomainEvent(
            kind,
            actor.workspace_id,
            svc.clock.now(),
            post_id=post.id,
            payload={**post.snapshot(), "actor_id": actor.member_id, **extra},
        )
    )
