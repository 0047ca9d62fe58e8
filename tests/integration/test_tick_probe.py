"""The tick's one-read probe (issue 13, P3), on SQLite and PostgreSQL: it says "work"
exactly when a full tick would find some, and on SQLite it reads through indexes only,
so an idle tick costs the same with ten posts or a million."""

from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlalchemy.ext.asyncio import AsyncEngine

from core.posts import Post
from core.states import PostStatus, ReviewState
from storage.probe import SqlTickProbe, work_select
from storage.repositories.post_queries import claim_ids_update, due_posts_select
from storage.uow import SqlUnitOfWorkFactory
from tests.integration.test_storage_claims import NOW, _post, _posts, _workspace


async def _work(engine: AsyncEngine, *posts: Post, uow: SqlUnitOfWorkFactory) -> bool:
    if posts:
        await _posts(uow, await _workspace(uow), *posts)
    probe = SqlTickProbe(engine)
    try:
        return await probe.work_waiting(NOW)
    finally:
        probe.close()


def _in_review(*, noted: bool) -> Post:
    post = _post(PostStatus.DRAFT, at=NOW - timedelta(minutes=1))
    post.review_state = ReviewState.PENDING_REVIEW
    post.review_overdue_noted = noted
    return post


async def test_nothing_to_do_when_every_post_waits_in_the_future_or_is_done(
    engine: AsyncEngine, uow_factory: SqlUnitOfWorkFactory
) -> None:
    later = _post(PostStatus.SCHEDULED, at=NOW + timedelta(minutes=1))
    done = _post(PostStatus.PUBLISHED, at=NOW - timedelta(hours=1))
    assert not await _work(engine, later, done, _in_review(noted=True), uow=uow_factory)


async def test_a_due_post_is_work(engine: AsyncEngine, uow_factory: SqlUnitOfWorkFactory) -> None:
    assert await _work(engine, _post(PostStatus.SCHEDULED, at=NOW), uow=uow_factory)


async def test_a_publishing_post_is_work_for_recovery_and_waiting_entries(
    engine: AsyncEngine, uow_factory: SqlUnitOfWorkFactory
) -> None:
    assert await _work(engine, _post(PostStatus.PUBLISHING, at=None), uow=uow_factory)


async def test_a_review_past_its_time_not_yet_noted_is_work(
    engine: AsyncEngine, uow_factory: SqlUnitOfWorkFactory
) -> None:
    assert await _work(engine, _in_review(noted=False), uow=uow_factory)


async def test_on_sqlite_the_probe_never_scans_the_posts_table(engine: AsyncEngine) -> None:
    if engine.dialect.name != "sqlite":
        return  # PostgreSQL plans it by index anyway; the plan test is SQLite's
    sql = str(
        work_select(NOW).compile(dialect=sqlite_dialect(), compile_kwargs={"literal_binds": True})
    )
    async with engine.connect() as connection:
        await connection.exec_driver_sql("ANALYZE")
        plan = [str(row[-1]) for row in await connection.execute(text("EXPLAIN QUERY PLAN " + sql))]
    assert not [step for step in plan if step.startswith("SCAN posts")], plan
    assert sum("USING COVERING INDEX ix_posts_status_scheduled_at" in s for s in plan) >= 2, plan


async def test_on_sqlite_a_claim_updates_by_primary_key_even_with_a_million_scheduled(
    engine: AsyncEngine,
) -> None:
    """With statistics of a million scheduled posts, one ``UPDATE … WHERE id IN (due)
    AND status = 'scheduled'`` ran as a scan of the status index under the write lock;
    the ids are read first, then updated by key."""
    if engine.dialect.name != "sqlite":
        return
    async with engine.connect() as connection:
        await connection.exec_driver_sql("ANALYZE")
        await connection.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl = 'posts'")
        await connection.exec_driver_sql(
            "INSERT INTO sqlite_stat1 VALUES "
            "('posts', 'ix_posts_status_scheduled_at', '1000000 1000000 1'), "
            "('posts', 'uq_posts_workspace_id_number', '1000000 1000000 1')"
        )
        await connection.exec_driver_sql("ANALYZE sqlite_schema")
        plans = {}
        for name, stmt in (
            ("select", due_posts_select(NOW, 100)),
            ("update", claim_ids_update([5, 6, 7], NOW)),
        ):
            sql = str(stmt.compile(dialect=sqlite_dialect(), compile_kwargs=_LITERAL))
            rows = await connection.execute(text("EXPLAIN QUERY PLAN " + sql))
            plans[name] = [str(row[-1]) for row in rows]
        await connection.commit()
    assert any("INDEX ix_posts_status_scheduled_at" in s for s in plans["select"]), plans
    assert plans["update"] == ["SEARCH posts USING INTEGER PRIMARY KEY (rowid=?)"], plans


_LITERAL = {"literal_binds": True, "render_postcompile": True}
