"""Notification types, their categories and their email defaults (DESIGN §3)."""

from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    PUBLISHING = "publishing"
    AI = "ai"
    SYSTEM = "system"
    APPROVAL = "approval"
    COMMENTS = "comments"
    TEAM = "team"


class EmailDefault(StrEnum):
    ON = "on"
    OFF = "off"
    # Never by email, whatever the member chooses (chat-only notices).
    NEVER = "never"
    # Email only when the member is away; when present, the DM is enough.
    PRESENCE = "presence"
    # Always by email and only by email, to the address the notice names, whatever the
    # preferences: a message the member asked for (an address confirmation), not news.
    ALWAYS = "always"


class NoticeType(StrEnum):
    POST_PUBLISHED = "post_published"
    POST_FAILED = "post_failed"
    POST_SCHEDULED = "post_scheduled"
    POST_RETRY = "post_retry"
    POST_READY = "post_ready"
    ACCOUNT_DISCONNECTED = "account_disconnected"
    TOKEN_EXPIRING = "token_expiring"
    STORAGE_LIMIT = "storage_limit"
    PLAN_LIMITS = "plan_limits"
    APPROVAL_REQUESTED = "approval_requested"
    POST_APPROVED = "post_approved"
    CHANGES_REQUESTED = "changes_requested"
    APPROVAL_FEEDBACK = "approval_feedback"
    MENTIONED_IN_COMMENT = "mentioned_in_comment"
    COMMENT_ON_YOUR_POST = "comment_on_your_post"
    COMMENT_REPLY = "comment_reply"
    INVITE_RECEIVED = "invite_received"
    MEMBER_JOINED = "member_joined"
    MEMBER_REMOVED = "member_removed"
    ROLE_CHANGED = "role_changed"
    INVITE_DECLINED = "invite_declined"
    REVIEW_OVERDUE = "review_overdue"
    POST_CREATED = "post_created"
    EMAIL_CONFIRMATION = "email_confirmation"


@dataclass(frozen=True)
class TypeSpec:
    type: NoticeType
    category: Category
    email: EmailDefault
    # Opt-in types are off on every channel until the member turns them on.
    opt_in: bool = False


def _specs(category: Category, email: EmailDefault, *types: NoticeType) -> list[TypeSpec]:
    return [TypeSpec(t, category, email) for t in types]


N, C, E = NoticeType, Category, EmailDefault
TYPES: dict[NoticeType, TypeSpec] = {
    spec.type: spec
    for spec in [
        *_specs(C.PUBLISHING, E.ON, N.POST_PUBLISHED, N.POST_FAILED),
        *_specs(C.PUBLISHING, E.OFF, N.POST_SCHEDULED, N.POST_RETRY),
        *_specs(C.AI, E.NEVER, N.POST_READY),
        *_specs(C.SYSTEM, E.ON, N.ACCOUNT_DISCONNECTED, N.TOKEN_EXPIRING),
        *_specs(C.SYSTEM, E.ON, N.STORAGE_LIMIT, N.PLAN_LIMITS),
        # The link that confirms a new address (`settings email …`): not a choice.
        TypeSpec(N.EMAIL_CONFIRMATION, C.SYSTEM, E.ALWAYS),
        *_specs(
            C.APPROVAL,
            E.ON,
            N.APPROVAL_REQUESTED,
            N.POST_APPROVED,
            N.CHANGES_REQUESTED,
            N.APPROVAL_FEEDBACK,
            N.REVIEW_OVERDUE,
        ),
        # For approvers who want to see every new post (Picmim's "post created").
        TypeSpec(N.POST_CREATED, C.APPROVAL, E.OFF, opt_in=True),
        *_specs(
            C.COMMENTS,
            E.PRESENCE,
            N.MENTIONED_IN_COMMENT,
            N.COMMENT_ON_YOUR_POST,
            N.COMMENT_REPLY,
        ),
        *_specs(
            C.TEAM,
            E.ON,
            N.INVITE_RECEIVED,
            N.MEMBER_JOINED,
            N.MEMBER_REMOVED,
            N.ROLE_CHANGED,
            N.INVITE_DECLINED,
        ),
    ]
}


def types_named(word: str) -> list[NoticeType]:
    """A notice type, or every type of a category, by the name a member types; types
    that are no one's choice (``ALWAYS``) are not named."""
    key = word.strip().lower().replace("-", "_")
    if key in {t.value for t in chosen_types()}:
        return [NoticeType(key)]
    if key in {c.value for c in Category}:
        return [t for t in chosen_types() if TYPES[t].category is Category(key)]
    return []


def chosen_types() -> list[NoticeType]:
    """The types a member's preferences apply to (all but the ``ALWAYS`` ones)."""
    return [t for t, spec in TYPES.items() if spec.email is not EmailDefault.ALWAYS]
