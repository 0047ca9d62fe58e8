"""Notifications (the inbox), deliveries (the outbox) and a member's preferences."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from core.notifications.types import TYPES, Category, EmailDefault, NoticeType


class Channel(StrEnum):
    CHAT_DM = "chat_dm"
    EMAIL = "email"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    # A permanent refusal (no such address, user gone): kept, shown, never retried.
    FAILED = "failed"


class Presence(StrEnum):
    PRESENT = "present"
    AWAY = "away"
    UNKNOWN = "unknown"


class EmailMode(StrEnum):
    IMMEDIATE = "immediate"
    DIGEST = "digest"


@dataclass
class Notification:
    workspace_id: int
    recipient_id: int
    type: NoticeType
    created_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    post_id: int | None = None
    account_id: int | None = None
    # The domain event it came from; with the type and recipient it makes the
    # notification unique, so replaying an event never notifies twice.
    event_id: int | None = None
    read_at: datetime | None = None
    archived_at: datetime | None = None
    id: int = 0

    @property
    def category(self) -> Category:
        return TYPES[self.type].category


@dataclass
class Delivery:
    notification_id: int
    channel: Channel
    recipient_id: int
    created_at: datetime
    next_attempt_at: datetime
    status: DeliveryStatus = DeliveryStatus.PENDING
    # Waits for the recipient's daily digest instead of going out on its own.
    digest: bool = False
    attempts: int = 0
    last_error: str | None = None
    lease_until: datetime | None = None
    sent_at: datetime | None = None
    version: int = 0
    id: int = 0

    @property
    def key(self) -> str:
        """Stable across retries: the Message-ID of an email, the dedupe key of a DM."""
        return f"trypost-delivery-{self.id}"


@dataclass
class Preferences:
    """What a member wants; anything not overridden follows DESIGN §3's defaults."""

    member_id: int
    chat: dict[NoticeType, bool] = field(default_factory=dict)
    email: dict[NoticeType, bool] = field(default_factory=dict)
    email_mode: EmailMode = EmailMode.IMMEDIATE
    # Hour of the daily digest in the member's own zone.
    digest_hour: int = 9
    # "Email me only when I'm away", for every type.
    email_only_when_away: bool = False
    last_digest_on: str | None = None

    def wants_chat(self, notice: NoticeType) -> bool:
        return self.chat.get(notice, not TYPES[notice].opt_in)

    def wants_any(self, notice: NoticeType) -> bool:
        """Whether the member hears of this type at all (opt-in types start silent)."""
        return self.wants_chat(notice) or self.wants_email(notice)

    def wants_email(self, notice: NoticeType) -> bool:
        default = TYPES[notice].email
        if default is EmailDefault.NEVER:
            return False
        return self.email.get(notice, default is not EmailDefault.OFF)
