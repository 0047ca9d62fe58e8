"""In-memory fakes of the core's ports, with the same semantics as storage.

Objects are copied in and out, and versions are checked, so a test of the core
sees the same concurrency behaviour (stale writes refused) as the real database.
"""

import asyncio
import copy
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from typing import Self, TypeVar

from core.accounts import AccountStatus, SocialAccount
from core.comments import Comment
from core.connecting import ConnectState, OAuthApp
from core.events import DomainEvent
from core.labels import Label
from core.media import StoredMedia
from core.messages import Reply
from core.notifications.model import (
    Delivery,
    DeliveryStatus,
    Notification,
    Preferences,
    Presence,
)
from core.notifications.ports import (
    AddressConfirmation,
    DeliveryFailed,
    EmailNotice,
    InboxFilter,
)
from core.ports import Duplicate, PostFilter, PublishRequest, PublishResult, Renewal
from core.posts import PlatformEntry, Post
from core.reviews import ReviewStep
from core.roles import Role
from core.states import EntryStatus, PostStatus, ReviewState
from core.workspace import Member, RoleGrant, Workspace


@dataclass
class Store:
    workspaces: dict[int, Workspace] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    accounts: dict[int, SocialAccount] = field(default_factory=dict)
    refresh_leases: dict[int, tuple[datetime, str]] = field(default_factory=dict)
    labels: dict[int, Label] = field(default_factory=dict)
    posts: dict[int, Post] = field(default_factory=dict)
    events: list[DomainEvent] = field(default_factory=list)
    processed: set[int] = field(default_factory=set)
    notifications: dict[int, Notification] = field(default_factory=dict)
    deliveries: dict[int, Delivery] = field(default_factory=dict)
    preferences: dict[int, Preferences] = field(default_factory=dict)
    counters: dict[int, int] = field(default_factory=dict)
    comment_counters: dict[int, int] = field(default_factory=dict)
    comments: dict[int, Comment] = field(default_factory=dict)
    reviews: list[ReviewStep] = field(default_factory=list)
    role_grants: dict[int, RoleGrant] = field(default_factory=dict)
    media: dict[tuple[int, str], StoredMedia] = field(default_factory=dict)
    connect_states: dict[str, ConnectState] = field(default_factory=dict)
    oauth_apps: dict[tuple[str, str, str], OAuthApp] = field(default_factory=dict)
    next_id: int = 1
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id


T = TypeVar("T")


def _c(obj: T) -> T:
    return copy.deepcopy(obj)


class _Repo:
    def __init__(self, uow: "FakeUnitOfWork") -> None:
        self.uow = uow

    @property
    def s(self) -> Store:
        return self.uow.working


class FakeWorkspaces(_Repo):
    async def add(self, workspace: Workspace) -> Workspace:
        for other in self.s.workspaces.values():
            if (
                other.name == workspace.name
                or (workspace.slack_team_id and other.slack_team_id == workspace.slack_team_id)
                or (
                    workspace.discord_guild_id
                    and other.discord_guild_id == workspace.discord_guild_id
                )
            ):
                raise Duplicate(f"workspace {workspace.name} exists already")
        workspace.id = self.s.new_id()
        self.s.workspaces[workspace.id] = _c(workspace)
        return workspace

    async def get(self, workspace_id: int) -> Workspace | None:
        return _c(self.s.workspaces.get(workspace_id))

    async def by_slack_team(self, team_id: str) -> Workspace | None:
        return _c(next((w for w in self.s.workspaces.values() if w.slack_team_id == team_id), None))

    async def by_discord_guild(self, guild_id: str) -> Workspace | None:
        found = (w for w in self.s.workspaces.values() if w.discord_guild_id == guild_id)
        return _c(next(found, None))

    async def by_name(self, name: str) -> Workspace | None:
        return _c(next((w for w in self.s.workspaces.values() if w.name == name), None))

    async def update(self, workspace: Workspace) -> None:
        self.s.workspaces[workspace.id] = _c(workspace)

    async def next_post_number(self, workspace_id: int) -> int:
        self.s.counters[workspace_id] = self.s.counters.get(workspace_id, 0) + 1
        return self.s.counters[workspace_id]

    async def next_comment_number(self, workspace_id: int) -> int:
        counters = self.s.comment_counters
        counters[workspace_id] = counters.get(workspace_id, 0) + 1
        return counters[workspace_id]


class FakeMembers(_Repo):
    async def add(self, member: Member) -> Member:
        for other in self.s.members.values():
            if other.workspace_id == member.workspace_id and (
                other.name == member.name
                or (member.slack_user_id and other.slack_user_id == member.slack_user_id)
                or (member.discord_user_id and other.discord_user_id == member.discord_user_id)
            ):
                raise Duplicate(f"member {member.name} exists already")
        member.id = self.s.new_id()
        self.s.members[member.id] = _c(member)
        return member

    async def get(self, member_id: int) -> Member | None:
        return _c(self.s.members.get(member_id))

    async def with_workspace(self, member_id: int) -> tuple[Member, Workspace] | None:
        member = self.s.members.get(member_id)
        workspace = self.s.workspaces.get(member.workspace_id) if member else None
        return (_c(member), _c(workspace)) if member and workspace else None

    async def by_name(self, workspace_id: int, name: str) -> Member | None:
        return _c(self._find(workspace_id, lambda m: m.name == name))

    async def names_like(self, workspace_id: int, base: str) -> set[str]:
        return {
            m.name
            for m in self.s.members.values()
            if m.workspace_id == workspace_id and (m.name == base or m.name.startswith(f"{base}-"))
        }

    async def by_slack_user(self, workspace_id: int, user_id: str) -> Member | None:
        return _c(self._find(workspace_id, lambda m: m.slack_user_id == user_id))

    async def by_discord_user(self, workspace_id: int, user_id: str) -> Member | None:
        return _c(self._find(workspace_id, lambda m: m.discord_user_id == user_id))

    def _find(self, workspace_id: int, test: object) -> Member | None:
        assert callable(test)
        return next(
            (m for m in self.s.members.values() if m.workspace_id == workspace_id and test(m)),
            None,
        )

    async def list(self, workspace_id: int) -> list[Member]:
        return [_c(m) for m in self.s.members.values() if m.workspace_id == workspace_id]

    async def update(self, member: Member) -> None:
        stored = self.s.members.get(member.id)
        self.s.members[member.id] = _c(member)
        # Like storage: ``granted`` has its own writer.
        self.s.members[member.id].granted = stored.granted if stored else frozenset()

    async def set_granted(self, member_id: int, granted: frozenset[Role]) -> None:
        if member_id in self.s.members:
            self.s.members[member_id].granted = frozenset(granted)

    async def remove(self, member_id: int) -> None:
        self.s.members.pop(member_id, None)


class FakeRoleGrants(_Repo):
    async def list(self, workspace_id: int) -> list[RoleGrant]:
        grants = [g for g in self.s.role_grants.values() if g.workspace_id == workspace_id]
        return [_c(g) for g in sorted(grants, key=lambda g: (g.label, g.id))]

    async def by_chat_role(self, workspace_id: int, discord_role_id: str) -> RoleGrant | None:
        found = (
            g
            for g in self.s.role_grants.values()
            if g.workspace_id == workspace_id and g.discord_role_id == discord_role_id
        )
        return _c(next(found, None))

    async def put(self, grant: RoleGrant) -> RoleGrant:
        existing = await self.by_chat_role(grant.workspace_id, grant.discord_role_id)
        grant.id = existing.id if existing else self.s.new_id()
        self.s.role_grants[grant.id] = _c(grant)
        return grant

    async def remove(self, grant_id: int) -> None:
        self.s.role_grants.pop(grant_id, None)


class FakeAccounts(_Repo):
    async def add(self, account: SocialAccount) -> SocialAccount:
        account.id = self.s.new_id()
        self.s.accounts[account.id] = _c(account)
        return account

    async def get(self, account_id: int) -> SocialAccount | None:
        return _c(self.s.accounts.get(account_id))

    async def get_many(self, account_ids: Collection[int]) -> dict[int, SocialAccount]:
        return {i: _c(self.s.accounts[i]) for i in account_ids if i in self.s.accounts}

    async def by_name(self, workspace_id: int, name: str) -> SocialAccount | None:
        found = (
            a
            for a in self.s.accounts.values()
            if a.workspace_id == workspace_id and a.name.lower() == name.lower()
        )
        return _c(next(found, None))

    async def list(self, workspace_id: int) -> list[SocialAccount]:
        return [_c(a) for a in self.s.accounts.values() if a.workspace_id == workspace_id]

    async def update(self, account: SocialAccount) -> None:
        self.s.accounts[account.id] = _c(account)

    async def remove(self, account_id: int) -> None:
        self.s.accounts.pop(account_id, None)

    async def mark_disconnected(self, account_id: int) -> bool:
        account = self.s.accounts.get(account_id)
        if account is None or account.status is AccountStatus.DISCONNECTED:
            return False
        account.status = AccountStatus.DISCONNECTED
        return True

    async def set_credentials(self, account_id: int, credentials: Mapping[str, str]) -> None:
        if account_id in self.s.accounts:
            self.s.accounts[account_id].credentials = dict(credentials)

    async def expiring(
        self, before: datetime, limit: int, after_id: int = 0
    ) -> "list[SocialAccount]":
        def ends(a: SocialAccount) -> bool:
            times = (a.token_expires_at, a.token_renew_until)
            return any(t is not None and t <= before for t in times)

        found = [
            copy.deepcopy(a)
            for a in self.s.accounts.values()
            if a.status is AccountStatus.CONNECTED and ends(a) and a.id > after_id
        ]
        return found[:limit]

    async def take_refresh_lease(
        self, account_id: int, now: datetime, until: datetime, owner: str
    ) -> bool:
        held = self.s.refresh_leases.get(account_id)
        if held is not None and held[0] >= now:
            return False
        self.s.refresh_leases[account_id] = (until, owner)
        return True

    async def save_renewal(
        self, account_id: int, renewal: Renewal, *, forget_warnings: bool
    ) -> None:
        account = self.s.accounts[account_id]
        warned = account.expiry_warned_days
        account.credentials = dict(renewal.credentials)
        account.take_token(renewal.life)
        if not forget_warnings:
            account.expiry_warned_days = warned
        self.s.refresh_leases.pop(account_id, None)

    async def release_refresh_lease(self, account_id: int, owner: str) -> None:
        if self._owner(account_id) == owner:
            del self.s.refresh_leases[account_id]

    async def end_renewal(self, account_id: int, owner: str) -> bool:
        if self._owner(account_id) != owner:
            return False
        self.s.accounts[account_id].token_renewable = False
        del self.s.refresh_leases[account_id]
        return True

    def _owner(self, account_id: int) -> str | None:
        held = self.s.refresh_leases.get(account_id)
        return held[1] if held else None

    async def mark_warned(self, account_id: int, days: int) -> bool:
        account = self.s.accounts[account_id]
        if account.expiry_warned_days is not None and account.expiry_warned_days <= days:
            return False
        account.expiry_warned_days = days
        return True


class FakeMedia(_Repo):
    async def add(self, media: StoredMedia) -> StoredMedia:
        key = (media.workspace_id, media.sha256)
        self.s.media.setdefault(key, replace(media, id=self.s.new_id()))
        return self.s.media[key]

    async def by_hashes(self, workspace_id: int, hashes: Sequence[str]) -> list[StoredMedia]:
        return [
            self.s.media[(workspace_id, h)] for h in hashes if (workspace_id, h) in self.s.media
        ]

    async def usage(self, workspace_id: int) -> int:
        return sum(m.size for (ws, _), m in self.s.media.items() if ws == workspace_id)


class FakeConnects(_Repo):
    async def add_state(self, state: ConnectState) -> ConnectState:
        state.id = self.s.new_id()
        self.s.connect_states[state.token_hash] = _c(state)
        return state

    async def state(self, token_hash: str) -> ConnectState | None:
        return _c(self.s.connect_states.get(token_hash))

    async def spend(self, state_id: int, at: datetime) -> bool:
        for state in self.s.connect_states.values():
            if state.id == state_id and state.spent_at is None:
                state.spent_at = at
                return True
        return False

    async def app(self, platform: str, instance: str, redirect_uri: str) -> OAuthApp | None:
        return self.s.oauth_apps.get((platform, instance, redirect_uri))

    async def add_app(self, app: OAuthApp) -> None:
        key = (app.platform, app.instance, app.redirect_uri)
        if key in self.s.oauth_apps:
            raise Duplicate(str(key))
        self.s.oauth_apps[key] = app


class FakeLabels(_Repo):
    async def add(self, label: Label) -> Label:
        label.id = self.s.new_id()
        self.s.labels[label.id] = _c(label)
        return label

    async def by_name(self, workspace_id: int, name: str) -> Label | None:
        found = (
            lb
            for lb in self.s.labels.values()
            if lb.workspace_id == workspace_id and lb.name == name
        )
        return _c(next(found, None))

    async def list(self, workspace_id: int) -> list[Label]:
        return sorted(
            (_c(lb) for lb in self.s.labels.values() if lb.workspace_id == workspace_id),
            key=lambda lb: lb.name,
        )

    async def remove(self, label_id: int) -> None:
        label = self.s.labels.pop(label_id)
        for post in self.s.posts.values():
            if post.workspace_id == label.workspace_id and label.name in post.labels:
                post.labels.remove(label.name)


class FakePosts(_Repo):
    async def add(self, post: Post) -> Post:
        post.id = self.s.new_id()
        for entry in post.entries:
            entry.id = self.s.new_id()
            entry.post_id = post.id
        await self._declare_labels(post)
        self.s.posts[post.id] = _c(post)
        return post

    async def _declare_labels(self, post: Post) -> None:
        for name in post.labels:
            if not await FakeLabels(self.uow).by_name(post.workspace_id, name):
                await FakeLabels(self.uow).add(Label(post.workspace_id, name))

    async def get(self, post_id: int) -> Post | None:
        return _c(self.s.posts.get(post_id))

    async def by_number(self, workspace_id: int, number: int) -> Post | None:
        found = (
            p
            for p in self.s.posts.values()
            if p.workspace_id == workspace_id and p.number == number
        )
        return _c(next(found, None))

    async def lock(self, post_id: int) -> Post | None:
        return await self.get(post_id)

    async def lock_many(self, post_ids: Sequence[int]) -> list[Post]:
        return [_c(self.s.posts[i]) for i in sorted(set(post_ids)) if i in self.s.posts]

    async def compare_and_set_many(self, posts: Sequence[Post]) -> bool:
        for post in posts:
            if not await self.compare_and_set(post):
                return False  # the caller rolls back what was written
        return True

    async def save(self, post: Post) -> bool:
        stored = self.s.posts.get(post.id)
        if stored is None or stored.version != post.version:
            return False
        stored_entries = {e.id: e for e in stored.entries}
        for entry in post.entries:
            if entry.id and stored_entries[entry.id].version != entry.version:
                return False
        for entry in post.entries:
            if not entry.id:
                entry.id = self.s.new_id()
                entry.post_id = post.id
            else:
                entry.version += 1
        post.version += 1
        await self._declare_labels(post)
        self.s.posts[post.id] = _c(post)
        return True

    async def compare_and_set(self, post: Post) -> bool:
        stored = self.s.posts.get(post.id)
        if stored is None or stored.version != post.version:
            return False
        post.version += 1
        entries, labels = stored.entries, stored.labels
        self.s.posts[post.id] = _c(post)
        self.s.posts[post.id].entries, self.s.posts[post.id].labels = entries, labels
        return True

    async def set_labels(self, post: Post) -> None:
        await self._declare_labels(post)
        self.s.posts[post.id].labels = list(post.labels)

    async def remove(self, post: Post) -> bool:
        stored = self.s.posts.get(post.id)
        if stored is None or stored.version != post.version:
            return False
        del self.s.posts[post.id]
        # As the foreign keys cascade in SQL.
        self.s.comments = {k: c for k, c in self.s.comments.items() if c.post_id != post.id}
        self.s.reviews = [r for r in self.s.reviews if r.post_id != post.id]
        return True

    async def list(self, workspace_id: int, query: PostFilter) -> list[Post]:
        def when(p: Post) -> datetime:
            moment = p.scheduled_at or p.finished_at or p.created_at
            assert moment is not None
            return moment

        found = [
            p
            for p in self.s.posts.values()
            if p.workspace_id == workspace_id
            and (not query.statuses or p.status in query.statuses)
            and (query.label is None or query.label in p.labels)
            and (query.start is None or when(p) >= query.start)
            and (query.end is None or when(p) < query.end)
        ]
        return [_c(p) for p in sorted(found, key=lambda p: (when(p), p.number))][: query.limit]

    async def count(self, workspace_id: int, query: PostFilter) -> int:
        return len(await self.list(workspace_id, PostFilter(**{**query.__dict__, "limit": 10**9})))

    async def claim_due(self, now: datetime, limit: int) -> Sequence[int]:
        due = sorted(
            (
                p
                for p in self.s.posts.values()
                if p.status is PostStatus.SCHEDULED and p.scheduled_at and p.scheduled_at <= now
            ),
            key=lambda p: p.scheduled_at or now,
        )[:limit]
        for post in due:
            post.status = PostStatus.PUBLISHING
            post.claimed_at = now
            post.version += 1
        return [p.id for p in due]

    async def with_pending_entries(self, now: datetime, limit: int) -> Sequence[int]:
        return [
            p.id
            for p in self.s.posts.values()
            if p.status is PostStatus.PUBLISHING and any(e.ready(now) for e in p.entries)
        ][:limit]

    async def overdue_reviews(self, now: datetime, limit: int) -> Sequence[Post]:
        return [
            _c(p)
            for p in self.s.posts.values()
            if p.status is PostStatus.DRAFT
            and p.review_state is ReviewState.PENDING_REVIEW
            and p.scheduled_at
            and p.scheduled_at <= now
            and not p.review_overdue_noted
        ][:limit]

    async def overdue(self, before: datetime, limit: int) -> Sequence[Post]:
        return [
            _c(p)
            for p in self.s.posts.values()
            if p.status is PostStatus.SCHEDULED and p.scheduled_at and p.scheduled_at < before
        ][:limit]


class FakeEntries(_Repo):
    def _all(self) -> list[PlatformEntry]:
        return [e for p in self.s.posts.values() for e in p.entries]

    async def get(self, entry_id: int) -> PlatformEntry | None:
        return _c(next((e for e in self._all() if e.id == entry_id), None))

    async def compare_and_set(self, entry: PlatformEntry) -> bool:
        post = self.s.posts[entry.post_id]
        for i, stored in enumerate(post.entries):
            if stored.id == entry.id:
                if stored.version != entry.version:
                    return False
                entry.version += 1
                post.entries[i] = _c(entry)
                return True
        return False

    async def claim_many(
        self, entries: Sequence[PlatformEntry], now: datetime, lease_until: datetime, owner: str
    ) -> list[PlatformEntry]:
        stored = {e.id: e for e in self._all()}
        claimed = []
        for entry in entries:
            current = stored.get(entry.id)
            if current is None or not current.ready(now):
                continue
            current.move(EntryStatus.PUBLISHING)
            current.attempts += 1
            current.version += 1
            current.lease_until, current.lease_owner, current.not_before = lease_until, owner, None
            claimed.append(_c(current))
        return claimed

    async def write_many(self, entries: Sequence[PlatformEntry]) -> bool:
        for entry in entries:
            if not await self.compare_and_set(entry):
                return False  # the caller rolls back what was written
        return True

    async def stale_publishing(
        self, now: datetime, limit: int, gone_owners: Collection[str] = ()
    ) -> list[PlatformEntry]:
        return [
            _c(e)
            for e in self._all()
            if e.status is EntryStatus.PUBLISHING
            and ((e.lease_until and e.lease_until < now) or e.lease_owner in gone_owners)
        ][:limit]

    async def lease_owners(self) -> set[str]:
        return {
            e.lease_owner
            for e in self._all()
            if e.status is EntryStatus.PUBLISHING and e.lease_owner
        }


class FakeEvents(_Repo):
    async def add(self, event: DomainEvent) -> DomainEvent:
        event.id = len(self.s.events) + 1
        self.s.events.append(_c(event))
        return event

    async def add_many(self, events: Sequence[DomainEvent]) -> None:
        for event in events:
            await self.add(event)

    async def after(self, event_id: int, limit: int) -> Sequence[DomainEvent]:
        return [_c(e) for e in self.s.events if e.id > event_id][:limit]

    async def claim_unprocessed(self, limit: int) -> Sequence[DomainEvent]:
        return [_c(e) for e in self.s.events if e.id not in self.s.processed][:limit]

    async def mark_processed(self, event_id: int, at: datetime) -> None:
        self.s.processed.add(event_id)


class FakeNotifications(_Repo):
    async def add(self, notification: Notification) -> Notification:
        for stored in self.s.notifications.values():
            same = (stored.event_id, stored.type, stored.recipient_id)
            new = (notification.event_id, notification.type, notification.recipient_id)
            if notification.event_id is not None and same == new:
                return _c(stored)
        notification.id = self.s.new_id()
        self.s.notifications[notification.id] = _c(notification)
        return notification

    async def get(self, notification_id: int) -> Notification | None:
        return _c(self.s.notifications.get(notification_id))

    async def update(self, notification: Notification) -> None:
        self.s.notifications[notification.id] = _c(notification)

    async def inbox(self, recipient_id: int, query: InboxFilter) -> list[Notification]:
        def keep(n: Notification) -> bool:
            by_status = {
                None: n.archived_at is None,
                "unread": n.archived_at is None and n.read_at is None,
                "read": n.archived_at is None and n.read_at is not None,
                "archived": n.archived_at is not None,
            }[query.status]
            return (
                n.recipient_id == recipient_id
                and by_status
                and (query.category is None or n.category is query.category)
                and (query.since is None or n.created_at >= query.since)
            )

        found = sorted(
            (n for n in self.s.notifications.values() if keep(n)),
            key=lambda n: (n.created_at, n.id),
            reverse=True,
        )
        return [_c(n) for n in found[: query.limit]]

    async def unread_count(self, recipient_id: int) -> int:
        return len(await self.inbox(recipient_id, InboxFilter(status="unread", limit=10**9)))

    async def mark_all_read(self, recipient_id: int, at: datetime) -> int:
        unread = await self.inbox(recipient_id, InboxFilter(status="unread", limit=10**9))
        for n in unread:
            self.s.notifications[n.id].read_at = at
        return len(unread)

    async def archive_all(self, recipient_id: int, at: datetime) -> int:
        shown = await self.inbox(recipient_id, InboxFilter(limit=10**9))
        for n in shown:
            self.s.notifications[n.id].archived_at = at
            self.s.notifications[n.id].read_at = self.s.notifications[n.id].read_at or at
        return len(shown)


class FakeDeliveries(_Repo):
    async def add(self, delivery: Delivery) -> Delivery:
        delivery.id = self.s.new_id()
        self.s.deliveries[delivery.id] = _c(delivery)
        return delivery

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Delivery]:
        claimed = []
        for d in sorted(self.s.deliveries.values(), key=lambda d: d.id):
            due = (
                d.status is DeliveryStatus.PENDING and not d.digest and d.next_attempt_at <= now
            ) or (
                d.status is DeliveryStatus.SENDING
                and d.lease_until is not None
                and d.lease_until < now
            )
            if due and len(claimed) < limit:
                d.status, d.lease_until = DeliveryStatus.SENDING, lease_until
                d.version += 1
                claimed.append(_c(d))
        return claimed

    async def compare_and_set(self, delivery: Delivery) -> bool:
        stored = self.s.deliveries.get(delivery.id)
        if stored is None or stored.version != delivery.version:
            return False
        delivery.version += 1
        self.s.deliveries[delivery.id] = _c(delivery)
        return True

    async def waiting_for_digest(self, recipient_id: int) -> list[Delivery]:
        return [
            _c(d)
            for d in self.s.deliveries.values()
            if d.recipient_id == recipient_id and d.digest and d.status is DeliveryStatus.PENDING
        ]

    async def digest_recipients(self) -> list[int]:
        return sorted(
            {
                d.recipient_id
                for d in self.s.deliveries.values()
                if d.digest and d.status is DeliveryStatus.PENDING
            }
        )

    async def of_notification(self, notification_id: int) -> list[Delivery]:
        return [_c(d) for d in self.s.deliveries.values() if d.notification_id == notification_id]


class FakePreferences(_Repo):
    async def get(self, member_id: int) -> Preferences:
        return _c(self.s.preferences.get(member_id)) or Preferences(member_id)

    async def save(self, preferences: Preferences) -> None:
        self.s.preferences[preferences.member_id] = _c(preferences)


class FakeComments(_Repo):
    async def add(self, comment: Comment) -> Comment:
        comment.id = self.s.new_id()
        self.s.comments[comment.id] = _c(comment)
        return comment

    async def by_number(self, workspace_id: int, number: int) -> Comment | None:
        found = (
            c
            for c in self.s.comments.values()
            if c.workspace_id == workspace_id and c.number == number
        )
        return _c(next(found, None))

    async def update(self, comment: Comment) -> None:
        stored = self.s.comments[comment.id]
        stored.body, stored.edited_at = comment.body, comment.edited_at

    async def remove(self, comment_id: int) -> None:
        self.s.comments.pop(comment_id, None)

    async def of_post(self, post_id: int) -> list[Comment]:
        return [_c(c) for c in sorted(self.s.comments.values(), key=lambda c: c.id)
                if c.post_id == post_id]  # fmt: skip

    async def toggle_reaction(
        self, comment_id: int, member_id: int, emoji: str, at: datetime
    ) -> bool:
        return self.s.comments[comment_id].toggle(emoji, member_id)


class FakeReviews(_Repo):
    async def add(self, step: ReviewStep) -> ReviewStep:
        step.id = self.s.new_id()
        self.s.reviews.append(_c(step))
        return step

    async def of_post(self, post_id: int) -> list[ReviewStep]:
        return [_c(s) for s in self.s.reviews if s.post_id == post_id]


class FakeUnitOfWork:
    """A transaction: works on a copy of the store and swaps it in on commit.

    Commits are serialised by the store's lock, like SQLite's single writer.
    """

    def __init__(self, store: Store, *, read_only: bool = False) -> None:
        self.store = store
        self.working = store
        self.read_only = read_only
        self.workspaces = FakeWorkspaces(self)
        self.members = FakeMembers(self)
        self.accounts = FakeAccounts(self)
        self.labels = FakeLabels(self)
        self.posts = FakePosts(self)
        self.entries = FakeEntries(self)
        self.events = FakeEvents(self)
        self.notifications = FakeNotifications(self)
        self.deliveries = FakeDeliveries(self)
        self.preferences = FakePreferences(self)
        self.comments = FakeComments(self)
        self.reviews = FakeReviews(self)
        self.role_grants = FakeRoleGrants(self)
        self.media = FakeMedia(self)
        self.connects = FakeConnects(self)

    async def __aenter__(self) -> Self:
        await self.store.lock.acquire()
        self.working = copy.deepcopy(self._snapshot())
        return self

    def _snapshot(self) -> Store:
        lock, self.store.lock = self.store.lock, asyncio.Lock()
        snapshot = copy.deepcopy(self.store)
        self.store.lock = lock
        return snapshot

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.store.lock.release()

    async def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        for name in (
            "workspaces", "members", "accounts", "labels", "posts", "events", "counters",
            "processed", "notifications", "deliveries", "preferences", "comments",
            "comment_counters", "reviews", "role_grants", "media", "connect_states",
            "oauth_apps", "refresh_leases",
        ):  # fmt: skip
            setattr(self.store, name, getattr(self.working, name))
        self.store.next_id = self.working.next_id


class FakeUnitOfWorkFactory:
    def __init__(self) -> None:
        self.store = Store()

    def __call__(self, *, read_only: bool = False) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store, read_only=read_only)


class RecordingPlatform:
    """A platform client that records requests and fails as scripted per account."""

    def __init__(self) -> None:
        self.sent: list[PublishRequest] = []
        self.failures: dict[str, list[Exception]] = {}
        self.gate: asyncio.Event | None = None
        # How many publishes are held at the gate right now.
        self.waiting = 0

    def fail(self, account: str, *errors: Exception) -> None:
        self.failures.setdefault(account, []).extend(errors)

    async def publish(self, request: PublishRequest) -> PublishResult:
        if self.gate is not None:
            self.waiting += 1
            try:
                await self.gate.wait()
            finally:
                self.waiting -= 1
        queued = self.failures.get(request.account.name)
        if queued:
            raise queued.pop(0)
        self.sent.append(request)
        n = len(self.sent)
        return PublishResult(external_id=f"ext-{n}", url=f"https://example.test/{n}")


class Directory:
    def __init__(self, client: RecordingPlatform) -> None:
        self.client = client

    def client_for(self, platform: str) -> RecordingPlatform:
        return self.client


class RecordingChat:
    """A chat surface that records DMs, knows presence, and fails as scripted."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Reply, str]] = []
        self.presence_of: dict[str, Presence] = {}
        self.failures: list[DeliveryFailed] = []
        # Names whose DMs are refused for good (Discord's 50007, Slack's channel_not_found).
        self.closed: dict[str, str] = {}

    def refuse_for_good(self, name: str, reason: str = "cannot send messages to this user") -> None:
        self.closed[name] = reason

    def reaches(self, member: Member) -> bool:
        return True

    async def presence(self, member: Member) -> Presence:
        return self.presence_of.get(member.name, Presence.UNKNOWN)

    async def send_dm(self, member: Member, message: Reply, key: str) -> None:
        if member.name in self.closed:
            raise DeliveryFailed(self.closed[member.name], transient=False)
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((member.name, message, key))


class RecordingMailer:
    def __init__(self) -> None:
        self.sent: list[EmailNotice] = []
        self.confirmations: list[AddressConfirmation] = []
        self.failures: list[DeliveryFailed] = []

    async def send(self, email: EmailNotice) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(email)

    async def send_confirmation(self, email: AddressConfirmation) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.confirmations.append(email)
