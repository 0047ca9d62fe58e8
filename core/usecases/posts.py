"""Use cases that create and change posts (DESIGN §2, §4)."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from core.errors import Conflict, ValidationFailed
from core.events import DomainEvent, EventKind
from core.labels import normalise_label
from core.ports import UnitOfWork
from core.posts import PlatformEntry, Post
from core.roles import Action
from core.states import EntryStatus, PostStatus, ReviewState
from core.timeparse import parse_when, require_future
from core.usecases import reviews
from core.usecases.context import Actor, Services, find_post, load_actor
from core.usecases.plan import check_cap, counted_in, note_usage
from core.usecases.reviews import needs_review
from core.usecases.targets import (
    accounts_of,
    check_fits,
    check_text,
    entries_for,
    resolve_accounts,
)
from core.workspace import Member, Workspace


@dataclass(frozen=True)
class NewPost:
    """A post as a member describes it; ``when`` is their own words, in their zone."""

    text: str
    accounts: Sequence[str] = ()
    labels: Sequence[str] = ()
    media: Sequence[str] = ()
    when: str | None = None


async def create_draft(svc: Services, actor: Actor, new: NewPost) -> Post:
    async with svc.uow() as uow:
        workspace, member = await load_actor(uow, actor, Action.WRITE_POST)
        post = await _new_post(uow, svc, workspace, member, new, check_limits=False)
        post = await uow.posts.add(post)
        await _record(uow, svc, EventKind.POST_CREATED, post, actor)
        await uow.commit()
    return post


async def schedule_post(svc: Services, actor: Actor, new: NewPost) -> Post:
    async with svc.uow() as uow:
        workspace, member = await load_actor(uow, actor, Action.PUBLISH)
        if not new.when:
            raise ValidationFailed("When should it go out? Add `at <when>`, e.g. at tomorrow 9am.")
        post = await _new_post(uow, svc, workspace, member, new, check_limits=True)
        when = post.scheduled_at = _future(svc, new.when, member.zone(workspace))
        if needs_review(workspace, member, post):
            # It waits for an approver as a draft with its time; approval schedules it.
            await reviews.send_to_review(uow, workspace, post)
            post = await uow.posts.add(post)
            await _record(uow, svc, EventKind.POST_CREATED, post, actor)
            await reviews.record_submission(uow, svc, actor, post)
            await uow.commit()
            return post
        await check_cap(uow, workspace, when)
        post.move(PostStatus.SCHEDULED)
        post = await uow.posts.add(post)
        await _record(uow, svc, EventKind.POST_CREATED, post, actor)
        await _record(uow, svc, EventKind.POST_SCHEDULED, post, actor)
        await note_usage(uow, workspace, when, svc.clock.now())
        await uow.commit()
    return post


async def publish_now(svc: Services, actor: Actor, new: NewPost) -> Post:
    async with svc.uow() as uow:
        workspace, member = await load_actor(uow, actor, Action.PUBLISH)
        post = await _new_post(uow, svc, workspace, member, new, check_limits=True)
        if needs_review(workspace, member, post):
            raise ValidationFailed(
                "This workspace approves posts before they go out: `schedule` it (it goes "
                "out at its time once approved) or keep it as a `draft` and `submit` it."
            )
        now = svc.clock.now()
        await check_cap(uow, workspace, now)
        post.move(PostStatus.PUBLISHING)
        post.claimed_at = now
        post = await uow.posts.add(post)
        await _record(uow, svc, EventKind.POST_CREATED, post, actor)
        await note_usage(uow, workspace, now, now)
        await uow.commit()
    await svc.publisher.post_ready(post.id)
    return post


async def edit_post(svc: Services, actor: Actor, number: int, text: str) -> Post:
    """Change the text; with approvals on, an approved post edited by someone who may
    not approve goes back to review (the approval was for other words)."""
    async with svc.uow() as uow:
        workspace, member = await load_actor(uow, actor, Action.WRITE_POST)
        post = await find_post(uow, actor.workspace_id, number)
        if post.status not in (PostStatus.DRAFT, PostStatus.SCHEDULED, PostStatus.FAILED):
            raise ValidationFailed(
                f"Post {number} is {post.status.value.replace('_', ' ')} and can no longer be "
                "edited; `duplicate` it to make a new draft with the same content."
            )
        post.text = check_text(text)
        if post.status is PostStatus.SCHEDULED:
            await check_fits(uow, post.text, post.media, await accounts_of(uow, post.entries))
        again = post.review_state is ReviewState.APPROVED and needs_review(
            workspace, member, replace(post, review_state=ReviewState.NONE)
        )
        if again:
            if post.status is PostStatus.SCHEDULED:
                post.move(PostStatus.DRAFT)
            await reviews.send_to_review(uow, workspace, post)
        await _save(uow, svc, post)
        if again:
            await reviews.record_submission(uow, svc, actor, post)
        await uow.commit()
    return post


async def reschedule_post(svc: Services, actor: Actor, number: int, when: str) -> Post:
    """Give a draft, scheduled or failed post a new time."""
    async with svc.uow() as uow:
        workspace, member = await load_actor(uow, actor, Action.PUBLISH)
        post = await find_post(uow, actor.workspace_id, number)
        scheduled_at = _future(svc, when, member.zone(workspace))
        if post.status is PostStatus.DRAFT and needs_review(workspace, member, post):
            if post.review_state is ReviewState.PENDING_REVIEW:
                raise ValidationFailed(f"Post {number} is waiting for review already.")
            post.scheduled_at = scheduled_at
            await reviews.send_to_review(uow, workspace, post)
            await _save(uow, svc, post)
            await reviews.record_submission(uow, svc, actor, post)
            await uow.commit()
            return post
        # A draft takes a place in the month; a scheduled or failed post moved to another
        # month takes one there (its old month's place is freed by the move).
        newly_counted = not counted_in(post, scheduled_at)
        await check_cap(uow, workspace, scheduled_at, moving=post)
        was_failed = post.status is PostStatus.FAILED
        post.move(PostStatus.SCHEDULED)
        await check_fits(uow, post.text, post.media, await accounts_of(uow, post.entries))
        if was_failed:
            _reset_unpublished(post.entries)
        post.scheduled_at = scheduled_at
        post.finished_at = None
        await _save(uow, svc, post)
        await _record(uow, svc, EventKind.POST_SCHEDULED, post, actor)
        if newly_counted:
            await note_usage(uow, workspace, scheduled_at, svc.clock.now())
        await uow.commit()
    return post


async def unschedule_post(svc: Services, actor: Actor, number: int) -> Post:
    async with svc.uow() as uow:
        await load_actor(uow, actor, Action.PUBLISH)
        post = await find_post(uow, actor.workspace_id, number)
        if post.status is not PostStatus.SCHEDULED:
            raise ValidationFailed(f"Post {number} is not scheduled; it is {_said(post)}.")
        post.move(PostStatus.DRAFT)
        post.scheduled_at = None
        await _save(uow, svc, post)
        await uow.commit()
    return post


async def duplicate_post(svc: Services, actor: Actor, number: int) -> Post:
    """A new draft with the same content, media, labels and targets, all reset."""
    async with svc.uow() as uow:
        _, member = await load_actor(uow, actor, Action.WRITE_POST)
        source = await find_post(uow, actor.workspace_id, number)
        copy = Post(
            workspace_id=source.workspace_id,
            author_id=member.id,
            text=source.text,
            media=list(source.media),
            labels=list(source.labels),
            created_at=svc.clock.now(),
            entries=[
                PlatformEntry(e.account_id, e.platform, e.content_type, enabled=e.enabled)
                for e in source.entries
            ],
        )
        copy.number = await uow.workspaces.next_post_number(actor.workspace_id)
        copy.updated_at = copy.created_at
        copy = await uow.posts.add(copy)
        await _record(uow, svc, EventKind.POST_CREATED, copy, actor)
        await uow.commit()
    return copy


async def delete_post(svc: Services, actor: Actor, number: int) -> Post:
    """Remove our record of the post; what a platform already shows stays there."""
    async with svc.uow() as uow:
        await load_actor(uow, actor, Action.DELETE_POST)
        post = await find_post(uow, actor.workspace_id, number)
        if post.status is PostStatus.PUBLISHING:
            raise ValidationFailed(
                f"Post {number} is being published right now; try again in a minute."
            )
        if not await uow.posts.remove(post):
            raise Conflict(f"Post {number} changed meanwhile (it may be publishing); try again.")
        await uow.commit()
    return post


async def retry_post(svc: Services, actor: Actor, number: int) -> Post:
    """Re-send only the failed or pending entries; published ones are never sent twice."""
    async with svc.uow() as uow:
        await load_actor(uow, actor, Action.RETRY)
        post = await find_post(uow, actor.workspace_id, number)
        if post.status not in (PostStatus.FAILED, PostStatus.PARTIALLY_PUBLISHED):
            raise ValidationFailed(f"Post {number} is {_said(post)}; there is nothing to retry.")
        post.move(PostStatus.PUBLISHING)
        _reset_unpublished(post.entries)
        post.claimed_at = svc.clock.now()
        post.finished_at = None
        await _save(uow, svc, post)
        await _record(uow, svc, EventKind.POST_RETRIED, post, actor)
        await uow.commit()
    await svc.publisher.post_ready(post.id)
    return post


# --- shared steps ---------------------------------------------------------------


async def _new_post(
    uow: UnitOfWork,
    svc: Services,
    workspace: Workspace,
    member: Member,
    new: NewPost,
    *,
    check_limits: bool,
) -> Post:
    text = check_text(new.text)
    accounts = await resolve_accounts(uow, workspace, new.accounts)
    if check_limits:
        await check_fits(uow, text, new.media, accounts)
    now_labels = list(dict.fromkeys(normalise_label(raw) for raw in new.labels))
    post = Post(
        workspace_id=workspace.id,
        author_id=member.id,
        text=text,
        media=list(new.media),
        labels=now_labels,
        entries=entries_for(accounts),
        created_at=svc.clock.now(),
        updated_at=svc.clock.now(),
    )
    post.number = await uow.workspaces.next_post_number(workspace.id)
    return post


def _future(svc: Services, when: str, timezone: str) -> datetime:
    now = svc.clock.now()
    return require_future(parse_when(when, timezone, now), now, timezone)


def _reset_unpublished(entries: list[PlatformEntry]) -> None:
    for entry in entries:
        if entry.enabled and entry.status is EntryStatus.FAILED:
            entry.move(EntryStatus.PENDING)
            entry.generation += 1
            entry.error_message = None


async def _save(uow: UnitOfWork, svc: Services, post: Post) -> None:
    post.updated_at = svc.clock.now()
    if not await uow.posts.save(post):
        raise Conflict(f"Post {post.number} changed while you were working on it; try again.")


async def _record(
    uow: UnitOfWork, svc: Services, kind: EventKind, post: Post, actor: Actor
) -> None:
    await uow.events.add(
        DomainEvent(
            kind,
            post.workspace_id,
            svc.clock.now(),
            post_id=post.id,
            # The post as it is now: the notice describes this moment, whatever happens
            # to the post before the projector gets to the event.
            payload={"actor_id": actor.member_id, **post.snapshot()},
        )
    )


def _said(post: Post) -> str:
    return post.status.value.replace("_", " ")


__all__ = [
    "NewPost",
    "create_draft",
    "delete_post",
    "duplicate_post",
    "edit_post",
    "publish_now",
    "reschedule_post",
    "retry_post",
    "schedule_post",
    "unschedule_post",
]
