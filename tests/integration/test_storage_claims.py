"""The scheduler's queries (claiming, pending, overdue, stale) and the list filters."""

import asyncio
from datetime import UTC, datetime, timedelta

from core.ports import PostFilter
from core.posts import PlatformEntry, Post
from core.states import EntryStatus, PostStatus
from core.workspace import Workspace
from storage.uow import SqlUnitOfWorkFactory

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
S = PostStatus


async def _workspace(uow_factory: SqlUnitOfWorkFactory, name: str = "acme") -> int:
    async with uow_factory() as uow:
        workspace = await uow.workspaces.add(Workspace(name=name))
        await uow.commit()
    return workspace.id


async def _posts(uow_factory: SqlUnitOfWorkFactory, workspace_id: int, *specs: Post) -> list[Post]:
    async with uow_factory() as uow:
        for post in specs:
            post.workspace_id = workspace_id
            post.number = await uow.workspaces.next_post_number(workspace_id)
            await uow.posts.add(post)
        await uow.commit()
    return list(specs)


def _post(
    status: PostStatus = S.DRAFT,
    *,
    at: datetime | None = None,
    labels: tuple[str, ...] = (),
    created: datetime = NOW - timedelta(days=1),
    finished: datetime | None = None,
    entries: list[PlatformEntry] | None = None,
) -> Post:
    return Post(
        workspace_id=0,
        author_id=1,
        text="text",
        status=status,
        scheduled_at=at,
        labels=list(labels),
        created_at=created,
        updated_at=created,
        finished_at=finished,
        entries=entries if entries is not None else [PlatformEntry(1, "sandbox", "sandbox_post")],
    )


def _entry(
    status: EntryStatus,
    *,
    enabled: bool = True,
    lease: datetime | None = None,
    not_before: datetime | None = None,
) -> PlatformEntry:
    return PlatformEntry(
        1,
        "sandbox",
        "sandbox_post",
        enabled=enabled,
        status=status,
        lease_until=lease,
        not_before=not_before,
    )


async def test_claim_due_flips_only_due_scheduled_posts(uow_factory: SqlUnitOfWorkFactory) -> None:
    ws = await _workspace(uow_factory)
    due, exact, later, draft = await _posts(
        uow_factory,
        ws,
        _post(S.SCHEDULED, at=NOW - timedelta(minutes=5)),
        _post(S.SCHEDULED, at=NOW),
        _post(S.SCHEDULED, at=NOW + timedelta(minutes=1)),
        _post(S.DRAFT),
    )
    async with uow_factory() as uow:
        claimed = await uow.posts.claim_due(NOW, 10)
        await uow.commit()
    assert sorted(claimed) == sorted([due.id, exact.id])

    async with uow_factory() as uow:
        stored = await uow.posts.get(due.id)
        assert stored is not None
        assert stored.status is S.PUBLISHING and stored.claimed_at == NOW
        assert stored.version == due.version + 1
        untouched = await uow.posts.get(later.id)
        assert untouched is not None and untouched.status is S.SCHEDULED
        assert await uow.posts.claim_due(NOW, 10) == []


async def test_claim_due_takes_the_oldest_first_up_to_the_limit(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    ws = await _workspace(uow_factory)
    posts = await _posts(
        uow_factory, ws, *(_post(S.SCHEDULED, at=NOW - timedelta(minutes=m)) for m in (1, 3, 2))
    )
    async with uow_factory() as uow:
        claimed = await uow.posts.claim_due(NOW, 2)
        await uow.commit()
    assert sorted(claimed) == sorted([posts[1].id, posts[2].id])


async def test_two_workers_never_claim_the_same_post(uow_factory: SqlUnitOfWorkFactory) -> None:
    ws = await _workspace(uow_factory)
    posts = await _posts(
        uow_factory, ws, *(_post(S.SCHEDULED, at=NOW - timedelta(seconds=i)) for i in range(30))
    )

    async def worker() -> list[int]:
        async with uow_factory() as uow:
            claimed = await uow.posts.claim_due(NOW, 20)
            await asyncio.sleep(0.01)  # hold the claim while the other worker runs
            await uow.commit()
        return list(claimed)

    first, second = await asyncio.gather(worker(), worker())
    assert not set(first) & set(second)
    assert sorted(first + second) == sorted(p.id for p in posts)


async def test_many_workers_split_the_due_posts_between_them(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    ws = await _workspace(uow_factory)
    posts = await _posts(
        uow_factory, ws, *(_post(S.SCHEDULED, at=NOW - timedelta(seconds=i)) for i in range(24))
    )

    async def worker() -> list[int]:
        async with uow_factory() as uow:
            claimed = await uow.posts.claim_due(NOW, 5)
            await uow.commit()
        return list(claimed)

    rounds = [await asyncio.gather(*(worker() for _ in range(4))) for _ in range(2)]
    every = [post_id for batch in rounds for ids in batch for post_id in ids]
    assert len(every) == len(set(every)) == 24
    assert set(every) == {p.id for p in posts}


async def test_with_pending_entries_lists_publishing_posts_with_work_left(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    ws = await _workspace(uow_factory)
    minute = timedelta(minutes=1)
    waiting, done, disabled, draft, rate_limited, waited = await _posts(
        uow_factory,
        ws,
        _post(S.PUBLISHING, entries=[_entry(EntryStatus.PUBLISHED), _entry(EntryStatus.PENDING)]),
        _post(S.PUBLISHING, entries=[_entry(EntryStatus.PUBLISHED)]),
        _post(S.PUBLISHING, entries=[_entry(EntryStatus.PENDING, enabled=False)]),
        _post(S.DRAFT, entries=[_entry(EntryStatus.PENDING)]),
        _post(S.PUBLISHING, entries=[_entry(EntryStatus.PENDING, not_before=NOW + minute)]),
        _post(S.PUBLISHING, entries=[_entry(EntryStatus.PENDING, not_before=NOW - minute)]),
    )
    async with uow_factory() as uow:
        ready = await uow.posts.with_pending_entries(NOW, 10)
        assert sorted(ready) == [waiting.id, waited.id], "not the one waiting out its limit"


async def test_overdue_lists_scheduled_posts_earlier_than_the_cutoff(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    ws = await _workspace(uow_factory)
    old, recent, _failed = await _posts(
        uow_factory,
        ws,
        _post(S.SCHEDULED, at=NOW - timedelta(hours=3)),
        _post(S.SCHEDULED, at=NOW - timedelta(minutes=5)),
        _post(S.FAILED, at=NOW - timedelta(hours=5)),
    )
    async with uow_factory() as uow:
        assert [p.id for p in await uow.posts.overdue(NOW - timedelta(hours=1), 10)] == [old.id]
        assert [p.id for p in await uow.posts.overdue(NOW, 10)] == [old.id, recent.id]


async def test_stale_publishing_finds_entries_whose_lease_ended(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    ws = await _workspace(uow_factory)
    (post,) = await _posts(
        uow_factory,
        ws,
        _post(
            S.PUBLISHING,
            entries=[
                _entry(EntryStatus.PUBLISHING, lease=NOW - timedelta(minutes=1)),
                _entry(EntryStatus.PUBLISHING, lease=NOW + timedelta(minutes=1)),
                _entry(EntryStatus.PUBLISHED, lease=NOW - timedelta(minutes=1)),
            ],
        ),
    )
    async with uow_factory() as uow:
        stale = await uow.entries.stale_publishing(NOW, 10)
    assert stale == [post.entries[0]]


async def test_list_filters_by_status_label_and_window_in_calendar_order(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    ws = await _workspace(uow_factory)
    other = await _workspace(uow_factory, "other")
    day = timedelta(days=1)
    draft, scheduled, published, late = await _posts(
        uow_factory,
        ws,
        _post(S.DRAFT, labels=("promo",), created=NOW - 2 * day),
        _post(S.SCHEDULED, at=NOW + day, labels=("promo", "launch")),
        _post(S.PUBLISHED, finished=NOW - day, labels=("launch",), created=NOW - 5 * day),
        _post(S.SCHEDULED, at=NOW + 3 * day),
    )
    await _posts(uow_factory, other, _post(S.SCHEDULED, at=NOW + day, labels=("promo",)))

    async def ids(query: PostFilter) -> list[int]:
        async with uow_factory() as uow:
            return [p.id for p in await uow.posts.list(ws, query)]

    assert await ids(PostFilter()) == [draft.id, published.id, scheduled.id, late.id]
    assert await ids(PostFilter(statuses=frozenset({S.SCHEDULED}))) == [scheduled.id, late.id]
    assert await ids(PostFilter(statuses=frozenset({S.DRAFT, S.PUBLISHED}))) == [
        draft.id,
        published.id,
    ]
    assert await ids(PostFilter(label="promo")) == [draft.id, scheduled.id]
    assert await ids(PostFilter(label="nothing")) == []
    assert await ids(PostFilter(start=NOW - day, end=NOW + day)) == [published.id]
    assert await ids(PostFilter(start=NOW, end=NOW + 3 * day)) == [scheduled.id]
    assert await ids(PostFilter(start=NOW)) == [scheduled.id, late.id]
    assert await ids(PostFilter(label="launch", end=NOW)) == [published.id]
    assert await ids(PostFilter(limit=2)) == [draft.id, published.id]


async def test_list_orders_posts_at_the_same_time_by_number(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    ws = await _workspace(uow_factory)
    posts = await _posts(uow_factory, ws, *(_post(S.SCHEDULED, at=NOW) for _ in range(3)))
    async with uow_factory() as uow:
        listed = await uow.posts.list(ws, PostFilter())
    assert [p.number for p in listed] == [1, 2, 3]
    assert [p.id for p in listed] == [p.id for p in posts]


async def test_claim_many_leases_only_entries_still_ready(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    """One statement claims a batch; an entry claimed (or put on hold) by another
    transaction first is left out, and the claimed ones carry their stored state."""
    ws = await _workspace(uow_factory)
    held = NOW + timedelta(minutes=5)
    (post,) = await _posts(
        uow_factory,
        ws,
        _post(
            S.PUBLISHING,
            entries=[
                _entry(EntryStatus.PENDING),
                _entry(EntryStatus.PENDING),
                _entry(EntryStatus.PENDING, not_before=held),
                _entry(EntryStatus.PENDING),
            ],
        ),  # fmt: skip
    )
    async with uow_factory() as uow:
        loaded = await uow.posts.get(post.id)
        assert loaded is not None
        first, second, waiting, _ = loaded.entries
    async with uow_factory() as other:  # another worker takes the second one first
        taken = await other.entries.get(second.id)
        assert taken is not None
        taken.move(EntryStatus.PUBLISHING)
        assert await other.entries.compare_and_set(taken)
        await other.commit()
    lease = NOW + timedelta(minutes=10)
    async with uow_factory() as uow:
        claimed = await uow.entries.claim_many([first, second, waiting], NOW, lease, "me")
        await uow.commit()
    assert [e.id for e in claimed] == [first.id]
    async with uow_factory() as uow:
        stored = await uow.entries.get(first.id)
    assert stored is not None and stored == claimed[0]
    assert (stored.status, stored.attempts, stored.lease_owner) == (
        EntryStatus.PUBLISHING, 1, "me"
    )  # fmt: skip


async def test_write_many_is_all_or_nothing_on_versions(uow_factory: SqlUnitOfWorkFactory) -> None:
    ws = await _workspace(uow_factory)
    entries = [_entry(EntryStatus.PUBLISHING), _entry(EntryStatus.PUBLISHING)]
    (post,) = await _posts(uow_factory, ws, _post(S.PUBLISHING, entries=entries))
    async with uow_factory() as uow:
        loaded = await uow.posts.get(post.id)
        assert loaded is not None
    one, two = loaded.entries
    for entry in (one, two):
        entry.move(EntryStatus.PUBLISHED)
    stale = PlatformEntry(**{**two.__dict__, "version": two.version - 1})
    read = one.version
    async with uow_factory() as uow:
        assert not await uow.entries.write_many([one, stale])
        await uow.commit()
    assert one.version == read, "no version bumped in memory on failure"
    async with uow_factory() as uow:
        unchanged = await uow.posts.get(post.id)
    assert unchanged is not None and unchanged.entries[0].status is EntryStatus.PUBLISHING
    async with uow_factory() as uow:
        assert await uow.entries.write_many([one, two])
        await uow.commit()
    async with uow_factory() as uow:
        stored = await uow.posts.get(post.id)
    assert stored is not None
    assert [(e.status, e.version) for e in stored.entries] == [
        (EntryStatus.PUBLISHED, one.version), (EntryStatus.PUBLISHED, two.version)
    ]  # fmt: skip
