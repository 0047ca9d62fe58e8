"""The inbox, the outbox of deliveries, preferences, event consumption and post counts,
against real SQLite and PostgreSQL databases."""

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from core.events import DomainEvent, EventKind
from core.notifications.model import (
    Channel,
    Delivery,
    DeliveryStatus,
    EmailMode,
    Notification,
    Preferences,
)
from core.notifications.ports import InboxFilter
from core.notifications.types import Category, NoticeType
from core.ports import PostFilter
from core.posts import PlatformEntry, Post
from core.roles import Role
from core.states import PostStatus
from core.workspace import Member, Workspace
from storage.uow import SqlUnitOfWorkFactory

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
N = NoticeType


async def _members(uow_factory: SqlUnitOfWorkFactory, *names: str) -> list[Member]:
    async with uow_factory() as uow:
        workspace = await uow.workspaces.add(Workspace(name="acme"))
        members = [
            await uow.members.add(Member(workspace_id=workspace.id, name=name, role=Role.EDITOR))
            for name in names
        ]
        await uow.commit()
    return members


def _notice(
    member: Member,
    notice: NoticeType = N.POST_PUBLISHED,
    *,
    at: datetime = NOW,
    event_id: int | None = None,
    read_at: datetime | None = None,
    archived_at: datetime | None = None,
) -> Notification:
    return Notification(
        workspace_id=member.workspace_id,
        recipient_id=member.id,
        type=notice,
        created_at=at,
        payload={"post_number": 7, "platforms": ["sandbox"]},
        post_id=70,
        event_id=event_id,
        read_at=read_at,
        archived_at=archived_at,
    )


async def _add_notices(
    uow_factory: SqlUnitOfWorkFactory, *notices: Notification
) -> list[Notification]:
    async with uow_factory() as uow:
        stored = [await uow.notifications.add(n) for n in notices]
        await uow.commit()
    return stored


def _delivery(
    notification: Notification,
    *,
    status: DeliveryStatus = DeliveryStatus.PENDING,
    due: datetime = NOW,
    digest: bool = False,
    lease: datetime | None = None,
    channel: Channel = Channel.CHAT_DM,
    created: datetime = NOW,
) -> Delivery:
    return Delivery(
        notification_id=notification.id,
        channel=channel,
        recipient_id=notification.recipient_id,
        created_at=created,
        next_attempt_at=due,
        status=status,
        digest=digest,
        lease_until=lease,
    )


async def _add_deliveries(
    uow_factory: SqlUnitOfWorkFactory, *deliveries: Delivery
) -> list[Delivery]:
    async with uow_factory() as uow:
        for delivery in deliveries:
            await uow.deliveries.add(delivery)
        await uow.commit()
    return list(deliveries)


async def _one_notice(uow_factory: SqlUnitOfWorkFactory) -> tuple[Member, Notification]:
    (ann,) = await _members(uow_factory, "ann")
    (notice,) = await _add_notices(uow_factory, _notice(ann))
    return ann, notice


async def _events(uow_factory: SqlUnitOfWorkFactory, count: int) -> list[DomainEvent]:
    async with uow_factory() as uow:
        events = [
            await uow.events.add(
                DomainEvent(EventKind.POST_FINISHED, workspace_id=1, occurred_at=NOW, post_id=i)
            )
            for i in range(count)
        ]
        await uow.commit()
    return events


# --- notifications: the inbox --------------------------------------------------------


async def test_notification_round_trips_with_its_payload_and_marks(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    (ann,) = await _members(uow_factory, "ann")
    (added,) = await _add_notices(
        uow_factory, _notice(ann, N.ACCOUNT_DISCONNECTED, event_id=3, read_at=NOW + MINUTE)
    )
    assert added.id > 0
    async with uow_factory() as uow:
        stored = await uow.notifications.get(added.id)
        assert await uow.notifications.get(added.id + 1000) is None
    assert stored == added
    assert stored.category is Category.SYSTEM
    assert stored.read_at is not None and stored.read_at.tzinfo is not None


async def test_update_writes_the_read_and_archived_marks(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    _ann, notice = await _one_notice(uow_factory)
    async with uow_factory() as uow:
        await uow.notifications.update(
            replace(notice, read_at=NOW + MINUTE, archived_at=NOW + 2 * MINUTE)
        )
        await uow.commit()
    async with uow_factory() as uow:
        stored = await uow.notifications.get(notice.id)
    assert stored is not None
    assert (stored.read_at, stored.archived_at) == (NOW + MINUTE, NOW + 2 * MINUTE)


async def test_adding_the_same_notice_of_an_event_again_returns_the_stored_one(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    ann, bob = await _members(uow_factory, "ann", "bob")
    (first,) = await _add_notices(uow_factory, _notice(ann, event_id=5))
    async with uow_factory() as uow:
        replay = _notice(ann, event_id=5, at=NOW + MINUTE)
        again = await uow.notifications.add(replay)
        other_type = await uow.notifications.add(_notice(ann, N.POST_FAILED, event_id=5))
        other_member = await uow.notifications.add(_notice(bob, event_id=5))
        await uow.commit()

    assert again == first
    assert again is not replay and replay.id == 0  # the replay itself is left alone
    assert len({first.id, other_type.id, other_member.id}) == 3
    async with uow_factory() as uow:
        assert len(await uow.notifications.inbox(ann.id, InboxFilter())) == 2


async def test_notices_without_an_event_are_never_deduplicated(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    (ann,) = await _members(uow_factory, "ann")
    first, second = await _add_notices(uow_factory, _notice(ann), _notice(ann))
    assert first.id != second.id


async def test_concurrent_adds_of_one_notice_store_it_once(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    (ann,) = await _members(uow_factory, "ann")

    async def project() -> int:
        async with uow_factory() as uow:
            stored = await uow.notifications.add(_notice(ann, event_id=9))
            await asyncio.sleep(0.01)  # hold the insert while the other projector runs
            await uow.commit()
        return stored.id

    first, second = await asyncio.gather(project(), project())
    assert first == second
    async with uow_factory() as uow:
        assert [n.id for n in await uow.notifications.inbox(ann.id, InboxFilter())] == [first]


async def test_inbox_shows_everything_not_archived_newest_first(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    ann, bob = await _members(uow_factory, "ann", "bob")
    old, read, archived, new, _bobs = await _add_notices(
        uow_factory,
        _notice(ann, at=NOW - 3 * MINUTE),
        _notice(ann, at=NOW - 2 * MINUTE, read_at=NOW),
        _notice(ann, at=NOW - MINUTE, archived_at=NOW),
        _notice(ann, at=NOW),
        _notice(bob, at=NOW),
    )
    async with uow_factory() as uow:
        inbox = await uow.notifications.inbox(ann.id, InboxFilter())
    assert [n.id for n in inbox] == [new.id, read.id, old.id]


async def test_inbox_filters_by_status(uow_factory: SqlUnitOfWorkFactory) -> None:
    (ann,) = await _members(uow_factory, "ann")
    unread, read, archived_unread, archived_read = await _add_notices(
        uow_factory,
        _notice(ann, at=NOW - 4 * MINUTE),
        _notice(ann, at=NOW - 3 * MINUTE, read_at=NOW),
        _notice(ann, at=NOW - 2 * MINUTE, archived_at=NOW),
        _notice(ann, at=NOW - MINUTE, read_at=NOW, archived_at=NOW),
    )

    async def ids(query: InboxFilter) -> list[int]:
        async with uow_factory() as uow:
            return [n.id for n in await uow.notifications.inbox(ann.id, query)]

    assert await ids(InboxFilter(status="unread")) == [unread.id]
    assert await ids(InboxFilter(status="read")) == [read.id]
    assert await ids(InboxFilter(status="archived")) == [archived_read.id, archived_unread.id]


async def test_inbox_filters_by_category_since_and_limit(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    (ann,) = await _members(uow_factory, "ann")
    published, comment, approval, recent_comment = await _add_notices(
        uow_factory,
        _notice(ann, N.POST_PUBLISHED, at=NOW - 3 * MINUTE),
        _notice(ann, N.MENTIONED_IN_COMMENT, at=NOW - 2 * MINUTE),
        _notice(ann, N.APPROVAL_REQUESTED, at=NOW - MINUTE),
        _notice(ann, N.COMMENT_REPLY, at=NOW),
    )

    async def ids(query: InboxFilter) -> list[int]:
        async with uow_factory() as uow:
            return [n.id for n in await uow.notifications.inbox(ann.id, query)]

    assert await ids(InboxFilter(category=Category.COMMENTS)) == [recent_comment.id, comment.id]
    assert await ids(InboxFilter(category=Category.TEAM)) == []
    assert await ids(InboxFilter(since=NOW - 2 * MINUTE)) == [
        recent_comment.id,
        approval.id,
        comment.id,
    ]
    assert await ids(InboxFilter(category=Category.COMMENTS, since=NOW - MINUTE)) == [
        recent_comment.id
    ]
    assert await ids(InboxFilter(limit=2)) == [recent_comment.id, approval.id]
    assert published.id in await ids(InboxFilter(category=Category.PUBLISHING))


async def test_unread_count_counts_only_unread_notices_not_archived(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    ann, bob = await _members(uow_factory, "ann", "bob")
    await _add_notices(
        uow_factory,
        _notice(ann),
        _notice(ann),
        _notice(ann, read_at=NOW),
        _notice(ann, archived_at=NOW),
        _notice(bob),
    )
    async with uow_factory() as uow:
        assert await uow.notifications.unread_count(ann.id) == 2
        assert await uow.notifications.unread_count(bob.id) == 1


async def test_mark_all_read_marks_the_members_unread_notices_and_counts_them(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    ann, bob = await _members(uow_factory, "ann", "bob")
    unread, earlier_read, _archived, bobs = await _add_notices(
        uow_factory,
        _notice(ann),
        _notice(ann, read_at=NOW - MINUTE),
        _notice(ann, archived_at=NOW),
        _notice(bob),
    )
    async with uow_factory() as uow:
        assert await uow.notifications.mark_all_read(ann.id, NOW) == 1
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.notifications.unread_count(ann.id) == 0
        assert await uow.notifications.unread_count(bob.id) == 1
        stored = {n.id: n for n in await uow.notifications.inbox(ann.id, InboxFilter())}
    assert stored[unread.id].read_at == NOW
    assert stored[earlier_read.id].read_at == NOW - MINUTE  # an earlier mark is kept


async def test_archive_all_archives_and_marks_read_every_notice_not_yet_archived(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    ann, bob = await _members(uow_factory, "ann", "bob")
    unread, read, earlier, _bobs = await _add_notices(
        uow_factory,
        _notice(ann),
        _notice(ann, read_at=NOW - MINUTE),
        _notice(ann, archived_at=NOW - MINUTE),
        _notice(bob),
    )
    async with uow_factory() as uow:
        assert await uow.notifications.archive_all(ann.id, NOW) == 2
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.notifications.inbox(ann.id, InboxFilter()) == []
        archived = await uow.notifications.inbox(ann.id, InboxFilter(status="archived"))
        assert len(await uow.notifications.inbox(bob.id, InboxFilter())) == 1
    assert len(archived) == 3
    by_id = {n.id: n for n in archived}
    assert by_id[earlier.id].archived_at == NOW - MINUTE  # an earlier archive is kept
    assert (by_id[unread.id].archived_at, by_id[unread.id].read_at) == (NOW, NOW)
    assert by_id[read.id].read_at == NOW - MINUTE  # so is an earlier read mark


async def test_removing_a_member_removes_their_notices_deliveries_and_preferences(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    ann, notice = await _one_notice(uow_factory)
    (delivery,) = await _add_deliveries(uow_factory, _delivery(notice))
    async with uow_factory() as uow:
        await uow.preferences.save(Preferences(ann.id, digest_hour=6))
        await uow.commit()
    async with uow_factory() as uow:
        await uow.members.remove(ann.id)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.notifications.get(notice.id) is None
        assert await uow.deliveries.of_notification(notice.id) == []
        assert await uow.preferences.get(ann.id) == Preferences(ann.id)


# --- deliveries: the outbox ----------------------------------------------------------


async def test_delivery_round_trips_and_is_listed_with_its_notification(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    _ann, notice = await _one_notice(uow_factory)
    chat, email = await _add_deliveries(
        uow_factory,
        _delivery(notice),
        _delivery(notice, channel=Channel.EMAIL, digest=True, due=NOW + MINUTE),
    )
    assert 0 < chat.id < email.id
    async with uow_factory() as uow:
        assert await uow.deliveries.of_notification(notice.id) == [chat, email]
        assert await uow.deliveries.of_notification(notice.id + 1000) == []


async def test_claim_due_takes_only_due_pending_deliveries_not_held_for_a_digest(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    _ann, notice = await _one_notice(uow_factory)
    due, exact, later, digest, sent, failed = await _add_deliveries(
        uow_factory,
        _delivery(notice, due=NOW - MINUTE),
        _delivery(notice, due=NOW),
        _delivery(notice, due=NOW + MINUTE),
        _delivery(notice, due=NOW - MINUTE, digest=True),
        _delivery(notice, due=NOW - MINUTE, status=DeliveryStatus.SENT),
        _delivery(notice, due=NOW - MINUTE, status=DeliveryStatus.FAILED),
    )
    lease = NOW + 5 * MINUTE
    async with uow_factory() as uow:
        claimed = await uow.deliveries.claim_due(NOW, lease, 10)
        await uow.commit()

    assert [d.id for d in claimed] == [due.id, exact.id]
    for delivery in claimed:
        assert delivery.status is DeliveryStatus.SENDING
        assert delivery.lease_until == lease
        assert delivery.version == 1
    async with uow_factory() as uow:
        stored = {d.id: d for d in await uow.deliveries.of_notification(notice.id)}
        assert await uow.deliveries.claim_due(NOW, lease, 10) == []
    assert stored[due.id] == claimed[0]
    assert stored[later.id].status is DeliveryStatus.PENDING
    assert stored[digest.id].status is DeliveryStatus.PENDING


async def test_claim_due_retakes_a_sending_delivery_whose_lease_ended(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    _ann, notice = await _one_notice(uow_factory)
    abandoned, held = await _add_deliveries(
        uow_factory,
        _delivery(notice, status=DeliveryStatus.SENDING, lease=NOW - MINUTE),
        _delivery(notice, status=DeliveryStatus.SENDING, lease=NOW + MINUTE),
    )
    async with uow_factory() as uow:
        claimed = await uow.deliveries.claim_due(NOW, NOW + 5 * MINUTE, 10)
        await uow.commit()
    assert [(d.id, d.lease_until, d.version) for d in claimed] == [
        (abandoned.id, NOW + 5 * MINUTE, abandoned.version + 1)
    ]


async def test_claim_due_takes_the_earliest_first_up_to_the_limit(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    _ann, notice = await _one_notice(uow_factory)
    deliveries = await _add_deliveries(
        uow_factory, *(_delivery(notice, due=NOW - m * MINUTE) for m in (1, 3, 2))
    )
    async with uow_factory() as uow:
        claimed = await uow.deliveries.claim_due(NOW, NOW + MINUTE, 2)
        await uow.commit()
    assert {d.id for d in claimed} == {deliveries[1].id, deliveries[2].id}


async def test_two_dispatchers_never_claim_the_same_delivery(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    _ann, notice = await _one_notice(uow_factory)
    deliveries = await _add_deliveries(
        uow_factory, *(_delivery(notice, due=NOW - i * MINUTE) for i in range(30))
    )

    async def dispatcher() -> list[int]:
        async with uow_factory() as uow:
            claimed = await uow.deliveries.claim_due(NOW, NOW + MINUTE, 20)
            await asyncio.sleep(0.01)  # hold the claim while the other dispatcher runs
            await uow.commit()
        return [d.id for d in claimed]

    first, second = await asyncio.gather(dispatcher(), dispatcher())
    assert not set(first) & set(second)
    assert sorted(first + second) == sorted(d.id for d in deliveries)


async def test_delivery_compare_and_set_refuses_a_stale_version(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    _ann, notice = await _one_notice(uow_factory)
    (delivery,) = await _add_deliveries(uow_factory, _delivery(notice))
    async with uow_factory() as uow:
        (claimed,) = await uow.deliveries.claim_due(NOW, NOW + MINUTE, 1)
        await uow.commit()
    stale = replace(delivery, status=DeliveryStatus.SENT, sent_at=NOW)  # version 0, stored 1

    async with uow_factory() as uow:
        assert not await uow.deliveries.compare_and_set(stale)
        claimed.status, claimed.sent_at, claimed.attempts = DeliveryStatus.SENT, NOW, 1
        claimed.lease_until = None
        assert await uow.deliveries.compare_and_set(claimed)
        await uow.commit()
    assert claimed.version == 2 and stale.version == 0

    async with uow_factory() as uow:
        assert await uow.deliveries.of_notification(notice.id) == [claimed]


async def test_digest_queries_find_pending_digest_deliveries_per_member(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    ann, bob, cat = await _members(uow_factory, "ann", "bob", "cat")
    ann_notice, bob_notice, cat_notice = await _add_notices(
        uow_factory, _notice(ann), _notice(bob), _notice(cat)
    )
    email = Channel.EMAIL
    newer, older, _now, _sent, _bobs, _cats_now = await _add_deliveries(
        uow_factory,
        _delivery(ann_notice, channel=email, digest=True, created=NOW),
        _delivery(ann_notice, channel=email, digest=True, created=NOW - MINUTE),
        _delivery(ann_notice, channel=email),
        _delivery(ann_notice, channel=email, digest=True, status=DeliveryStatus.SENT),
        _delivery(bob_notice, channel=email, digest=True),
        _delivery(cat_notice, channel=email),
    )
    async with uow_factory() as uow:
        assert await uow.deliveries.digest_recipients() == [ann.id, bob.id]
        assert await uow.deliveries.waiting_for_digest(ann.id) == [older, newer]
        assert await uow.deliveries.waiting_for_digest(cat.id) == []


# --- preferences ---------------------------------------------------------------------


async def test_preferences_are_the_defaults_when_none_were_saved(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    (ann,) = await _members(uow_factory, "ann")
    async with uow_factory() as uow:
        prefs = await uow.preferences.get(ann.id)
    assert prefs == Preferences(member_id=ann.id)
    assert prefs.wants_email(N.POST_PUBLISHED) and not prefs.wants_email(N.POST_SCHEDULED)


async def test_saving_preferences_again_overwrites_them(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    ann, bob = await _members(uow_factory, "ann", "bob")
    first = Preferences(
        ann.id,
        chat={N.POST_SCHEDULED: False},
        email={N.POST_SCHEDULED: True, N.MEMBER_JOINED: False},
        email_mode=EmailMode.DIGEST,
        digest_hour=7,
        email_only_when_away=True,
        last_digest_on="2026-02-28",
    )
    async with uow_factory() as uow:
        await uow.preferences.save(first)
        await uow.commit()
    async with uow_factory() as uow:
        stored = await uow.preferences.get(ann.id)
    assert stored == first
    assert all(isinstance(key, NoticeType) for key in [*stored.chat, *stored.email])

    second = replace(first, chat={}, email={N.POST_FAILED: False}, email_mode=EmailMode.IMMEDIATE)
    second.last_digest_on = None
    async with uow_factory() as uow:
        await uow.preferences.save(second)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.preferences.get(ann.id) == second
        assert await uow.preferences.get(bob.id) == Preferences(bob.id)


# --- events: the projector's queue ---------------------------------------------------


async def test_claim_unprocessed_returns_events_oldest_first_up_to_the_limit(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    events = await _events(uow_factory, 5)
    async with uow_factory() as uow:
        claimed = await uow.events.claim_unprocessed(3)
    assert claimed == events[:3]


async def test_processed_events_are_not_claimed_again(uow_factory: SqlUnitOfWorkFactory) -> None:
    events = await _events(uow_factory, 4)
    async with uow_factory() as uow:
        for event in await uow.events.claim_unprocessed(2):
            await uow.events.mark_processed(event.id, NOW)
        await uow.commit()
    async with uow_factory() as uow:
        assert [e.id for e in await uow.events.claim_unprocessed(10)] == [
            events[2].id,
            events[3].id,
        ]


async def test_events_claimed_without_commit_stay_unprocessed(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    events = await _events(uow_factory, 2)
    async with uow_factory() as uow:
        for event in await uow.events.claim_unprocessed(10):
            await uow.events.mark_processed(event.id, NOW)
        # A projector that fails before commit: the events must come back.
    async with uow_factory() as uow:
        assert await uow.events.claim_unprocessed(10) == events


async def test_two_consumers_never_claim_the_same_event(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    events = await _events(uow_factory, 10)

    async def consumer() -> list[int]:
        async with uow_factory() as uow:
            claimed = await uow.events.claim_unprocessed(6)
            await asyncio.sleep(0.01)  # hold the lock while the other consumer runs
            for event in claimed:
                await uow.events.mark_processed(event.id, NOW)
            await uow.commit()
        return [e.id for e in claimed]

    first, second = await asyncio.gather(consumer(), consumer())
    assert not set(first) & set(second)
    assert sorted(first + second) == [e.id for e in events]


# --- posts and workspaces ------------------------------------------------------------


async def test_post_count_matches_list_without_its_limit(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        workspace = await uow.workspaces.add(Workspace(name="acme"))
        other = await uow.workspaces.add(Workspace(name="other"))
        specs = [
            (workspace.id, PostStatus.DRAFT, ["promo"], None),
            (workspace.id, PostStatus.SCHEDULED, ["promo"], NOW + MINUTE),
            (workspace.id, PostStatus.SCHEDULED, [], NOW + timedelta(days=2)),
            (workspace.id, PostStatus.PUBLISHED, ["launch"], NOW - MINUTE),
            (other.id, PostStatus.SCHEDULED, ["promo"], NOW + MINUTE),
        ]
        for ws, status, labels, at in specs:
            post = Post(
                workspace_id=ws,
                author_id=1,
                text="text",
                status=status,
                labels=labels,
                scheduled_at=at,
                created_at=NOW - timedelta(days=1),
                updated_at=NOW - timedelta(days=1),
                entries=[PlatformEntry(1, "sandbox", "sandbox_post")],
            )
            post.number = await uow.workspaces.next_post_number(ws)
            await uow.posts.add(post)
        await uow.commit()

    queries = [
        PostFilter(),
        PostFilter(limit=1),
        PostFilter(statuses=frozenset({PostStatus.SCHEDULED})),
        PostFilter(statuses=frozenset({PostStatus.SCHEDULED, PostStatus.PUBLISHED})),
        PostFilter(label="promo"),
        PostFilter(label="nothing"),
        PostFilter(start=NOW, end=NOW + timedelta(days=1)),
        PostFilter(start=NOW - timedelta(days=2), label="promo"),
    ]
    async with uow_factory() as uow:
        for query in queries:
            unlimited = replace(query, limit=1000)
            listed = await uow.posts.list(workspace.id, unlimited)
            assert await uow.posts.count(workspace.id, query) == len(listed), query
        assert await uow.posts.count(workspace.id, PostFilter(limit=1)) == 4
        assert await uow.posts.count(other.id, PostFilter()) == 1


async def test_workspace_keeps_its_monthly_post_cap(uow_factory: SqlUnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        capped = await uow.workspaces.add(Workspace(name="capped", monthly_post_cap=30))
        free = await uow.workspaces.add(Workspace(name="free"))
        await uow.commit()
    async with uow_factory() as uow:
        assert (await uow.workspaces.get(capped.id)) == capped
        stored = await uow.workspaces.get(free.id)
        assert stored is not None and stored.monthly_post_cap is None
        stored.monthly_post_cap = 5
        await uow.workspaces.update(stored)
        await uow.commit()
    async with uow_factory() as uow:
        again = await uow.workspaces.get(free.id)
    assert again is not None and again.monthly_post_cap == 5
