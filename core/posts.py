"""Posts and their per-platform entries."""

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.states import (
    ENTRY_MOVES,
    POST_MOVES,
    REVIEW_MOVES,
    EntryStatus,
    PostStatus,
    ReviewState,
    advance,
)


@dataclass
class PlatformEntry:
    """One post on one social account: published, retried and reported on its own."""

    account_id: int
    platform: str
    content_type: str
    id: int = 0
    post_id: int = 0
    enabled: bool = True
    status: EntryStatus = EntryStatus.PENDING
    platform_url: str | None = None
    external_id: str | None = None
    error_message: str | None = None
    attempts: int = 0
    # Bumped by each retry so a platform's idempotency cache never swallows a new try,
    # while a crash-recovered re-send reuses the key of the interrupted one.
    generation: int = 0
    lease_until: datetime | None = None
    # The process holding the lease: one that is gone gives its entries up at once.
    lease_owner: str | None = None
    published_at: datetime | None = None
    # Set while a pending entry waits out its account's rate limit: not sent before.
    not_before: datetime | None = None
    # Optimistic concurrency: storage writes only if the stored version still matches.
    version: int = 0
    # Random and never reused, unlike a row id: a platform's idempotency cache must not
    # take a new entry for a deleted one that happened to have the same id.
    key: str = field(default_factory=lambda: secrets.token_hex(12))

    def move(self, target: EntryStatus) -> None:
        self.status = advance(ENTRY_MOVES, self.status, target, f"The {self.platform} entry")

    def ready(self, now: datetime) -> bool:
        """Pending and not waiting out a rate limit."""
        return (
            self.enabled
            and self.status is EntryStatus.PENDING
            and (self.not_before is None or self.not_before <= now)
        )

    @property
    def idempotency_key(self) -> str:
        return f"trypost-{self.key}-{self.generation}"


@dataclass
class Post:
    workspace_id: int
    author_id: int
    text: str
    id: int = 0
    number: int = 0
    media: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    status: PostStatus = PostStatus.DRAFT
    review_state: ReviewState = ReviewState.NONE
    scheduled_at: datetime | None = None
    claimed_at: datetime | None = None
    finished_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    entries: list[PlatformEntry] = field(default_factory=list)
    version: int = 0
    # Set once the author and approvers were told the post came due still in review.
    review_overdue_noted: bool = False

    def move(self, target: PostStatus) -> None:
        self.status = advance(POST_MOVES, self.status, target, f"Post {self.number}")

    def move_review(self, target: ReviewState) -> None:
        self.review_state = advance(
            REVIEW_MOVES, self.review_state, target, f"The review of post {self.number}"
        )

    @property
    def enabled_entries(self) -> list[PlatformEntry]:
        return [e for e in self.entries if e.enabled]

    def snapshot(self) -> dict[str, Any]:
        """The post as it is now, for an event: notices describe that moment, not
        whatever the post became before they were sent."""
        return {
            "post_number": self.number,
            "author_id": self.author_id,
            "text": self.text[:200],
            "scheduled_at": self.scheduled_at.isoformat() if self.scheduled_at else None,
            "entries": [
                {
                    "entry_id": e.id,
                    "account_id": e.account_id,
                    "platform": e.platform,
                    "status": e.status.value,
                    "url": e.platform_url,
                    "error": e.error_message,
                }
                for e in self.enabled_entries
            ],
        }

    def outcome(self) -> PostStatus | None:
        """The final status the entries add up to, or None while any is unfinished."""
        entries = self.enabled_entries
        if not entries or not all(e.status.final for e in entries):
            return None if entries else PostStatus.FAILED
        published = sum(e.status is EntryStatus.PUBLISHED for e in entries)
        if published == len(entries):
            return PostStatus.PUBLISHED
        return PostStatus.PARTIALLY_PUBLISHED if published else PostStatus.FAILED
