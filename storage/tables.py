"""The database schema as SQLAlchemy 2.0 typed ORM classes.

The Alembic migrations are the only source of the schema in a real database; these
classes describe it for queries and for the drift check that keeps both in step.
Enums are plain strings so a new status never needs a database migration of its own.
"""

from datetime import UTC, datetime
from typing import Any

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    literal_column,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp, always written and read back in UTC.

    PostgreSQL keeps the zone itself; SQLite stores text without one, so the zone is
    put back on read. A naive datetime is refused: it would be ambiguous.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; storage keeps UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = metadata
    type_annotation_map = {datetime: UTCDateTime()}


# Row ids are referenced and shown (post ids in events, member ids as recipients, entry
# ids in logs): SQLite must never hand a deleted row's id to a new one. PostgreSQL's
# sequences never go back anyway.
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


class WorkspaceRow(Base):
    __tablename__ = "workspaces"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    slack_team_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    discord_guild_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    approvals_required: Mapped[bool] = mapped_column(Boolean, server_default=false())
    timezone: Mapped[str] = mapped_column(String(64), server_default="UTC")
    digest_hour: Mapped[int] = mapped_column(Integer, server_default=literal_column("9"))
    default_account_ids: Mapped[list[int]] = mapped_column(JSON)
    # The number the next post of this workspace gets; numbers are never reused.
    next_post_number: Mapped[int] = mapped_column(Integer, server_default=literal_column("1"))
    # Posts (not drafts) allowed per calendar month; None means no cap.
    monthly_post_cap: Mapped[int | None] = mapped_column(Integer)
    next_comment_number: Mapped[int] = mapped_column(Integer, server_default=literal_column("1"))


class MemberRow(Base):
    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name"),
        Index(None, "workspace_id", "slack_user_id", unique=True),
        Index(None, "workspace_id", "discord_user_id", unique=True),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(320))
    timezone: Mapped[str | None] = mapped_column(String(64))
    slack_user_id: Mapped[str | None] = mapped_column(String(64))
    discord_user_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), server_default="active")
    # No foreign key: an invitation remembers who sent it after they leave.
    invited_by_id: Mapped[int | None] = mapped_column(Integer)
    # Trypost roles the member's Discord roles gave at their last interaction
    # (comma-separated role names; NULL for none).
    granted_roles: Mapped[str | None] = mapped_column(Text)


class DiscordRoleGrantRow(Base):
    """A trypost role for everyone holding a Discord role of the workspace's guild."""

    __tablename__ = "discord_role_grants"
    __table_args__ = (UniqueConstraint("workspace_id", "discord_role_id"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    discord_role_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))
    # The Discord role's name when granted, for lists.
    label: Mapped[str] = mapped_column(String(100))


class SocialAccountRow(Base):
    __tablename__ = "social_accounts"
    __table_args__ = (UniqueConstraint("workspace_id", "name"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    handle: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20))
    # Fernet ciphertext of the credentials' JSON (storage.crypto); never plaintext.
    credentials_encrypted: Mapped[str] = mapped_column(Text)
    token_expires_at: Mapped[datetime | None]
    owner_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    # The character limit the account's server announced (a Mastodon instance's own).
    max_chars: Mapped[int | None]
    # core.accounts.TokenLife, beside token_expires_at: plain, so the token job finds
    # what expires without decrypting every account.
    token_renewable: Mapped[bool] = mapped_column(Boolean, server_default=false())
    token_renew_until: Mapped[datetime | None]
    expiry_warned_days: Mapped[int | None]
    # Held by the one process refreshing the account's token (a rotated refresh token
    # must be used once), released when the new one is written.
    refresh_lease_until: Mapped[datetime | None]
    # Who holds it: only the holder may release it or record a refusal.
    refresh_lease_owner: Mapped[str | None] = mapped_column(String(32))


class MediaFileRow(Base):
    """A file in a workspace's media store; the bytes live under TRYPOST_MEDIA_DIR."""

    __tablename__ = "media_files"
    __table_args__ = (UniqueConstraint("workspace_id", "sha256"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int | None]
    height: Mapped[int | None]
    created_at: Mapped[datetime]


class ConnectStateRow(Base):
    """A connect link's state; only the token's hash is kept."""

    __tablename__ = "connect_states"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    platform: Mapped[str] = mapped_column(String(32))
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    instance: Mapped[str] = mapped_column(String(255))
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("social_accounts.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    spent_at: Mapped[datetime | None]
    # Fernet ciphertext of what the flow keeps between its steps (X's PKCE verifier,
    # LinkedIn's grant while the member picks a page).
    secret_encrypted: Mapped[str | None] = mapped_column(Text)


class OAuthAppRow(Base):
    """Our OAuth app as registered on one server; the secret is encrypted."""

    __tablename__ = "oauth_apps"
    __table_args__ = (UniqueConstraint("platform", "instance", "redirect_uri"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    instance: Mapped[str] = mapped_column(String(255))
    redirect_uri: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret_encrypted: Mapped[str] = mapped_column(Text)


class LabelRow(Base):
    __tablename__ = "labels"
    __table_args__ = (UniqueConstraint("workspace_id", "name"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40))


class PostRow(Base):
    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("workspace_id", "number"),
        # The scheduler's "due posts" query is a range scan on this index.
        Index(None, "status", "scheduled_at"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    # No foreign key: a post outlives the member who wrote it.
    author_id: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    media: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(32))
    review_state: Mapped[str] = mapped_column(String(32))
    scheduled_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, server_default=literal_column("0"))
    review_overdue_noted: Mapped[bool] = mapped_column(Boolean, server_default=false())


class PostLabelRow(Base):
    __tablename__ = "post_labels"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    label_id: Mapped[int] = mapped_column(
        ForeignKey("labels.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # Labels come back in the order the post was given them.
    position: Mapped[int] = mapped_column(Integer, server_default=literal_column("0"))


class PlatformEntryRow(Base):
    __tablename__ = "platform_entries"
    __table_args__ = (
        Index(None, "status", "lease_until"),
        Index(None, "post_id"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    # No foreign key: an entry keeps its history when its account is removed.
    account_id: Mapped[int] = mapped_column(Integer)
    platform: Mapped[str] = mapped_column(String(32))
    content_type: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, server_default=true())
    status: Mapped[str] = mapped_column(String(32))
    platform_url: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(255))
    error_message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, server_default=literal_column("0"))
    generation: Mapped[int] = mapped_column(Integer, server_default=literal_column("0"))
    lease_until: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(32))
    published_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, server_default=literal_column("0"))
    # A pending entry waiting out its account's rate limit is not sent before this.
    not_before: Mapped[datetime | None]
    # Random, unique, the stem of the idempotency key (core.posts.PlatformEntry.key).
    key: Mapped[str] = mapped_column(String(32), unique=True)


class ProcessRow(Base):
    """A running bot process, so others can tell when it is gone (storage.processes)."""

    __tablename__ = "processes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]


class CommentRow(Base):
    __tablename__ = "comments"
    __table_args__ = (
        UniqueConstraint("workspace_id", "number"),
        Index(None, "post_id", "id"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    # No foreign keys: a comment outlives its author, and a reply its parent.
    author_id: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(Integer)
    # Mentions are kept as neutral markers (core.comments).
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    edited_at: Mapped[datetime | None]


class CommentReactionRow(Base):
    __tablename__ = "comment_reactions"

    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    emoji: Mapped[str] = mapped_column(String(64), primary_key=True)
    reacted_at: Mapped[datetime]


class ReviewStepRow(Base):
    __tablename__ = "review_steps"
    __table_args__ = (Index(None, "post_id", "id"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(32))
    feedback: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]


class DomainEventRow(Base):
    __tablename__ = "domain_events"
    __table_args__ = (
        # The projector's "unprocessed, oldest first" is a range scan on this index.
        Index(None, "processed_at", "id"),
        # Event ids are a reader's cursor, too.
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64))
    workspace_id: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime]
    post_id: Mapped[int | None] = mapped_column(Integer)
    entry_id: Mapped[int | None] = mapped_column(Integer)
    account_id: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Set once the notification projector has turned the event into notifications.
    processed_at: Mapped[datetime | None]


class NotificationRow(Base):
    """One inbox record of one member."""

    __tablename__ = "notifications"
    __table_args__ = (
        # Replaying an event never notifies twice. Rows without an event are not deduplicated
        # (NULLs are distinct in a unique constraint), which is what they need.
        UniqueConstraint("event_id", "type", "recipient_id"),
        # The inbox and the unread count: one member's rows, not archived, unread first.
        Index(None, "recipient_id", "archived_at", "read_at", "created_at"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(64))
    # Derived from the type, stored so the inbox filters by category in SQL.
    category: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # No foreign keys: the notice outlives the post or account it was about.
    post_id: Mapped[int | None] = mapped_column(Integer)
    account_id: Mapped[int | None] = mapped_column(Integer)
    event_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
    archived_at: Mapped[datetime | None]


class DeliveryRow(Base):
    """One channel's attempt to bring a notification to its recipient: the outbox."""

    __tablename__ = "deliveries"
    __table_args__ = (
        # The dispatcher's claim: pending, not for a digest, due.
        Index(None, "status", "digest", "next_attempt_at"),
        # A member's deliveries waiting for the daily digest.
        Index(None, "recipient_id", "status", "digest"),
        Index(None, "notification_id"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    # The notification's recipient, copied so digests are found without a join.
    recipient_id: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    digest: Mapped[bool] = mapped_column(Boolean, server_default=false())
    attempts: Mapped[int] = mapped_column(Integer, server_default=literal_column("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, server_default=literal_column("0"))


class NotificationPreferencesRow(Base):
    """What one member chose; no row means every default of DESIGN §3."""

    __tablename__ = "notification_preferences"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    # Overrides per notice type: {"post_published": false, …}; absent types follow defaults.
    chat: Mapped[dict[str, bool]] = mapped_column(JSON)
    email: Mapped[dict[str, bool]] = mapped_column(JSON)
    email_mode: Mapped[str] = mapped_column(String(16))
    digest_hour: Mapped[int] = mapped_column(Integer, server_default=literal_column("9"))
    email_only_when_away: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # The member's local date (ISO) of the last digest sent, so one goes out per day.
    last_digest_on: Mapped[str | None] = mapped_column(String(10))
    updated_at: Mapped[datetime]


# Slack's OAuth stores (slack_sdk) keep installations and OAuth states in tables of their
# own shape; declared here so that migrations create them like every other table.
SLACK_INSTALLATIONS = SQLAlchemyInstallationStore.build_installations_table(
    metadata, SQLAlchemyInstallationStore.default_installations_table_name
)
SLACK_BOTS = SQLAlchemyInstallationStore.build_bots_table(
    metadata, SQLAlchemyInstallationStore.default_bots_table_name
)
SLACK_OAUTH_STATES = SQLAlchemyOAuthStateStore.build_oauth_states_table(
    metadata, SQLAlchemyOAuthStateStore.default_table_name
)

# Tokens and the incoming webhook URL are stored encrypted (bot/slack/installations.py),
# which makes them longer than slack_sdk's String(200) allows.
for _table in (SLACK_INSTALLATIONS, SLACK_BOTS):
    for _column in _table.columns:
        if _column.name.endswith(("_token", "refresh_token")) or _column.name == (
            "incoming_webhook_url"
        ):
            _column.type = Text()
