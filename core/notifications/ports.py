"""Ports of the notifications side: its repositories, the chat gateways, the mailer."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from core.messages import Reply
from core.notifications.model import Delivery, Notification, Preferences, Presence
from core.notifications.types import Category
from core.workspace import Member

InboxStatus = Literal["unread", "read", "archived"]


@dataclass(frozen=True)
class InboxFilter:
    """``status`` None means everything not archived."""

    status: InboxStatus | None = None
    category: Category | None = None
    since: datetime | None = None
    limit: int = 50


class NotificationRepository(Protocol):
    async def add(self, notification: Notification) -> Notification:
        """Insert; ids filled in. (event_id, type, recipient) is unique: adding a
        duplicate returns the stored one unchanged, so replays never notify twice."""
        ...

    async def get(self, notification_id: int) -> Notification | None: ...
    async def update(self, notification: Notification) -> None: ...
    async def inbox(self, recipient_id: int, query: InboxFilter) -> list[Notification]:
        """Newest first."""
        ...

    async def unread_count(self, recipient_id: int) -> int:
        """Unread and not archived."""
        ...

    async def mark_all_read(self, recipient_id: int, at: datetime) -> int: ...
    async def archive_all(self, recipient_id: int, at: datetime) -> int: ...


class DeliveryRepository(Protocol):
    async def add(self, delivery: Delivery) -> Delivery: ...

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Delivery]:
        """Take deliveries to send now: pending, not waiting for a digest, with
        ``next_attempt_at <= now`` — or sending with a lease that ended before ``now``
        (a crashed dispatcher). They become sending with the new lease and a bumped
        version. Safe with several dispatchers (``SKIP LOCKED`` on PostgreSQL)."""
        ...

    async def compare_and_set(self, delivery: Delivery) -> bool:
        """Write if the stored version equals ``delivery.version``; bump it on success."""
        ...

    async def waiting_for_digest(self, recipient_id: int) -> list[Delivery]:
        """Pending digest deliveries of one member, oldest first."""
        ...

    async def digest_recipients(self) -> list[int]:
        """Members with at least one pending digest delivery."""
        ...

    async def of_notification(self, notification_id: int) -> list[Delivery]: ...


class PreferenceRepository(Protocol):
    async def get(self, member_id: int) -> Preferences:
        """The member's preferences; the defaults when none were saved."""
        ...

    async def save(self, preferences: Preferences) -> None: ...


class DeliveryFailed(Exception):
    """A channel refused a message. Transient ones are retried with backoff."""

    def __init__(
        self, reason: str, *, transient: bool = True, retry_after: float | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.retry_after = retry_after


class ChatGateway(Protocol):
    """One chat surface's way to reach a member: DMs and presence."""

    def reaches(self, member: Member) -> bool: ...
    async def presence(self, member: Member) -> Presence: ...
    async def send_dm(self, member: Member, message: Reply, key: str) -> None:
        """Send; raise DeliveryFailed. ``key`` is stable across retries of one DM."""
        ...


@dataclass(frozen=True)
class EmailNotice:
    """One email: a single notice, or a member's daily digest of several."""

    key: str
    to: str
    recipient_name: str
    recipient_id: int
    workspace_id: int
    subject: str
    items: Sequence[Reply]
    categories: Sequence[Category]
    digest: bool = False


@dataclass(frozen=True)
class AddressConfirmation:
    """The email that proves a member reads a new address: it goes to that address
    (not to the one on file) with a signed link the adapter makes from these ids."""

    key: str
    to: str
    recipient_name: str
    recipient_id: int
    workspace_id: int
    # The request's inbox notification: the link names it, so it is used once.
    request_id: int
    expires_at: datetime
    timezone: str


class Mailer(Protocol):
    async def send(self, email: EmailNotice) -> None:
        """Send; raise DeliveryFailed (transient when the server is down or busy)."""
        ...

    async def send_confirmation(self, email: AddressConfirmation) -> None:
        """Send the confirmation link; raise DeliveryFailed as ``send`` does."""
        ...
