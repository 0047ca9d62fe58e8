"""Row ids are never handed out twice, and migration 0004 keeps the rows it rebuilds.

A reused id once let a new member of one workspace receive another workspace's
notices, and a new entry inherit a deleted entry's idempotency key (issue 14).
"""

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import create_engine_for
from storage.migrate import upgrade
from storage.tables import (
    DeliveryRow,
    LabelRow,
    MemberRow,
    NotificationRow,
    PlatformEntryRow,
    PostRow,
    SocialAccountRow,
    WorkspaceRow,
)

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def _insert(engine: AsyncEngine, table: type, **values: object) -> int:
    async with engine.begin() as connection:
        return int(
            (
                await connection.execute(insert(table).values(**values).returning(table.id))
            ).scalar_one()
        )  # type: ignore[attr-defined]


async def _workspace(engine: AsyncEngine, name: str) -> int:
    return await _insert(engine, WorkspaceRow, name=name, default_account_ids=[])


def _post_values(workspace_id: int, number: int) -> dict[str, object]:
    return {
        "workspace_id": workspace_id,
        "number": number,
        "author_id": 1,
        "text": "t",
        "media": [],
        "status": "draft",
        "review_state": "none",
        "created_at": NOW,
        "updated_at": NOW,
    }


def _entry_values(post_id: int, key: str) -> dict[str, object]:
    return {
        "post_id": post_id,
        "account_id": 1,
        "platform": "sandbox",
        "content_type": "sandbox_post",
        "status": "pending",
        "key": key,
    }


async def _notification(engine: AsyncEngine, workspace_id: int, member_id: int) -> int:
    return await _insert(
        engine,
        NotificationRow,
        workspace_id=workspace_id,
        recipient_id=member_id,
        type="post_published",
        category="publishing",
        payload={},
        created_at=NOW,
    )


async def _delivery(engine: AsyncEngine, notification_id: int) -> int:
    return await _insert(
        engine,
        DeliveryRow,
        notification_id=notification_id,
        recipient_id=1,
        channel="chat_dm",
        status="pending",
        next_attempt_at=NOW,
        created_at=NOW,
    )


async def test_a_deleted_rows_id_is_never_given_to_the_next_row(engine: AsyncEngine) -> None:
    ws = await _workspace(engine, "a")
    makers = {
        MemberRow: lambda: _insert(
            engine, MemberRow, workspace_id=ws, name=f"m{_n()}", role="editor"
        ),
        SocialAccountRow: lambda: _insert(
            engine,
            SocialAccountRow,
            workspace_id=ws,
            platform="sandbox",
            name=f"a{_n()}",
            handle="h",
            status="connected",
            credentials_encrypted="x",
        ),
        LabelRow: lambda: _insert(engine, LabelRow, workspace_id=ws, name=f"l{_n()}"),
        PostRow: lambda: _insert(engine, PostRow, **_post_values(ws, _n())),
    }
    for table, make in makers.items():
        first = await make()
        async with engine.begin() as connection:
            await connection.execute(delete(table).where(table.id == first))  # type: ignore[attr-defined]
        assert await make() > first, table.__tablename__
    post = await _insert(engine, PostRow, **_post_values(ws, _n()))
    entry = await _insert(engine, PlatformEntryRow, **_entry_values(post, "k1"))
    async with engine.begin() as connection:
        await connection.execute(delete(PlatformEntryRow).where(PlatformEntryRow.id == entry))
    assert await _insert(engine, PlatformEntryRow, **_entry_values(post, "k2")) > entry
    member = await _insert(engine, MemberRow, workspace_id=ws, name="recipient", role="editor")
    notification = await _notification(engine, ws, member)
    delivery = await _delivery(engine, notification)
    async with engine.begin() as connection:
        await connection.execute(delete(NotificationRow))
    assert await _notification(engine, ws, member) > notification
    assert await _delivery(engine, await _notification(engine, ws, member)) > delivery
    async with engine.begin() as connection:
        await connection.execute(delete(WorkspaceRow).where(WorkspaceRow.id == ws))
    assert await _workspace(engine, "b") > ws


_counter = iter(range(1, 1_000_000))


def _n() -> int:
    return next(_counter)


async def test_migration_0004_keeps_every_row_and_gives_each_entry_a_key(tmp_path: object) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/old.db"
    await upgrade(url, "0003")
    engine = create_engine_for(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO workspaces (id, name, default_account_ids) VALUES (1, 'w', '[]')")
            )
            await connection.execute(
                text(
                    "INSERT INTO members (id, workspace_id, name, role)"
                    " VALUES (1, 1, 'ann', 'owner')"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO posts (id, workspace_id, number, author_id, text, media, status,"
                    " review_state, created_at, updated_at) VALUES"
                    " (1, 1, 1, 1, 'kept', '[]', 'publishing', 'none', :now, :now)"
                ),
                {"now": NOW.isoformat()},
            )
            for entry_id, status in ((1, "publishing"), (2, "pending")):
                await connection.execute(
                    text(
                        "INSERT INTO platform_entries (id, post_id, account_id, platform,"
                        " content_type, status) VALUES (:id, 1, 1, 'sandbox', 'sandbox_post', :s)"
                    ),
                    {"id": entry_id, "s": status},
                )
        await engine.dispose()
        await upgrade(url)
        engine = create_engine_for(url)
        async with engine.connect() as connection:
            assert (await connection.execute(select(MemberRow.name))).scalars().all() == ["ann"]
            assert (await connection.execute(select(PostRow.text))).scalars().all() == ["kept"]
            keys = dict(
                (await connection.execute(select(PlatformEntryRow.id, PlatformEntryRow.key))).all()
            )
        # The entry caught mid-send keeps its old key, so a recovered re-send is the same
        # request; the other gets a random one.
        assert keys[1] == "entry-1"
        assert keys[2] != "entry-2" and len(keys[2]) == 24
        assert await _insert(engine, MemberRow, workspace_id=1, name="bo", role="editor") == 2
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    "table", ["members", "posts", "platform_entries", "notifications", "comments", "review_steps"]
)
async def test_sqlite_tables_are_declared_autoincrement(tmp_path: object, table: str) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/schema.db"
    await upgrade(url)
    engine = create_engine_for(url)
    try:
        async with engine.connect() as connection:
            sql = await connection.scalar(
                text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"),
                {"t": table},
            )
        assert "AUTOINCREMENT" in str(sql)
    finally:
        await engine.dispose()
