"""Domain events: facts the core records for notifications to act on later.

Events are written in the same transaction as the change they describe (an outbox),
so a crash can never keep the change and lose the event.
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    POST_FINISHED = "post_finished"
    POST_MISSED = "post_missed"
    POST_SCHEDULED = "post_scheduled"
    POST_RETRIED = "post_retried"
    ENTRY_FAILED = "entry_failed"
    ACCOUNT_DISCONNECTED = "account_disconnected"
    # An account's token ends soon and cannot be renewed without its owner.
    TOKEN_EXPIRING = "token_expiring"
    PLAN_LIMIT = "plan_limit"
    # The workspace's media store passed 80 % or 95 % of its quota.
    STORAGE_LIMIT = "storage_limit"
    MEMBER_JOINED = "member_joined"
    MEMBER_REMOVED = "member_removed"
    INVITE_RECEIVED = "invite_received"
    ROLE_CHANGED = "role_changed"
    # A trypost role given to (or taken from) everyone holding a Discord role.
    CHAT_ROLE_GRANTED = "chat_role_granted"
    CHAT_ROLE_REVOKED = "chat_role_revoked"
    INVITE_DECLINED = "invite_declined"
    POST_CREATED = "post_created"
    COMMENT_ADDED = "comment_added"
    REVIEW_REQUESTED = "review_requested"
    POST_APPROVED = "post_approved"
    CHANGES_REQUESTED = "changes_requested"
    REVIEW_OVERDUE = "review_overdue"
    # A member asked to use a new email address: a confirmation link goes to it.
    EMAIL_CHANGE_REQUESTED = "email_change_requested"


@dataclass
class DomainEvent:
    kind: EventKind
    workspace_id: int
    occurred_at: datetime
    post_id: int | None = None
    entry_id: int | None = None
    account_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    id: int = 0
