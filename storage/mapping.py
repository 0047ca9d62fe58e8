"""Explicit mapping between table rows and the core's dataclasses.

Repositories hand out only core objects: nothing outside storage ever holds an ORM row,
so nothing can lazy-load or write through one by accident.
"""

from typing import Any

from core.accounts import AccountStatus, SocialAccount
from core.comments import Comment
from core.events import DomainEvent, EventKind
from core.labels import Label
from core.notifications.model import (
    Channel,
    Delivery,
    DeliveryStatus,
    EmailMode,
    Notification,
    Preferences,
)
from core.notifications.types import NoticeType
from core.posts import PlatformEntry, Post
from core.reviews import Decision, ReviewStep
from core.roles import Role
from core.states import EntryStatus, PostStatus, ReviewState
from core.workspace import Member, MemberStatus, RoleGrant, Workspace
from storage.crypto import CredentialCipher
from storage.tables import (
    CommentRow,
    DeliveryRow,
    DiscordRoleGrantRow,
    DomainEventRow,
    LabelRow,
    MemberRow,
    NotificationPreferencesRow,
    NotificationRow,
    PlatformEntryRow,
    PostRow,
    ReviewStepRow,
    SocialAccountRow,
    WorkspaceRow,
)

# --- workspaces and members -------------------------------------------------------


def workspace_from_row(row: WorkspaceRow) -> Workspace:
    return Workspace(
        id=row.id,
        name=row.name,
        slack_team_id=row.slack_team_id,
        discord_guild_id=row.discord_guild_id,
        approvals_required=row.approvals_required,
        timezone=row.timezone,
        digest_hour=row.digest_hour,
        default_account_ids=[int(i) for i in row.default_account_ids],
        monthly_post_cap=row.monthly_post_cap,
    )


def workspace_values(workspace: Workspace) -> dict[str, Any]:
    """Columns a workspace's owner may change (never the post-number counter)."""
    return {
        "name": workspace.name,
        "slack_team_id": workspace.slack_team_id,
        "discord_guild_id": workspace.discord_guild_id,
        "approvals_required": workspace.approvals_required,
        "timezone": workspace.timezone,
        "digest_hour": workspace.digest_hour,
        "default_account_ids": list(workspace.default_account_ids),
        "monthly_post_cap": workspace.monthly_post_cap,
    }


def member_from_row(row: MemberRow) -> Member:
    return Member(
        id=row.id,
        workspace_id=row.workspace_id,
        name=row.name,
        role=Role(row.role),
        email=row.email,
        timezone=row.timezone,
        slack_user_id=row.slack_user_id,
        discord_user_id=row.discord_user_id,
        status=MemberStatus(row.status),
        invited_by=row.invited_by_id,
        granted=granted_from_text(row.granted_roles),
    )


def granted_from_text(text: str | None) -> frozenset[Role]:
    """``"approver,editor"`` → roles; a name no longer a role is dropped, not fatal."""
    names = {name.strip() for name in (text or "").split(",")}
    return frozenset(role for role in Role if role.value in names)


def granted_text(granted: frozenset[Role]) -> str | None:
    return ",".join(sorted(role.value for role in granted)) or None


def member_values(member: Member) -> dict[str, Any]:
    """Every column but ``granted_roles``, which has a writer of its own (``set_granted``)."""
    return {
        "workspace_id": member.workspace_id,
        "name": member.name,
        "role": member.role.value,
        "email": member.email,
        "timezone": member.timezone,
        "slack_user_id": member.slack_user_id,
        "discord_user_id": member.discord_user_id,
        "status": member.status.value,
        "invited_by_id": member.invited_by,
    }


def grant_from_row(row: DiscordRoleGrantRow) -> RoleGrant:
    return RoleGrant(
        id=row.id,
        workspace_id=row.workspace_id,
        discord_role_id=row.discord_role_id,
        role=Role(row.role),
        label=row.label,
    )


# --- accounts and labels -----------------------------------------------------------


def account_from_row(row: SocialAccountRow, cipher: CredentialCipher) -> SocialAccount:
    return SocialAccount(
        id=row.id,
        workspace_id=row.workspace_id,
        platform=row.platform,
        name=row.name,
        handle=row.handle,
        status=AccountStatus(row.status),
        credentials=cipher.decrypt(row.credentials_encrypted),
        token_expires_at=row.token_expires_at,
        owner_member_id=row.owner_member_id,
        max_chars=row.max_chars,
        token_renewable=row.token_renewable,
        token_renew_until=row.token_renew_until,
        expiry_warned_days=row.expiry_warned_days,
    )


def account_values(account: SocialAccount, cipher: CredentialCipher) -> dict[str, Any]:
    return {
        "workspace_id": account.workspace_id,
        "platform": account.platform,
        "name": account.name,
        "handle": account.handle,
        "status": account.status.value,
        "credentials_encrypted": cipher.encrypt(account.credentials),
        "token_expires_at": account.token_expires_at,
        "owner_member_id": account.owner_member_id,
        "max_chars": account.max_chars,
        "token_renewable": account.token_renewable,
        "token_renew_until": account.token_renew_until,
        "expiry_warned_days": account.expiry_warned_days,
    }


def label_from_row(row: LabelRow) -> Label:
    return Label(id=row.id, workspace_id=row.workspace_id, name=row.name)


# --- posts and entries -------------------------------------------------------------


def post_from_row(row: PostRow, entries: list[PlatformEntry], labels: list[str]) -> Post:
    return Post(
        id=row.id,
        workspace_id=row.workspace_id,
        number=row.number,
        author_id=row.author_id,
        text=row.text,
        media=[str(m) for m in row.media],
        labels=labels,
        status=PostStatus(row.status),
        review_state=ReviewState(row.review_state),
        scheduled_at=row.scheduled_at,
        claimed_at=row.claimed_at,
        finished_at=row.finished_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        entries=entries,
        version=row.version,
        review_overdue_noted=row.review_overdue_noted,
    )


def post_values(post: Post) -> dict[str, Any]:
    """Every column but id and version, which the repository manages."""
    return {
        "workspace_id": post.workspace_id,
        "number": post.number,
        "author_id": post.author_id,
        "text": post.text,
        "media": list(post.media),
        "status": post.status.value,
        "review_state": post.review_state.value,
        "scheduled_at": post.scheduled_at,
        "claimed_at": post.claimed_at,
        "finished_at": post.finished_at,
        "created_at": post.created_at,
        "updated_at": post.updated_at,
        "review_overdue_noted": post.review_overdue_noted,
    }


def entry_from_row(row: PlatformEntryRow) -> PlatformEntry:
    return PlatformEntry(
        id=row.id,
        post_id=row.post_id,
        account_id=row.account_id,
        platform=row.platform,
        content_type=row.content_type,
        enabled=row.enabled,
        status=EntryStatus(row.status),
        platform_url=row.platform_url,
        external_id=row.external_id,
        error_message=row.error_message,
        attempts=row.attempts,
        generation=row.generation,
        lease_until=row.lease_until,
        lease_owner=row.lease_owner,
        published_at=row.published_at,
        not_before=row.not_before,
        version=row.version,
        key=row.key,
    )


def entry_values(entry: PlatformEntry) -> dict[str, Any]:
    """Every column but id, post_id and version, which the repository manages."""
    return {
        "account_id": entry.account_id,
        "platform": entry.platform,
        "content_type": entry.content_type,
        "enabled": entry.enabled,
        "status": entry.status.value,
        "platform_url": entry.platform_url,
        "external_id": entry.external_id,
        "error_message": entry.error_message,
        "attempts": entry.attempts,
        "generation": entry.generation,
        "lease_until": entry.lease_until,
        "lease_owner": entry.lease_owner,
        "published_at": entry.published_at,
        "not_before": entry.not_before,
        "key": entry.key,
    }


# --- events ------------------------------------------------------------------------


def event_from_row(row: DomainEventRow) -> DomainEvent:
    return DomainEvent(
        id=row.id,
        kind=EventKind(row.kind),
        workspace_id=row.workspace_id,
        occurred_at=row.occurred_at,
        post_id=row.post_id,
        entry_id=row.entry_id,
        account_id=row.account_id,
        payload=dict(row.payload),
    )


def event_values(event: DomainEvent) -> dict[str, Any]:
    return {
        "kind": event.kind.value,
        "workspace_id": event.workspace_id,
        "occurred_at": event.occurred_at,
        "post_id": event.post_id,
        "entry_id": event.entry_id,
        "account_id": event.account_id,
        "payload": dict(event.payload),
    }


# --- notifications, deliveries, preferences ------------------------------------------


def notification_from_row(row: NotificationRow) -> Notification:
    return Notification(
        id=row.id,
        workspace_id=row.workspace_id,
        recipient_id=row.recipient_id,
        type=NoticeType(row.type),
        created_at=row.created_at,
        payload=dict(row.payload),
        post_id=row.post_id,
        account_id=row.account_id,
        event_id=row.event_id,
        read_at=row.read_at,
        archived_at=row.archived_at,
    )


def notification_values(notification: Notification) -> dict[str, Any]:
    """Every column but id; the category is written from the type, for filtering."""
    return {
        "workspace_id": notification.workspace_id,
        "recipient_id": notification.recipient_id,
        "type": notification.type.value,
        "category": notification.category.value,
        "payload": dict(notification.payload),
        "post_id": notification.post_id,
        "account_id": notification.account_id,
        "event_id": notification.event_id,
        "created_at": notification.created_at,
        "read_at": notification.read_at,
        "archived_at": notification.archived_at,
    }


def delivery_from_row(row: DeliveryRow) -> Delivery:
    return Delivery(
        id=row.id,
        notification_id=row.notification_id,
        recipient_id=row.recipient_id,
        channel=Channel(row.channel),
        status=DeliveryStatus(row.status),
        digest=row.digest,
        attempts=row.attempts,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
        lease_until=row.lease_until,
        sent_at=row.sent_at,
        created_at=row.created_at,
        version=row.version,
    )


def delivery_values(delivery: Delivery) -> dict[str, Any]:
    """Every column but id and version, which the repository manages."""
    return {
        "notification_id": delivery.notification_id,
        "recipient_id": delivery.recipient_id,
        "channel": delivery.channel.value,
        "status": delivery.status.value,
        "digest": delivery.digest,
        "attempts": delivery.attempts,
        "last_error": delivery.last_error,
        "next_attempt_at": delivery.next_attempt_at,
        "lease_until": delivery.lease_until,
        "sent_at": delivery.sent_at,
        "created_at": delivery.created_at,
    }


def _toggles_from_json(stored: dict[str, Any]) -> dict[NoticeType, bool]:
    # A type that no longer exists is dropped rather than breaking the member's settings.
    known = {t.value for t in NoticeType}
    return {NoticeType(key): bool(on) for key, on in stored.items() if key in known}


def _toggles_to_json(toggles: dict[NoticeType, bool]) -> dict[str, bool]:
    return {notice.value: bool(on) for notice, on in sorted(toggles.items())}


def preferences_from_row(row: NotificationPreferencesRow) -> Preferences:
    return Preferences(
        member_id=row.member_id,
        chat=_toggles_from_json(row.chat),
        email=_toggles_from_json(row.email),
        email_mode=EmailMode(row.email_mode),
        digest_hour=row.digest_hour,
        email_only_when_away=row.email_only_when_away,
        last_digest_on=row.last_digest_on,
    )


def preferences_values(preferences: Preferences) -> dict[str, Any]:
    """Every column but member_id (the key) and updated_at (stamped on save)."""
    return {
        "chat": _toggles_to_json(preferences.chat),
        "email": _toggles_to_json(preferences.email),
        "email_mode": preferences.email_mode.value,
        "digest_hour": preferences.digest_hour,
        "email_only_when_away": preferences.email_only_when_away,
        "last_digest_on": preferences.last_digest_on,
    }


# --- comments and reviews ----------------------------------------------------------


def comment_from_row(row: CommentRow, reactions: dict[str, list[int]]) -> Comment:
    return Comment(
        id=row.id,
        workspace_id=row.workspace_id,
        post_id=row.post_id,
        number=row.number,
        author_id=row.author_id,
        parent_id=row.parent_id,
        body=row.body,
        created_at=row.created_at,
        edited_at=row.edited_at,
        reactions=reactions,
    )


def comment_values(comment: Comment) -> dict[str, Any]:
    return {
        "workspace_id": comment.workspace_id,
        "post_id": comment.post_id,
        "number": comment.number,
        "author_id": comment.author_id,
        "parent_id": comment.parent_id,
        "body": comment.body,
        "created_at": comment.created_at,
        "edited_at": comment.edited_at,
    }


def review_step_from_row(row: ReviewStepRow) -> ReviewStep:
    return ReviewStep(
        id=row.id,
        workspace_id=row.workspace_id,
        post_id=row.post_id,
        member_id=row.member_id,
        decision=Decision(row.decision),
        feedback=row.feedback,
        at=row.at,
    )
