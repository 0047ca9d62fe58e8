"""Issue 13, faults: PostgreSQL drops every connection of the bot in the middle of a
tick (a failover, a restart, an idle-connection reaper). The tick in flight finishes
or fails cleanly, the next one recovers, and the post is published exactly once."""

import contextlib
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from core.accounts import SocialAccount
from core.clock import ManualClock
from core.ports import PublishRequest, PublishResult
from core.posts import PlatformEntry, Post
from core.roles import Role
from core.scheduling.publisher import Publisher
from core.scheduling.tick import Ticker
from core.states import PostStatus
from core.workspace import Member, Workspace
from platforms.directory import Platforms
from platforms.sandbox import SandboxClient
from storage.probe import SqlTickProbe
from storage.uow import SqlUnitOfWorkFactory
from tests.integration.test_storage_claims import NOW


async def _drop_connections(engine: AsyncEngine) -> int:
    """What the server does at a failover: end every session on the bot's database."""
    url = make_url(engine.url)
    admin = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, database="postgres", timeout=3
    )
    try:
        return len(
            await admin.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                url.database,
            )
        )
    finally:
        await admin.close()


class DroppingPlatform:
    """Publishes through the real sandbox client, but first has the server drop every
    connection: the claim is committed, the finish is still to come."""

    def __init__(self, engine: AsyncEngine, sandbox: SandboxClient) -> None:
        self.engine = engine
        self.sandbox = sandbox
        self.dropped = 0

    async def publish(self, request: PublishRequest) -> PublishResult:
        self.dropped += await _drop_connections(self.engine)
        return await self.sandbox.publish(request)


async def test_connections_dropped_mid_tick_leave_the_post_published_once(
    engine: AsyncEngine, uow_factory: SqlUnitOfWorkFactory, tmp_path: Path
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL failover; SQLite has no server to drop connections")
    clock = ManualClock(NOW)
    async with uow_factory() as uow:
        workspace = await uow.workspaces.add(Workspace(name="acme"))
        owner = await uow.members.add(Member(workspace.id, "olive", Role.OWNER))
        account = await uow.accounts.add(SocialAccount(workspace.id, "sandbox", "main", "@main"))
        await uow.posts.add(
            Post(
                workspace_id=workspace.id,
                author_id=owner.id,
                text="Launch",
                number=1,
                status=PostStatus.SCHEDULED,
                scheduled_at=NOW - timedelta(minutes=1),
                created_at=NOW,
                updated_at=NOW,
                entries=[PlatformEntry(account.id, "sandbox", "sandbox_post")],
            )  # fmt: skip
        )
        await uow.commit()
    sandbox = SandboxClient(tmp_path / "sandbox")
    platform = DroppingPlatform(engine, sandbox)
    publisher = Publisher(uow_factory, Platforms({"sandbox": platform}), clock)  # type: ignore[dict-item]
    ticker = Ticker(uow_factory, clock, publisher, probe=SqlTickProbe(engine))

    # A tick may fail with its connection; the runner logs it and goes on.
    with contextlib.suppress(Exception):
        await ticker.tick()
    await _drop_connections(engine)  # and again between ticks: the pool holds dead ones
    clock.advance(timedelta(minutes=11))  # past the lease, should the finish have failed
    for _ in range(2):
        await ticker.tick()

    assert platform.dropped >= 1, "the server really dropped the bot's connections"
    async with uow_factory() as uow:
        post = await uow.posts.by_number(workspace.id, 1)
    assert post is not None and post.status is PostStatus.PUBLISHED
    written = list((tmp_path / "sandbox").rglob("*.json"))
    assert len(written) == 1, "published exactly once"
