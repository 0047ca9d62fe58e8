"""A crashed worker's entries are recovered when it is known gone, not 10 minutes later."""

import subprocess
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from core.clock import ManualClock
from core.posts import PlatformEntry, Post
from core.scheduling.recovery import recover_interrupted
from core.states import EntryStatus, PostStatus
from core.workspace import Workspace
from storage.engine import session_factory
from storage.processes import STALE_AFTER, SqlProcessRegistry
from storage.tables import ProcessRow
from storage.uow import SqlUnitOfWorkFactory

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=10)


def _exited_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


async def _publishing_entry(uow_factory: SqlUnitOfWorkFactory, owner: str) -> int:
    async with uow_factory() as uow:
        workspace = await uow.workspaces.add(Workspace(name=f"w-{owner}"))
        number = await uow.workspaces.next_post_number(workspace.id)
        post = Post(
            workspace_id=workspace.id,
            author_id=1,
            text="t",
            number=number,
            status=PostStatus.PUBLISHING,
            created_at=NOW,
            updated_at=NOW,
            entries=[
                PlatformEntry(
                    1,
                    "sandbox",
                    "sandbox_post",
                    status=EntryStatus.PUBLISHING,
                    lease_until=NOW + LEASE,
                    lease_owner=owner,
                    attempts=1,
                )
            ],
        )
        post = await uow.posts.add(post)
        await uow.commit()
    return post.id


async def _entry_status(uow_factory: SqlUnitOfWorkFactory, post_id: int) -> EntryStatus:
    async with uow_factory() as uow:
        post = await uow.posts.get(post_id)
    assert post is not None
    return post.entries[0].status


async def test_entries_of_a_gone_process_are_recovered_before_their_lease_ends(
    engine: AsyncEngine, uow_factory: SqlUnitOfWorkFactory
) -> None:
    sessions = session_factory(engine)
    me = SqlProcessRegistry(sessions, "me")
    alive = SqlProcessRegistry(sessions, "alive")
    await me.beat()
    await alive.beat()  # this test's own pid: running
    async with sessions.begin() as session:
        session.add(
            ProcessRow(
                id="killed",
                host=me._host,
                pid=_exited_pid(),
                started_at=NOW,
                heartbeat_at=datetime.now(UTC),
            )
        )
        session.add(
            ProcessRow(
                id="silent",
                host="elsewhere",
                pid=1,
                started_at=NOW,
                heartbeat_at=datetime.now(UTC) - 2 * STALE_AFTER,
            )
        )
    posts = {
        owner: await _publishing_entry(uow_factory, owner)
        for owner in ("killed", "silent", "never-registered", "alive", "me")
    }

    recovered = await recover_interrupted(uow_factory, ManualClock(NOW), LEASE, me)

    assert recovered == 3
    # The sandbox honours idempotency keys: recovered entries go back to pending.
    for owner in ("killed", "silent", "never-registered"):
        assert await _entry_status(uow_factory, posts[owner]) is EntryStatus.PENDING, owner
    for owner in ("alive", "me"):
        assert await _entry_status(uow_factory, posts[owner]) is EntryStatus.PUBLISHING, owner


async def test_a_clean_stop_removes_the_process_row(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    registry = SqlProcessRegistry(sessions, "p1")
    await registry.beat()
    await registry.beat()
    assert await SqlProcessRegistry(sessions, "other").gone({"p1"}) == set()
    await registry.forget()
    assert await SqlProcessRegistry(sessions, "other").gone({"p1"}) == {"p1"}
