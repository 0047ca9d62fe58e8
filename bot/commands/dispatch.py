"""One dispatcher for every surface: typed request → core use case → neutral reply.

Handlers are registered by request type with ``@handles``; a surface never calls a
use case itself. Domain errors become one readable sentence; anything unexpected is
logged with an id and the member sees a calm message, never a traceback.
"""

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from bot.commands import inbox_views, views
from bot.commands import requests as rq
from bot.commands.connect import Connect
from bot.commands.errors import ParseError
from bot.commands.help import help_text
from bot.commands.media import MediaIntake, links_only
from bot.commands.mentions import AT_NAME, at_name
from bot.commands.notify_settings import read_change
from core.errors import DomainError
from core.messages import Button, Field, Reply, Tone, error
from core.posts import Post
from core.states import ReviewState
from core.timeparse import show_time
from core.usecases import (
    email_address,
    labels,
    members,
    notifications,
    plan,
    posts,
    queries,
    reviews,
    role_grants,
)
from core.usecases.context import Actor, Services
from core.usecases.identities import ChatProfile
from core.usecases.media import store_media
from core.usecases.posts import NewPost
from core.workspace import Member

log = logging.getLogger(__name__)


async def _by_name(user: str) -> ChatProfile | None:
    name = user.strip().lstrip("@")
    return ChatProfile("", name) if name else None


@dataclass(frozen=True)
class Context:
    services: Services
    actor: Actor
    # How a surface reads a person as typed (`@alice`, `<@U123|alice>`): who they are,
    # by the name they have here if they are a member. Never creates anyone.
    person: Callable[[str], Awaitable[ChatProfile | None]] = _by_name
    # A surface under load may share recent unread counts between replies (the footer is
    # a hint; `inbox` always reads fresh). None: read it for every reply.
    unread_cache: "UnreadCache | None" = None
    # What ``with`` may name: links on chat surfaces (the default), files too on the console.
    media: MediaIntake = field(default_factory=links_only)
    # Where connect links point, and what typed instance addresses may reach.
    connect: Connect = field(default_factory=Connect)
    # How the surface writes a person in text, and how it shows a member back.
    mention_pattern: re.Pattern[str] = AT_NAME
    show_member: Callable[[Member], str] = at_name
    # How a surface reads a chat role as typed (Discord's `<@&123>`): its id and name, or
    # None for text that is no role. None: the surface has no roles to grant to.
    chat_role: Callable[[str], Awaitable[tuple[str, str] | None]] | None = None


class UnreadCache:
    """Unread counts per member, reused for a few seconds."""

    def __init__(self, ttl: float = 10.0) -> None:
        self._ttl = ttl
        self._counts: dict[int, tuple[float, int]] = {}

    def get(self, member_id: int) -> int | None:
        found = self._counts.get(member_id)
        return found[1] if found and found[0] > time.monotonic() else None

    def put(self, member_id: int, count: int) -> None:
        self._counts[member_id] = (time.monotonic() + self._ttl, count)

    def forget(self, member_id: int) -> None:
        self._counts.pop(member_id, None)


R = TypeVar("R")
Handler = Callable[[Any, Context], Awaitable[Reply]]
HANDLERS: dict[type, Handler] = {}


def handles(kind: type[R]) -> Callable[[Callable[[R, Context], Awaitable[Reply]]], Handler]:
    def register(fn: Callable[[R, Context], Awaitable[Reply]]) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


async def dispatch(request: rq.Request, ctx: Context) -> Reply:
    handler = HANDLERS.get(type(request))
    if handler is None:
        return Reply(
            text=f"`{type(request).__name__.lower()}` is not available on this bot yet.",
            tone=Tone.WARNING,
        )
    if ctx.unread_cache and isinstance(request, rq.Inbox | rq.Read | rq.Archive):
        ctx.unread_cache.forget(ctx.actor.member_id)
    try:
        reply = await handler(request, ctx)
        return await _with_unread(reply, ctx)
    except DomainError as refused:
        return error(refused.message)
    except Exception:
        ref = uuid.uuid4().hex[:8]
        log.exception("command failed", extra={"ref": ref, "request": type(request).__name__})
        return error(f"Something went wrong on my side (ref {ref}); please try again.")


async def _with_unread(reply: Reply, ctx: Context) -> Reply:
    """Every reply carries the member's unread count, so nothing waits unseen."""
    if reply.footer is not None:
        return reply
    cache = ctx.unread_cache
    unread = cache.get(ctx.actor.member_id) if cache else None
    if unread is None:
        unread = await notifications.unread_count(ctx.services, ctx.actor)
        if cache:
            cache.put(ctx.actor.member_id, unread)
    return replace(reply, footer=f"📬 {unread} unread — `inbox`") if unread else reply


async def post_reply(ctx: Context, number: int, headline: str | None) -> Reply:
    """The post as it stands; with no headline, the headline is its outcome."""
    return views.post_details(
        await queries.show_post(ctx.services, ctx.actor, number),
        headline=headline,
        show_member=ctx.show_member,
    )


@handles(rq.Help)
async def _help(req: rq.Help, ctx: Context) -> Reply:
    return Reply(block=help_text(req.topic))


@handles(rq.Schedule)
async def _schedule(req: rq.Schedule, ctx: Context) -> Reply:
    if req.text is None:
        return Reply(text='Give the post and its time: `schedule "text" at tomorrow 9am`.')
    post = await posts.schedule_post(
        ctx.services,
        ctx.actor,
        NewPost(
            req.text, req.accounts, req.labels, await _kept(ctx, req.media, req.alts), req.when
        ),
    )
    return await post_reply(ctx, post.number, _scheduled_or_in_review(post, "Scheduled post"))


async def _kept(
    ctx: Context, sources: tuple[str, ...], alts: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """Check what follows ``with``, then keep its bytes in the media store (when the bot
    has one), so the post publishes what was seen at schedule time."""
    checked = await ctx.media(sources)
    if ctx.services.media_files is None:
        return checked
    described = [*alts, *[""] * (len(checked) - len(alts))]
    return tuple(
        [
            await store_media(ctx.services, ctx.actor, source, await ctx.media.read(source), alt)
            for source, alt in zip(checked, described, strict=True)
        ]
    )


@handles(rq.Now)
async def _now(req: rq.Now, ctx: Context) -> Reply:
    post = await posts.publish_now(ctx.services, ctx.actor, NewPost(req.text, req.accounts))
    return await post_reply(ctx, post.number, None)


@handles(rq.Draft)
async def _draft(req: rq.Draft, ctx: Context) -> Reply:
    post = await posts.create_draft(
        ctx.services, ctx.actor, NewPost(req.text, req.accounts, req.labels)
    )
    return await post_reply(ctx, post.number, f"Draft {post.number} saved")


@handles(rq.ListPosts)
async def _list(req: rq.ListPosts, ctx: Context) -> Reply:
    listing = await queries.list_posts(
        ctx.services, ctx.actor, req.scope, req.label, req.start, req.end
    )
    return views.post_list(listing, req.scope)


@handles(rq.Calendar)
async def _calendar(req: rq.Calendar, ctx: Context) -> Reply:
    return views.calendar_reply(await queries.calendar(ctx.services, ctx.actor, req.view, req.date))


@handles(rq.Show)
async def _show(req: rq.Show, ctx: Context) -> Reply:
    return await post_reply(ctx, req.post, f"Post {req.post}")


@handles(rq.Edit)
async def _edit(req: rq.Edit, ctx: Context) -> Reply:
    await posts.edit_post(ctx.services, ctx.actor, req.post, req.text)
    return await post_reply(ctx, req.post, f"Post {req.post} edited")


@handles(rq.Reschedule)
async def _reschedule(req: rq.Reschedule, ctx: Context) -> Reply:
    post = await posts.reschedule_post(ctx.services, ctx.actor, req.post, req.when)
    return await post_reply(ctx, req.post, _scheduled_or_in_review(post, "Rescheduled post"))


def _scheduled_or_in_review(post: Post, done: str) -> str:
    if post.review_state is ReviewState.PENDING_REVIEW:
        return f"📝 Post {post.number} waits for review; it goes out at its time once approved"
    return f"{done} {post.number}"


@handles(rq.Unschedule)
async def _unschedule(req: rq.Unschedule, ctx: Context) -> Reply:
    await posts.unschedule_post(ctx.services, ctx.actor, req.post)
    return await post_reply(ctx, req.post, f"Post {req.post} is a draft again")


@handles(rq.Duplicate)
async def _duplicate(req: rq.Duplicate, ctx: Context) -> Reply:
    copy = await posts.duplicate_post(ctx.services, ctx.actor, req.post)
    return await post_reply(ctx, copy.number, f"Post {req.post} copied to draft {copy.number}")


@handles(rq.Delete)
async def _delete(req: rq.Delete, ctx: Context) -> Reply:
    n = req.post
    if not req.confirmed:
        shown = await queries.show_post(ctx.services, ctx.actor, n)
        return Reply(
            title=f"Delete post {n}?",
            text=(
                f"“{views.excerpt(shown.post.text)}” will be removed from trypost. "
                "Anything already published stays on the platforms."
            ),
            tone=Tone.WARNING,
            buttons=(Button("Delete", "delete", f"{n} confirm", danger=True),),
        )
    await posts.delete_post(ctx.services, ctx.actor, n)
    return Reply(
        text=f"Post {n} deleted from trypost. Copies already on the platforms were not touched.",
        tone=Tone.SUCCESS,
    )


@handles(rq.Retry)
async def _retry(req: rq.Retry, ctx: Context) -> Reply:
    await posts.retry_post(ctx.services, ctx.actor, req.post)
    return await post_reply(ctx, req.post, None)


@handles(rq.Labels)
async def _labels(req: rq.Labels, ctx: Context) -> Reply:
    if req.action == "add" and req.name:
        label = await labels.add_label(ctx.services, ctx.actor, req.name)
        return Reply(text=f"Label #{label.name} added.", tone=Tone.SUCCESS)
    if req.action == "remove" and req.name:
        label = await labels.remove_label(ctx.services, ctx.actor, req.name)
        return Reply(text=f"Label #{label.name} removed from the workspace and its posts.")
    return views.labels_reply(await labels.list_labels(ctx.services, ctx.actor))


@handles(rq.LabelPost)
async def _label_post(req: rq.LabelPost, ctx: Context) -> Reply:
    await labels.label_post(ctx.services, ctx.actor, req.post, req.labels)
    return await post_reply(ctx, req.post, f"Post {req.post} labelled")


@handles(rq.UnlabelPost)
async def _unlabel_post(req: rq.UnlabelPost, ctx: Context) -> Reply:
    await labels.unlabel_post(ctx.services, ctx.actor, req.post, req.label)
    return await post_reply(ctx, req.post, f"Label removed from post {req.post}")


@handles(rq.Settings)
async def _settings(req: rq.Settings, ctx: Context) -> Reply:
    if req.timezone is not None:
        member = await members.set_my_timezone(ctx.services, ctx.actor, req.timezone)
        now = show_time(ctx.services.clock.now(), req.timezone)
        return Reply(
            text=f"Your time zone is now {member.timezone}; it is {now}.", tone=Tone.SUCCESS
        )
    if req.email is not None:
        return await _email_setting(req.email, ctx)
    if req.notifications is not None:
        return await _notification_settings(req.notifications, ctx)
    if req.limit is not None:
        cap = None if req.limit == "off" else req.limit
        await plan.set_monthly_cap(ctx.services, ctx.actor, cap)
        said = f"at most {cap} posts a month" if cap else "no monthly limit"
        return Reply(text=f"This workspace now has {said}.", tone=Tone.SUCCESS)
    if req.approvals is not None:
        await reviews.set_approvals(ctx.services, ctx.actor, req.approvals)
        if req.approvals:
            said = "Approvals are on: editors' posts go out once an approver approves them."
        else:
            said = "Approvals are off: editors' posts go out at their time."
        return Reply(text=said, tone=Tone.SUCCESS)
    me = await members.whoami(ctx.services, ctx.actor)
    address = await email_address.email_state(ctx.services, ctx.actor)
    return Reply(
        title="Settings",
        fields=(
            Field("You", f"{me.member.name} ({me.member.role.value})"),
            Field("Time zone", me.member.zone(me.workspace)),
            Field("Email", _address_shown(address)),
            Field("Workspace", me.workspace.name),
            Field(
                "Monthly limit",
                f"{me.workspace.monthly_post_cap} posts"
                if me.workspace.monthly_post_cap
                else "none",
            ),
        ),
    )


async def _email_setting(address: str, ctx: Context) -> Reply:
    if address == "off":
        removed = await email_address.remove_email(ctx.services, ctx.actor)
        said = f"I removed {removed}" if removed else "You had no email address"
        return Reply(
            text=f"{said}: notices reach you in chat and in your inbox only.", tone=Tone.SUCCESS
        )
    change = await email_address.request_email_change(ctx.services, ctx.actor, address)
    if change.unchanged:
        return Reply(text=f"{change.address} is your email address already.", tone=Tone.SUCCESS)
    until = show_time(change.expires_at, change.timezone)
    meanwhile = (
        f"Until then email keeps going to {change.current}."
        if change.current
        else "Until then no email is sent to you."
    )
    return Reply(
        text=f"I sent a confirmation link to {change.address}; open it and press Confirm "
        f"before {until} to use that address. {meanwhile}",
        tone=Tone.SUCCESS,
    )


def _address_shown(state: email_address.EmailState) -> str:
    current = state.current or "none"
    if state.pending is None or state.pending_until is None:
        return current
    until = show_time(state.pending_until, state.timezone)
    return f"{current} ({state.pending} waits for its confirmation link, until {until})"


async def _notification_settings(words: tuple[str, ...], ctx: Context) -> Reply:
    try:
        change = read_change(words)
    except ParseError as unreadable:
        return error(unreadable.message)
    if change is None:
        prefs = await notifications.preferences(ctx.services, ctx.actor)
    else:
        prefs = await notifications.change_preferences(ctx.services, ctx.actor, change)
    # The digest hour is the member's own; the address says whether email can go at all.
    me = await members.whoami(ctx.services, ctx.actor)
    return inbox_views.preferences_reply(prefs, me.member.zone(me.workspace), me.member.email)


@handles(rq.Inbox)
async def _inbox(req: rq.Inbox, ctx: Context) -> Reply:
    box = await notifications.inbox(ctx.services, ctx.actor, req.status, req.category, req.since)
    return inbox_views.inbox_reply(box, req.status)


@handles(rq.Read)
async def _read(req: rq.Read, ctx: Context) -> Reply:
    """Reading one notice opens what it is about: the post, with its buttons."""
    if req.target == "all":
        changed = await notifications.mark_read(ctx.services, ctx.actor, "all")
        return Reply(text=f"Marked {changed} notification(s) read.", tone=Tone.SUCCESS)
    await notifications.mark_read(ctx.services, ctx.actor, req.target)
    notice = await notifications.notification(ctx.services, ctx.actor, req.target)
    me = await members.whoami(ctx.services, ctx.actor)
    post = None
    number = notice.payload.get("post_number")
    if number is not None:
        try:
            post = await post_reply(ctx, int(number), "")
        except DomainError:
            post = None  # the post was deleted since; the notice still reads
    return inbox_views.opened(notice, me.member.zone(me.workspace), post)


@handles(rq.Archive)
async def _archive(req: rq.Archive, ctx: Context) -> Reply:
    changed = await notifications.archive(ctx.services, ctx.actor, req.target)
    return Reply(text=f"Archived {changed} notification(s).", tone=Tone.SUCCESS)


@handles(rq.Members)
async def _members(req: rq.Members, ctx: Context) -> Reply:
    svc, actor = ctx.services, ctx.actor
    if req.action == "accept":
        me = await members.accept_invitation(svc, actor)
        return Reply(
            text=f"Welcome! You are {me.role.value} here; `help` shows what you can do.",
            tone=Tone.SUCCESS,
        )
    if req.action == "decline":
        await members.decline_invitation(svc, actor)
        return Reply(text="Invitation declined; whoever sent it will know.")
    if req.action == "list" or req.user is None:
        people = await members.list_members(svc, actor)
        grants = await role_grants.list_chat_role_grants(svc, actor)
        return Reply(
            title=f"Members: {len(people)}",
            items=tuple(
                f"@{m.name} · {m.role_text}" + ("" if m.active else " (invited)") for m in people
            )
            + tuple(f"@{g.label} → {g.role.value} (Discord role)" for g in grants),
        )
    chat_role = await ctx.chat_role(req.user) if ctx.chat_role else None
    if chat_role is not None:
        return await _chat_role_grant(req, chat_role, ctx)
    if _CHAT_ROLE.match(req.user):
        if ctx.chat_role is None:
            return error("Discord roles can be granted only from Discord.")
        return error(f"{req.user} is no role of this server; pick it from Discord's @ list.")
    person = await ctx.person(req.user)
    if person is None:
        return error(f"I can't find {req.user} here.")
    if req.action == "remove":
        gone = await members.remove_member(svc, actor, person)
        return Reply(text=f"@{gone.name} is no longer a member.", tone=Tone.SUCCESS)
    if req.action == "invite":
        invited = await members.invite_member(svc, actor, person, req.role or "viewer")
        return Reply(
            text=f"Invited @{invited.name} as {invited.role.value}; they join once they accept.",
            tone=Tone.SUCCESS,
        )
    member = await members.set_role(svc, actor, person, req.role or "viewer")
    return Reply(text=f"@{member.name} is now {member.role.value}.", tone=Tone.SUCCESS)


# A chat role as typed where no surface reads it: `@&Moderators`, `<@&123>`.
_CHAT_ROLE = re.compile(r"\s*<?@&")


async def _chat_role_grant(req: rq.Members, chat_role: tuple[str, str], ctx: Context) -> Reply:
    """``members role @&Role <role>`` grants, ``members remove @&Role`` revokes."""
    role_id, name = chat_role
    if req.action == "remove":
        gone = await role_grants.revoke_chat_role(ctx.services, ctx.actor, role_id)
        return Reply(
            text=f"@{gone.label} no longer gives {gone.role.value}; its members keep their "
            "own roles.",
            tone=Tone.SUCCESS,
        )
    if req.action != "role":
        return error(
            f"Invite people one at a time; to give everyone with @{name} a role, "
            f"`members role @&{name} {req.role or 'editor'}`."
        )
    grant = await role_grants.grant_chat_role(
        ctx.services, ctx.actor, role_id, name, req.role or "viewer"
    )
    return Reply(
        text=f"Everyone with @{grant.label} is {grant.role.value} here too, besides their "
        "own role.",
        tone=Tone.SUCCESS,
    )


# Registered last: those handlers import this module for ``handles`` and ``Context``.
from bot.commands import account_commands, collaboration  # noqa: E402, F401
