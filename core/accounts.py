"""Social accounts and the facts we rely on about each platform."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from core.media import MediaRules
from core.text_length import code_points, grapheme_length, mastodon_length, x_length


class AccountStatus(StrEnum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


_IMAGES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
_MORE_IMAGES = _IMAGES | {"image/avif", "image/heic"}
_VIDEOS = frozenset({"video/mp4", "video/webm", "video/quicktime"})
# Sandbox and webhooks carry whatever they are given, within reason.
ANYTHING = MediaRules(20, _MORE_IMAGES, 100_000_000, _VIDEOS, 500_000_000)
# docs.joinmastodon.org/methods/media: the defaults of a stock instance
# (/api/v2/instance configuration.media_attachments), 4 attachments per status.
MASTODON_MEDIA = MediaRules(
    4, _IMAGES | {"image/avif", "image/heic"}, 16_777_216, _VIDEOS, 103_809_024
)
# app.bsky.embed.images: up to 4 images of at most 1,000,000 bytes each; no video here.
BLUESKY_MEDIA = MediaRules(4, _IMAGES, 1_000_000)
# Images API: JPG, PNG, GIF; a multi-image post takes up to 20.
LINKEDIN_MEDIA = MediaRules(20, frozenset({"image/jpeg", "image/png", "image/gif"}), 10_000_000)
# X media upload: 4 images of 5 MB each (GIFs 15 MB, counted as images here), or
# videos of up to 512 MB.
X_MEDIA = MediaRules(
    4, _IMAGES, 5_000_000, frozenset({"video/mp4", "video/quicktime"}), 512_000_000
)
# X access tokens live 2 hours: the hourly job renews each one in its last 90 minutes.
SHORT_TOKENS = timedelta(minutes=90)


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
    # What the platform takes as attachments (documented limits).
    media: MediaRules = ANYTHING
    # How the platform counts ``max_chars``.
    length: Callable[[str], int] = code_points
    # The hourly job renews a token this long before it expires: for a long-lived
    # token, early enough that a refused renewal still leaves time for the warnings.
    refresh_ahead: timedelta = timedelta(days=8)


PLATFORMS: dict[str, PlatformSpec] = {
    spec.name: spec
    for spec in (
        PlatformSpec("sandbox", "Sandbox", "sandbox_post", 5000, True),
        # Mastodon keeps Idempotency-Key answers for one hour.
        PlatformSpec(
            "mastodon",
            "Mastodon",
            "mastodon_status",
            500,
            True,
            timedelta(hours=1),
            media=MASTODON_MEDIA,
            length=mastodon_length,
        ),
        # Bluesky cannot dedupe by our key, but its client looks a post up by rkey
        # before any re-send, which is as good for recovery.
        PlatformSpec(
            "bluesky",
            "Bluesky",
            "bluesky_post",
            300,
            True,
            media=BLUESKY_MEDIA,
            length=grapheme_length,
        ),
        PlatformSpec("linkedin", "LinkedIn", "linkedin_post", 3000, False, media=LINKEDIN_MEDIA),
        # Weighted as X counts: links 23, CJK and emoji 2 (twitter-text's rules).
        PlatformSpec(
            "x",
            "X",
            "x_post",
            280,
            False,
            media=X_MEDIA,
            length=x_length,
            refresh_ahead=SHORT_TOKENS,
        ),
        PlatformSpec("threads", "Threads", "threads_post", 500, False),
        PlatformSpec("webhook", "Webhook", "webhook_post", 10000, False),
    )
}


@dataclass(frozen=True)
class TokenLife:
    """How long an account's credentials work (Mastodon's: for ever)."""

    # When the access token expires; None: it does not.
    expires_at: datetime | None = None
    # Whether it can be renewed without the member (a refresh token, a session).
    renewable: bool = False
    # When renewing stops working (a LinkedIn refresh token's own end); None: no end.
    renew_until: datetime | None = None

    def deadline(self) -> datetime | None:
        """When the account stops working unless someone reconnects it."""
        if self.expires_at is None:
            return None
        return self.renew_until if self.renewable else self.expires_at


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
    # The limit this account's server set (a Mastodon instance may allow more than 500).
    max_chars: int | None = None
    token_renewable: bool = False
    token_renew_until: datetime | None = None
    # The last token_expiring warning sent for the current credentials (days ahead).
    expiry_warned_days: int | None = None

    @property
    def token(self) -> TokenLife:
        return TokenLife(self.token_expires_at, self.token_renewable, self.token_renew_until)

    def take_token(self, life: TokenLife) -> None:
        self.token_expires_at = life.expires_at
        self.token_renewable = life.renewable
        self.token_renew_until = life.renew_until
        self.expiry_warned_days = None

    @property
    def spec(self) -> PlatformSpec:
        return PLATFORMS[self.platform]

    @property
    def char_limit(self) -> int:
        return self.max_chars or self.spec.max_chars
