"""From a domain event to the notices it causes: who is told, and of what."""

from dataclasses import dataclass, field
from typing import Any

from core.events import DomainEvent, EventKind
from core.notifications.review_recipients import COLLABORATION_EVENTS, collaboration_notices
from core.notifications.types import NoticeType
from core.ports import UnitOfWork
from core.roles import Role


@dataclass(frozen=True)
class Notice:
    recipient_id: int
    type: NoticeType
    payload: dict[str, Any] = field(default_factory=dict)
    post_id: int | None = None
    account_id: int | None = None


async def notices_for(uow: UnitOfWork, event: DomainEvent) -> list[Notice]:
    """Publishing notices go to the workspace owners and to the post's author; the
    member who caused an event is not told of their own action."""
    members = await uow.members.list(event.workspace_id)
    # A role a Discord role grants counts like one's own.
    owners = [m.id for m in members if m.is_any(Role.OWNER) and m.active]
    admins = [m.id for m in members if m.is_any(Role.OWNER, Role.ADMIN) and m.active]
    actor = event.payload.get("actor_id")
    kind = event.kind
    if kind in COLLABORATION_EVENTS:
        post = await uow.posts.get(event.post_id) if event.post_id else None
        if post is not None and post.workspace_id != event.workspace_id:
            return []
        return [
            Notice(who, notice, payload, post_id=event.post_id)
            for who, notice, payload in await collaboration_notices(uow, event, members)
        ]
    if kind in _POST_NOTICES:
        # Were a post id ever reused, the id could name another workspace's post: then
        # nobody is told, least of all with another team's text. A post deleted since
        # is described by the event's own snapshot.
        post = await uow.posts.get(event.post_id) if event.post_id else None
        if post is not None and post.workspace_id != event.workspace_id:
            return []
        payload = dict(event.payload)
        if "post_number" not in payload:
            # Recorded before events carried a snapshot: describe the post as it is now.
            if post is None:
                return []
            payload.update(post.snapshot())
        notice = _POST_NOTICES[kind]
        if kind is EventKind.POST_FINISHED and payload.get("status") == "published":
            notice = NoticeType.POST_PUBLISHED
        names = {a.id: a.name for a in await uow.accounts.list(event.workspace_id)}
        payload["entries"] = [
            {**e, "account": names.get(e.get("account_id", 0), "removed account")}
            for e in payload.get("entries", [])
        ]
        author = int(payload.get("author_id", 0))
        return [
            Notice(who, notice, payload, post_id=event.post_id)
            for who in _unique([*owners, *([author] if author else [])])
            if who != actor
        ]
    if kind in _ACCOUNT_NOTICES and event.account_id:
        account = await uow.accounts.get(event.account_id)
        if account is not None and account.workspace_id != event.workspace_id:
            return []
        owner = account.owner_member_id if account else None
        recipients = _unique([*owners, *([owner] if owner else [])])
        return [
            Notice(who, _ACCOUNT_NOTICES[kind], event.payload, account_id=event.account_id)
            for who in recipients
        ]
    if kind is EventKind.PLAN_LIMIT:
        return [Notice(who, NoticeType.PLAN_LIMITS, event.payload) for who in owners]
    if kind is EventKind.STORAGE_LIMIT:
        return [Notice(who, NoticeType.STORAGE_LIMIT, event.payload) for who in owners]
    if kind is EventKind.MEMBER_JOINED:
        joined = event.payload.get("member_id")
        return [
            Notice(who, NoticeType.MEMBER_JOINED, event.payload)
            for who in admins
            if who not in (joined, actor)
        ]
    if kind is EventKind.MEMBER_REMOVED:
        return [
            Notice(who, NoticeType.MEMBER_REMOVED, event.payload) for who in admins if who != actor
        ]
    if kind is EventKind.EMAIL_CHANGE_REQUESTED and event.payload.get("member_id"):
        # The member themself: the notice carries the new address its email goes to.
        who = int(event.payload["member_id"])
        return [Notice(who, NoticeType.EMAIL_CONFIRMATION, event.payload)]
    if kind is EventKind.INVITE_RECEIVED and event.payload.get("member_id"):
        return [Notice(int(event.payload["member_id"]), NoticeType.INVITE_RECEIVED, event.payload)]
    changed = event.payload.get("member_id")
    if kind is EventKind.ROLE_CHANGED and changed and changed != actor:
        return [Notice(int(changed), NoticeType.ROLE_CHANGED, event.payload)]
    return []


_ACCOUNT_NOTICES = {
    EventKind.ACCOUNT_DISCONNECTED: NoticeType.ACCOUNT_DISCONNECTED,
    EventKind.TOKEN_EXPIRING: NoticeType.TOKEN_EXPIRING,
}
_POST_NOTICES = {
    EventKind.POST_FINISHED: NoticeType.POST_FAILED,
    EventKind.POST_MISSED: NoticeType.POST_FAILED,
    EventKind.POST_SCHEDULED: NoticeType.POST_SCHEDULED,
    EventKind.POST_RETRIED: NoticeType.POST_RETRY,
}


def _unique(ids: list[int]) -> list[int]:
    return list(dict.fromkeys(ids))
