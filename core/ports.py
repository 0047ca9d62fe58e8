"""Ports: what the core needs from the outside world, as Protocols.

Storage, platform clients and the clock implement these; the composition root
(``bot/app.py``) wires them. Tests of the core use the in-memory fakes in
``tests/fakes.py``.
"""

import builtins
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from core.accounts import SocialAccount, TokenLife
from core.comments import Comment
from core.connecting import ConnectState, OAuthApp
from core.events import DomainEvent
from core.labels import Label
from core.media import StoredMedia
from core.notifications.ports import (
    DeliveryRepository,
    NotificationRepository,
    PreferenceRepository,
)
from core.posts import PlatformEntry, Post
from core.reviews import ReviewStep
from core.roles import Role
from core.states import PostStatus
from core.workspace import Member, RoleGrant, Workspace


class Clock(Protocol):
    def now(self) -> datetime: ...


class TickProbe(Protocol):
    """Tells, in one cheap read, whether a tick would find anything to do."""

    async def work_waiting(self, now: datetime) -> bool:
        """Any post due, publishing, or in review past its time."""
        ...


class ProcessLiveness(Protocol):
    """Tells which processes that hold entry leases are gone (crashed or killed), so
    their entries are recovered at once instead of when the lease runs out."""

    async def gone(self, owners: Collection[str]) -> set[str]: ...


@dataclass(frozen=True)
class PostFilter:
    """What ``list`` and ``calendar`` ask for; every field narrows the result."""

    statuses: frozenset[PostStatus] = frozenset()
    label: str | None = None
    # Compared with scheduled_at, or with finished_at / created_at when a post has none.
    start: datetime | None = None
    end: datetime | None = None
    limit: int = 200


class Duplicate(Exception):
    """An ``add`` met a row with the same unique key, most often one a concurrent
    transaction made first. The unit of work stays usable: read the row instead."""


class WorkspaceRepository(Protocol):
    async def add(self, workspace: Workspace) -> Workspace:
        """Raises :class:`Duplicate` when the name, Slack team or Discord guild is taken."""
        ...

    async def get(self, workspace_id: int) -> Workspace | None: ...
    async def by_slack_team(self, team_id: str) -> Workspace | None: ...
    async def by_discord_guild(self, guild_id: str) -> Workspace | None: ...
    async def by_name(self, name: str) -> Workspace | None: ...
    async def update(self, workspace: Workspace) -> None: ...
    async def next_post_number(self, workspace_id: int) -> int:
        """Allocate the next short post number of the workspace (never reused)."""
        ...

    async def next_comment_number(self, workspace_id: int) -> int:
        """Allocate the next short comment number of the workspace (never reused)."""
        ...


class MemberRepository(Protocol):
    async def add(self, member: Member) -> Member:
        """Raises :class:`Duplicate` when the name or a chat identity is taken here."""
        ...

    async def get(self, member_id: int) -> Member | None: ...
    async def with_workspace(self, member_id: int) -> tuple[Member, Workspace] | None:
        """The member and their workspace in one read (every request starts here)."""
        ...

    async def by_name(self, workspace_id: int, name: str) -> Member | None: ...
    async def names_like(self, workspace_id: int, base: str) -> set[str]:
        """The member names ``base`` and ``base-…`` taken in the workspace (one read,
        however many share the name)."""
        ...

    async def by_slack_user(self, workspace_id: int, user_id: str) -> Member | None: ...
    async def by_discord_user(self, workspace_id: int, user_id: str) -> Member | None: ...
    async def list(self, workspace_id: int) -> list[Member]: ...
    async def update(self, member: Member) -> None:
        """Everything but ``granted``, which only :meth:`set_granted` writes: a slow
        command never puts back the grants an interaction replaced meanwhile."""
        ...

    async def set_granted(self, member_id: int, granted: frozenset[Role]) -> None: ...
    async def remove(self, member_id: int) -> None: ...


class RoleGrantRepository(Protocol):
    """Trypost roles given to chat roles (Discord roles), one per chat role."""

    async def list(self, workspace_id: int) -> list[RoleGrant]: ...
    async def by_chat_role(self, workspace_id: int, discord_role_id: str) -> RoleGrant | None: ...
    async def put(self, grant: RoleGrant) -> RoleGrant:
        """Add the grant, or replace the role and label of the chat role's grant."""
        ...

    async def remove(self, grant_id: int) -> None: ...


class AccountRepository(Protocol):
    async def add(self, account: SocialAccount) -> SocialAccount: ...
    async def get(self, account_id: int) -> SocialAccount | None: ...
    async def get_many(self, account_ids: Collection[int]) -> dict[int, SocialAccount]:
        """The accounts that exist among ``account_ids``, by id."""
        ...

    async def by_name(self, workspace_id: int, name: str) -> SocialAccount | None: ...
    async def list(self, workspace_id: int) -> list[SocialAccount]: ...
    async def update(self, account: SocialAccount) -> None: ...
    async def remove(self, account_id: int) -> None: ...
    async def mark_disconnected(self, account_id: int) -> bool:
        """Flip a connected account to disconnected in one statement; True only for the
        caller that flipped it, so concurrent auth failures tell the owner once."""
        ...

    async def set_credentials(self, account_id: int, credentials: Mapping[str, str]) -> None:
        """Write renewed credentials only (a refreshed session), nothing else."""
        ...

    async def expiring(
        self, before: datetime, limit: int, after_id: int = 0
    ) -> "builtins.list[SocialAccount]":
        """Connected accounts, of every workspace, whose token or whose renewal ends
        before ``before``: by id, from ``after_id`` on (a page at a time)."""
        ...

    async def take_refresh_lease(
        self, account_id: int, now: datetime, until: datetime, owner: str
    ) -> bool:
        """Hold the right to refresh the account's token until ``until``, unless another
        process holds it; True for the one caller that got it."""
        ...

    async def save_renewal(
        self, account_id: int, renewal: "Renewal", *, forget_warnings: bool
    ) -> None:
        """Write renewed credentials and their lifetime and release the refresh lease;
        ``forget_warnings`` when the account's deadline moved."""
        ...

    async def release_refresh_lease(self, account_id: int, owner: str) -> None:
        """Release the lease if ``owner`` still holds it."""
        ...

    async def end_renewal(self, account_id: int, owner: str) -> bool:
        """The refresh was refused for good: the token now simply expires. Only while
        ``owner`` holds the lease (a late refusal must not undo another's renewal)."""
        ...

    async def mark_warned(self, account_id: int, days: int) -> bool:
        """Record a token_expiring warning ``days`` ahead unless one that near was
        recorded already; True for the one caller that recorded it."""
        ...


class MediaRepository(Protocol):
    async def add(self, media: StoredMedia) -> StoredMedia:
        """Record a stored file for the workspace; the same hash twice is one row."""
        ...

    async def by_hashes(self, workspace_id: int, hashes: Sequence[str]) -> list[StoredMedia]: ...
    async def usage(self, workspace_id: int) -> int:
        """Bytes the workspace's stored files take."""
        ...


class ConnectRepository(Protocol):
    """Connect-link states and the OAuth apps we registered on each server."""

    async def add_state(self, state: ConnectState) -> ConnectState: ...
    async def state(self, token_hash: str) -> ConnectState | None: ...
    async def spend(self, state_id: int, at: datetime) -> bool:
        """Mark the state spent if it was not; False when another callback spent it."""
        ...

    async def app(self, platform: str, instance: str, redirect_uri: str) -> OAuthApp | None: ...
    async def add_app(self, app: OAuthApp) -> None:
        """Raises :class:`Duplicate` when another process registered the same app first."""
        ...


class LabelRepository(Protocol):
    async def add(self, label: Label) -> Label: ...
    async def by_name(self, workspace_id: int, name: str) -> Label | None: ...
    async def list(self, workspace_id: int) -> list[Label]: ...
    async def remove(self, label_id: int) -> None:
        """Delete the label and detach it from every post."""
        ...


class PostRepository(Protocol):
    async def add(self, post: Post) -> Post:
        """Insert the post with its entries and labels; ids are filled in."""
        ...

    async def get(self, post_id: int) -> Post | None: ...
    async def by_number(self, workspace_id: int, number: int) -> Post | None: ...

    async def lock(self, post_id: int) -> Post | None:
        """Load the post and hold its row until the unit of work ends.

        Whoever aggregates a post's final status locks it first, so two entries
        finishing at the same instant see each other's result.
        """
        ...

    async def lock_many(self, post_ids: Sequence[int]) -> list[Post]:
        """``lock`` for several posts at once, locked in id order (two workers locking
        overlapping sets never deadlock); posts that do not exist are left out."""
        ...

    async def compare_and_set_many(self, posts: Sequence[Post]) -> bool:
        """``compare_and_set`` for several posts in one round trip: True (and every
        version bumped) only when each stored version matched; on False the caller
        must not commit."""
        ...

    async def save(self, post: Post) -> bool:
        """Write the post, its labels and entries if none changed since it was loaded.

        Versions decide: the post's and each entry's stored ``version`` must equal the
        in-memory one; on success they are bumped in storage and in memory. On False
        something was written only partly: the caller must not commit.
        """
        ...

    async def compare_and_set(self, post: Post) -> bool:
        """Write the post's own fields (not labels, not entries) if its stored version
        equals ``post.version``; on success bump the version in storage and in memory."""
        ...

    async def set_labels(self, post: Post) -> None:
        """Replace the post's labels only: no version changes, so labelling never
        disturbs a publish in flight."""
        ...

    async def remove(self, post: Post) -> bool:
        """Delete the post (entries and labels with it) if its stored version still
        equals ``post.version``; False when it changed meanwhile (a claim, an edit)."""
        ...

    async def list(self, workspace_id: int, query: PostFilter) -> list[Post]: ...
    async def count(self, workspace_id: int, query: PostFilter) -> int:
        """How many posts ``list`` would return without its limit."""
        ...

    async def claim_due(self, now: datetime, limit: int) -> Sequence[int]:
        """Flip scheduled posts with ``scheduled_at <= now`` to publishing, set their
        ``claimed_at`` to ``now``, bump their version and return their ids.

        Safe with several workers: a post is claimed by exactly one of them.
        """
        ...

    async def with_pending_entries(self, now: datetime, limit: int) -> Sequence[int]:
        """Ids of publishing posts with a pending enabled entry ready at ``now`` (not
        waiting out a rate limit)."""
        ...

    async def overdue(self, before: datetime, limit: int) -> Sequence[Post]:
        """Scheduled posts whose time is earlier than ``before``."""
        ...

    async def overdue_reviews(self, now: datetime, limit: int) -> Sequence[Post]:
        """Drafts still in review whose time has come, not yet noted as such."""
        ...


class EntryRepository(Protocol):
    async def get(self, entry_id: int) -> PlatformEntry | None: ...

    async def compare_and_set(self, entry: PlatformEntry) -> bool:
        """Write the entry only if its stored version equals ``entry.version``.

        On success the version is bumped (in storage and in memory). This is how an
        entry is claimed by exactly one worker.
        """
        ...

    async def claim_many(
        self, entries: Sequence[PlatformEntry], now: datetime, lease_until: datetime, owner: str
    ) -> list[PlatformEntry]:
        """Claim, in one statement, those of ``entries`` still ready at ``now``: each
        becomes publishing under a lease held by ``owner``, its attempts counted. The
        claimed ones are returned, updated in memory to their stored state; another
        worker's claim that committed first leaves an entry out."""
        ...

    async def write_many(self, entries: Sequence[PlatformEntry]) -> bool:
        """``compare_and_set`` for several entries: True (and every version bumped)
        only when each stored version matched; on False the caller must not commit."""
        ...

    async def stale_publishing(
        self, now: datetime, limit: int, gone_owners: Collection[str] = ()
    ) -> list[PlatformEntry]:
        """Entries left publishing by a crashed worker: their lease ended before ``now``,
        or the process holding it is one of ``gone_owners``."""
        ...

    async def lease_owners(self) -> set[str]:
        """The processes holding a lease on some publishing entry."""
        ...


class EventRepository(Protocol):
    async def add(self, event: DomainEvent) -> DomainEvent: ...
    async def add_many(self, events: Sequence[DomainEvent]) -> None:
        """Add several events in one round trip (their ids are not read back)."""
        ...

    async def after(self, event_id: int, limit: int) -> Sequence[DomainEvent]:
        """Events with an id above ``event_id``, oldest first."""
        ...

    async def claim_unprocessed(self, limit: int) -> Sequence[DomainEvent]:
        """Events not yet processed, oldest first, locked for this unit of work
        (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two consumers split them)."""
        ...

    async def mark_processed(self, event_id: int, at: datetime) -> None: ...


class CommentRepository(Protocol):
    async def add(self, comment: Comment) -> Comment:
        """Insert; the id is filled in (the caller allocates the number)."""
        ...

    async def by_number(self, workspace_id: int, number: int) -> Comment | None: ...
    async def update(self, comment: Comment) -> None:
        """Write the body and edit time (reactions have their own write)."""
        ...

    async def remove(self, comment_id: int) -> None:
        """Delete the comment with its reactions; replies stay, shown as replies to a
        deleted comment."""
        ...

    async def of_post(self, post_id: int) -> list[Comment]:
        """Every comment of the post with its reactions, oldest first."""
        ...

    async def toggle_reaction(
        self, comment_id: int, member_id: int, emoji: str, at: datetime
    ) -> bool:
        """Add the member's reaction, or take it back; True when it is now there. One
        statement each way, so two people reacting at once both count."""
        ...


class ReviewRepository(Protocol):
    async def add(self, step: ReviewStep) -> ReviewStep: ...
    async def of_post(self, post_id: int) -> list[ReviewStep]:
        """The post's review history, oldest first."""
        ...


class UnitOfWork(Protocol):
    """One transaction over every repository; leaving without commit rolls back."""

    workspaces: WorkspaceRepository
    members: MemberRepository
    accounts: AccountRepository
    labels: LabelRepository
    posts: PostRepository
    entries: EntryRepository
    events: EventRepository
    notifications: NotificationRepository
    deliveries: DeliveryRepository
    preferences: PreferenceRepository
    comments: CommentRepository
    reviews: ReviewRepository
    role_grants: RoleGrantRepository
    media: MediaRepository
    connects: ConnectRepository

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, read_only: bool = False) -> UnitOfWork:
        """A fresh unit of work. ``read_only``: it only reads and never commits, so the
        storage may serve it without a write lock (SQLite's one writer)."""
        ...


# --- platforms -------------------------------------------------------------------


@dataclass(frozen=True)
class MediaFile:
    """One stored media file of a post, as a platform client uploads it.

    ``path`` is a file in the media store (named by content hash, never changed once
    written); the rest was read from its bytes when it was stored.
    """

    path: str
    content_type: str
    size: int
    sha256: str
    alt: str = ""
    width: int | None = None
    height: int | None = None

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def is_video(self) -> bool:
        return self.content_type.startswith("video/")


@dataclass(frozen=True)
class PublishRequest:
    account: SocialAccount
    text: str
    # What the post was given after ``with``, as written (links, file names).
    media: Sequence[str] = ()
    idempotency_key: str = ""
    labels: Sequence[str] = field(default_factory=tuple)
    # The post's short number in its workspace (what a webhook receiver is told).
    post_number: int = 0
    # The stored files behind ``media``, in the same order, for clients that upload.
    files: Sequence[MediaFile] = ()


@dataclass(frozen=True)
class RateQuota:
    """What a platform's rate-limit headers said of the account's remaining calls."""

    remaining: int
    resets_at: datetime


@dataclass(frozen=True)
class PublishResult:
    external_id: str
    url: str
    # The quota left after this call, when the platform told it (X, LinkedIn).
    quota: RateQuota | None = None


class PlatformError(Exception):
    """A platform said no. Subclasses say whether trying again can help."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientPlatformError(PlatformError):
    """Timeouts, 5xx, 429: worth another try, after ``retry_after`` seconds if given.

    ``rate_limited`` marks a 429: nothing was created, and the wait is the account's
    quota, not the platform's health.
    """

    def __init__(
        self, reason: str, retry_after: float | None = None, *, rate_limited: bool = False
    ) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.rate_limited = rate_limited


class PermanentPlatformError(PlatformError):
    """Rejected content and the like: another try would fail the same way."""


class AuthPlatformError(PermanentPlatformError):
    """The account's token is invalid or revoked: it must be reconnected."""


class PlatformClient(Protocol):
    async def publish(self, request: PublishRequest) -> PublishResult: ...


class MediaFiles(Protocol):
    """The bytes of the media store, named by content hash."""

    async def inspect(self, data: bytes) -> "MediaFacts":
        """What the bytes are; raises ValidationFailed for a kind no platform takes."""
        ...

    async def write(self, facts: "MediaFacts", data: bytes) -> None:
        """Keep the bytes (atomically: a reader never sees half a file)."""
        ...

    def path(self, sha256: str) -> str: ...


@dataclass(frozen=True)
class MediaFacts:
    sha256: str
    content_type: str
    size: int
    width: int | None = None
    height: int | None = None


class CredentialSaver(Protocol):
    """Writes an account's renewed credentials (a refreshed session) at once, before
    they are used: a rotated refresh token must never be lost."""

    async def __call__(self, account_id: int, credentials: Mapping[str, str]) -> None: ...


@dataclass(frozen=True)
class ConnectedIdentity:
    """What a platform says an account is, once its credentials were proven to work."""

    # The account's name in the workspace, e.g. ``@alice@example.social``.
    name: str
    handle: str
    credentials: dict[str, str] = field(repr=False)
    # The platform's own limit for this account (Mastodon instances set theirs).
    max_chars: int | None = None
    # How long the credentials work and whether they can be renewed.
    token: TokenLife = field(default_factory=TokenLife)


@dataclass(frozen=True)
class Renewal:
    """An account's credentials after a token refresh, and their new lifetime."""

    credentials: dict[str, str] = field(repr=False)
    life: TokenLife


class TokenRefresher(Protocol):
    """A platform client whose access tokens expire and can be renewed."""

    async def refresh(self, account: SocialAccount) -> Renewal:
        """Trade the account's refresh token (or session) for new tokens.

        Raises AuthPlatformError when the refresh is refused for good (revoked,
        expired, already used), TransientPlatformError when trying later may work.
        """
        ...


class PlatformDirectory(Protocol):
    """Finds the client for a platform name (``sandbox``, ``mastodon``, …)."""

    def client_for(self, platform: str) -> PlatformClient: ...
