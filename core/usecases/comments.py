"""Comments on posts: write, reply, edit, delete, react, read the thread.

Surfaces hand in the text with each @mention already replaced by a neutral marker
(``core.comments.marker``) for the member they resolved it to; the core checks that
every marked member belongs to the workspace, so a forged marker mentions nobody.
"""

import re
from dataclasses import dataclass

import emoji as emojis

from core.comments import Comment, check_body, mentioned_ids, render_mentions
from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.events import DomainEvent, EventKind
from core.ports import UnitOfWork
from core.posts import Post
from core.roles import Action, Role
from core.usecases.context import Actor, Services, find_post, load_actor
from core.workspace import Member

MAX_EMOJI = 64
_SHORTCODE = re.compile(r":[a-z0-9_+'-]+:")


@dataclass(frozen=True)
class Thread:
    post: Post
    comments: list[Comment]
    members: dict[int, Member]
    timezone: str


async def add_comment(
    svc: Services, actor: Actor, number: int, text: str, reply_to: int | None = None
) -> Comment:
    """Comment on a post, or reply to one of its comments (one level: a reply to a
    reply joins the same thread)."""
    async with svc.uow() as uow:
        await load_actor(uow, actor, Action.COMMENT)
        post = await find_post(uow, actor.workspace_id, number)
        parent = None
        if reply_to is not None:
            parent = await _find(uow, actor.workspace_id, reply_to)
            if parent.post_id != post.id:
                raise ValidationFailed(
                    f"Comment {reply_to} is on another post; `comments {number}` lists this "
                    "post's comments."
                )
        body = await _known_mentions(uow, actor.workspace_id, check_body(text))
        comment = Comment(
            workspace_id=actor.workspace_id,
            post_id=post.id,
            author_id=actor.member_id,
            body=body,
            created_at=svc.clock.now(),
            number=await uow.workspaces.next_comment_number(actor.workspace_id),
            parent_id=(parent.parent_id or parent.id) if parent else None,
        )
        comment = await uow.comments.add(comment)
        thread_author = parent.author_id if parent else None
        await _record(uow, svc, actor, post, comment, comment.mentions, thread_author)
        await uow.commit()
    return comment


async def edit_comment(svc: Services, actor: Actor, number: int, text: str) -> Comment:
    """Authors change their own words; people it newly mentions are told."""
    async with svc.uow() as uow:
        await load_actor(uow, actor, Action.COMMENT)
        comment = await _find(uow, actor.workspace_id, number)
        if comment.author_id != actor.member_id:
            raise PermissionDenied(f"Comment {number} is not yours; only its author edits it.")
        before = set(comment.mentions)
        comment.body = await _known_mentions(uow, actor.workspace_id, check_body(text))
        comment.edited_at = svc.clock.now()
        await uow.comments.update(comment)
        post = await uow.posts.get(comment.post_id)
        fresh = [m for m in comment.mentions if m not in before]
        if post is not None and fresh:
            await _record(uow, svc, actor, post, comment, fresh, None, edit=True)
        await uow.commit()
    return comment


async def delete_comment(svc: Services, actor: Actor, number: int) -> Comment:
    """Authors delete their own comments; owners and admins may delete any."""
    async with svc.uow() as uow:
        _, member = await load_actor(uow, actor, Action.COMMENT)
        comment = await _find(uow, actor.workspace_id, number)
        if comment.author_id != actor.member_id and not member.is_any(Role.OWNER, Role.ADMIN):
            raise PermissionDenied(
                f"Comment {number} is not yours; its author, an owner or an admin may delete it."
            )
        await uow.comments.remove(comment.id)
        await uow.commit()
    return comment


async def react(svc: Services, actor: Actor, number: int, emoji: str) -> tuple[Comment, bool]:
    """Toggle the member's reaction; True when it is now there."""
    emoji = one_emoji(emoji)
    async with svc.uow() as uow:
        await load_actor(uow, actor, Action.COMMENT)
        comment = await _find(uow, actor.workspace_id, number)
        added = await uow.comments.toggle_reaction(
            comment.id, actor.member_id, emoji, svc.clock.now()
        )
        await uow.commit()
    if added != (actor.member_id in comment.reactions.get(emoji, [])):
        comment.toggle(emoji, actor.member_id)  # as stored now
    return comment, added


def one_emoji(typed: str) -> str:
    """One emoji, whichever way it was typed: Slack's ``:thumbsup:`` and 👍 are the same
    reaction. A ``:name:`` that is no standard emoji is kept (a workspace's own emoji)."""
    text = typed.strip()
    glyph = emojis.emojize(text, language="alias")
    if emojis.is_emoji(glyph):
        return glyph
    if _SHORTCODE.fullmatch(text) and len(text) <= MAX_EMOJI:
        return text
    raise ValidationFailed("React with one emoji: `react 12 👍` or `react 12 :tada:`.")


async def thread(svc: Services, actor: Actor, number: int) -> Thread:
    async with svc.uow() as uow:
        workspace, member = await load_actor(uow, actor, Action.READ)
        post = await find_post(uow, actor.workspace_id, number)
        comments = await uow.comments.of_post(post.id)
        members = {m.id: m for m in await uow.members.list(actor.workspace_id)}
    return Thread(post, comments, members, member.zone(workspace))


async def _find(uow: UnitOfWork, workspace_id: int, number: int) -> Comment:
    """A comment of this workspace by its number; other workspaces' do not exist."""
    comment = await uow.comments.by_number(workspace_id, number)
    if comment is None:
        raise NotFound(f"There is no comment {number} here; `comments <post>` lists them.")
    return comment


async def _known_mentions(uow: UnitOfWork, workspace_id: int, body: str) -> str:
    """Markers for members of this workspace stay; any other is shown as plain text."""
    known = {m.id for m in await uow.members.list(workspace_id) if m.active}
    missing = [m for m in mentioned_ids(body) if m not in known]
    if not missing:
        return body
    return render_mentions(body, lambda m: f"<@m:{m}>" if m in known else "@someone")


async def _record(
    uow: UnitOfWork,
    svc: Services,
    actor: Actor,
    post: Post,
    comment: Comment,
    mentioned: list[int],
    thread_author: int | None,
    *,
    edit: bool = False,
) -> None:
    await uow.events.add(
        DomainEvent(
            EventKind.COMMENT_ADDED,
            actor.workspace_id,
            svc.clock.now(),
            post_id=post.id,
            payload={
                **post.snapshot(),
                "actor_id": actor.member_id,
                "comment_number": comment.number,
                "comment": comment.body[:500],
                "mentioned": mentioned,
                "thread_author_id": thread_author,
                "review_state": post.review_state.value,
                "edit": edit,
            },
        )
    )
