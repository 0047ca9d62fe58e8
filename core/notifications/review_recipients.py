"""Who hears of comments, reviews and invitations, and of what (DESIGN §3).

One person gets one notice per comment, the most specific that fits: a mention, then a
reply to their comment, then feedback on a post in review, then a comment on their
post. Nobody is told of their own words or decisions, and only active members of the
event's workspace are told anything.
"""

from typing import Any

from core.comments import as_names
from core.events import DomainEvent, EventKind
from core.notifications.types import NoticeType
from core.ports import UnitOfWork
from core.roles import Action, Role, may_any
from core.states import ReviewState
from core.workspace import Member

N = NoticeType
_AUTHOR_HEARS = {
    EventKind.POST_APPROVED: N.POST_APPROVED,
    EventKind.CHANGES_REQUESTED: N.CHANGES_REQUESTED,
}
COLLABORATION_EVENTS = frozenset(
    {
        EventKind.COMMENT_ADDED,
        EventKind.REVIEW_REQUESTED,
        EventKind.POST_APPROVED,
        EventKind.CHANGES_REQUESTED,
        EventKind.REVIEW_OVERDUE,
        EventKind.POST_CREATED,
        EventKind.INVITE_DECLINED,
    }
)


async def collaboration_notices(
    uow: UnitOfWork, event: DomainEvent, members: list[Member]
) -> list[tuple[int, NoticeType, dict[str, Any]]]:
    """(recipient, type, payload) for an event of ``COLLABORATION_EVENTS``."""
    active = {m.id: m for m in members if m.active}
    names = {m.id: m.name for m in members}
    actor = event.payload.get("actor_id")
    payload = {**event.payload, "by": names.get(int(actor or 0), "someone")}
    # Their own role or a Discord role's grant: whoever may review hears of reviews.
    reviewers = [m.id for m in active.values() if may_any(m.roles, Action.REVIEW)]
    author = int(payload.get("author_id") or 0)
    chosen: dict[int, NoticeType] = {}

    def tell(who: int | None, notice: NoticeType) -> None:
        if who and who != actor and who in active and who not in chosen:
            chosen[who] = notice

    kind = event.kind
    if kind is EventKind.COMMENT_ADDED:
        payload["comment"] = as_names(str(payload.get("comment") or ""), names)
        in_review = payload.get("review_state") == ReviewState.PENDING_REVIEW.value
        for who in payload.get("mentioned") or []:
            tell(int(who), N.MENTIONED_IN_COMMENT)
        if not payload.get("edit"):
            tell(payload.get("thread_author_id"), N.COMMENT_REPLY)
            tell(author, N.APPROVAL_FEEDBACK if in_review else N.COMMENT_ON_YOUR_POST)
            if in_review and actor == author:
                for who in reviewers:
                    tell(who, N.APPROVAL_FEEDBACK)
    elif kind is EventKind.REVIEW_REQUESTED:
        for who in reviewers:
            if who != author or active[who].is_any(Role.OWNER, Role.ADMIN):
                tell(who, N.APPROVAL_REQUESTED)
    elif kind in _AUTHOR_HEARS:
        tell(author, _AUTHOR_HEARS[kind])
    elif kind is EventKind.REVIEW_OVERDUE:
        for who in [author, *reviewers]:
            tell(who, N.REVIEW_OVERDUE)
    elif kind is EventKind.POST_CREATED:
        for who in reviewers:
            if (await uow.preferences.get(who)).wants_any(N.POST_CREATED):
                tell(who, N.POST_CREATED)
    elif kind is EventKind.INVITE_DECLINED:
        tell(payload.get("inviter_id"), N.INVITE_DECLINED)
    return [(who, notice, payload) for who, notice in chosen.items()]
