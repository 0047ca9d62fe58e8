"""Alembic migrations: from nothing to head on both databases, no drift, indexed queries."""

import re
from datetime import UTC, datetime
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import ClauseElement, Connection, Executable, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

from storage.engine import create_engine_for
from storage.migrate import alembic_config, upgrade
from storage.repositories import due_posts_select
from storage.tables import DomainEventRow, metadata

DUE_INDEX = "ix_posts_status_scheduled_at"
UNPROCESSED_INDEX = "ix_domain_events_processed_at_id"
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


class Explain(Executable, ClauseElement):
    """``EXPLAIN <statement>`` with the statement's own bound parameters."""

    inherit_cache = False

    def __init__(self, statement: ClauseElement, prefix: str) -> None:
        self.statement = statement
        self.prefix = prefix


@compiles(Explain)
def _compile_explain(element: Explain, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{element.prefix} {compiler.process(element.statement, **kw)}"


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))


async def test_upgrade_from_an_empty_database_creates_every_table(
    empty_database_url: str,
) -> None:
    await upgrade(empty_database_url)
    engine = create_engine_for(empty_database_url)
    try:
        assert await _tables(engine) == set(metadata.tables) | {"alembic_version"}
        async with engine.connect() as connection:
            version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
        assert version == HEAD
    finally:
        await engine.dispose()


async def test_upgrading_an_up_to_date_database_changes_nothing(engine: AsyncEngine) -> None:
    before = await _tables(engine)
    await upgrade(engine.url.render_as_string(hide_password=False))
    assert await _tables(engine) == before


async def test_migrated_schema_matches_the_models(engine: AsyncEngine) -> None:
    def drift(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, metadata))

    async with engine.connect() as connection:
        assert await connection.run_sync(drift) == []


async def test_downgrade_to_base_removes_every_table(engine: AsyncEngine) -> None:
    def downgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "base")

    async with engine.begin() as connection:
        await connection.run_sync(downgrade)
    assert await _tables(engine) <= {"alembic_version"}


async def test_due_posts_query_is_an_index_range_scan(engine: AsyncEngine) -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    async with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            query = due_posts_select(now, 100)
            rows = await connection.execute(Explain(query, "EXPLAIN QUERY PLAN"))
            plan = "\n".join(str(row[-1]) for row in rows)
            assert re.search(rf"SEARCH posts USING (COVERING )?INDEX {DUE_INDEX}", plan), plan
            assert "scheduled_at<" in plan, plan  # the time bound is part of the search
            assert "TEMP B-TREE" not in plan, plan  # the index gives the order too
        else:
            # Tiny tables make a sequential scan cheapest; forbid it to see the index used.
            await connection.execute(text("SET enable_seqscan = off"))
            query = due_posts_select(now, 100, skip_locked=True)
            rows = await connection.execute(Explain(query, "EXPLAIN"))
            plan = "\n".join(str(row[0]) for row in rows)
            assert re.search(rf"(Index Scan|Index Only Scan) using {DUE_INDEX}", plan) or re.search(
                rf"Bitmap Index Scan on {DUE_INDEX}", plan
            ), plan
            assert re.search(r"Index Cond: .*scheduled_at <=", plan), plan


async def test_events_stored_before_notifications_existed_are_not_announced(
    empty_database_url: str,
) -> None:
    await upgrade(empty_database_url, "0001")
    engine = create_engine_for(empty_database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO domain_events (kind, workspace_id, occurred_at, payload) "
                    "VALUES ('post_finished', 1, :at, '{}')"
                ),
                {"at": datetime(2026, 1, 5, 8, 0, tzinfo=UTC)},
            )
        await upgrade(empty_database_url)
        async with engine.connect() as connection:
            processed = await connection.scalar(select(DomainEventRow.processed_at))
        assert processed == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    finally:
        await engine.dispose()


async def test_unprocessed_events_query_uses_its_index(engine: AsyncEngine) -> None:
    query = (
        select(DomainEventRow.id)
        .where(DomainEventRow.processed_at.is_(None))
        .order_by(DomainEventRow.id)
        .limit(100)
    )
    async with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = await connection.execute(Explain(query, "EXPLAIN QUERY PLAN"))
            plan = "\n".join(str(row[-1]) for row in rows)
            assert re.search(
                rf"SEARCH domain_events USING (COVERING )?INDEX {UNPROCESSED_INDEX}", plan
            ), plan
            assert "TEMP B-TREE" not in plan, plan
        else:
            await connection.execute(text("SET enable_seqscan = off"))
            rows = await connection.execute(
                Explain(query.with_for_update(skip_locked=True), "EXPLAIN")
            )
            plan = "\n".join(str(row[0]) for row in rows)
            assert re.search(
                rf"(Index (Only )?Scan using|Bitmap Index Scan on) {UNPROCESSED_INDEX}", plan
            ), plan
            assert re.search(r"Index Cond: .*processed_at IS NULL", plan), plan
