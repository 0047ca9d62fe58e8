"""Social accounts and the facts we rely on about each platform."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class AccountStatus(StrEnum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


@dataclass(frozen=True)
class PlatformSpec:
    """What the core must know of a platform to validate and publish safely."""

    name: str
    label: str
    content_type: str
    max_chars: int
    # A platform that deduplicates by a key we choose can be re-sent after a crash
    # without risking a double post; the others must fail as "interrupted".
    honours_idempotency_key: bool
    # How long the platform remembers a key (None: for ever). Past it, a re-send could
    # post twice, so recovery fails the entry instead.
    idempotency_window: timedelta | None = None


PLATFORMS: dict[str, PlatformSpec] = {
    spec.name: spec
    for spec in (
        PlatformSpec("sandbox", "Sandbox", "sandbox_post", 5000, True),
        # Mastodon keeps Idempotency-Key answers for one hour.
        PlatformSpec("mastodon", "Mastodon", "mastodon_status", 500, True, timedelta(hours=1)),
        PlatformSpec("bluesky", "Bluesky", "bluesky_post", 300, False),
        PlatformSpec("linkedin", "LinkedIn", "linkedin_post", 3000, False),
        PlatformSpec("x", "X", "x_post", 280, False),
        PlatformSpec("threads", "Threads", "threads_post", 500, False),
        PlatformSpec("webhook", "Webhook", "webhook_post", 10000, False),
    )
}


@dataclass
class SocialAccount:
    workspace_id: int
    platform: str
    name: str
    handle: str
    id: int = 0
    status: AccountStatus = AccountStatus.CONNECTED
    # Decrypted in memory only; storage encrypts it at rest.
    credentials: dict[str, str] = field(default_factory=dict, repr=False)
    token_expires_at: datetime | None = None
    owner_member_id: int | None = None

    @property
    def spec(self) -> PlatformSpec:
        return PLATFORMS[self.platform]
