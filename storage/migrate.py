"""Run the Alembic migrations programmatically (``trypost db upgrade`` and tests).

The migration scripts ship inside the package, so no ``alembic.ini`` is needed on
disk; the database URL is passed in, never read from the environment here.
"""

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.engine import create_engine_for

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config for our migrations; ``url`` is used when no connection is given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # Kept out of the ini options, where '%' in a password would be interpolated.
        config.attributes["url"] = url
    return config


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` up to ``revision`` (the newest by default)."""
    engine = create_engine_for(url)
    try:
        await upgrade_engine(engine, revision)
    finally:
        await engine.dispose()


async def upgrade_engine(engine: AsyncEngine, revision: str = "head") -> None:
    """Like :func:`upgrade` on an engine the caller owns (e.g. an in-memory SQLite)."""
    async with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite rebuilds a table to change it, and dropping the old copy would run
            # every ON DELETE CASCADE pointing at it. The pragma is ignored inside a
            # transaction, so it is set on the driver's connection before ours begins.
            await _sqlite_pragma(connection, "PRAGMA foreign_keys = OFF")
        try:
            await connection.run_sync(_upgrade, revision)
            await connection.commit()
            if sqlite and await _sqlite_pragma(connection, "PRAGMA foreign_key_check"):
                raise RuntimeError("a migration left rows whose foreign keys point nowhere")
        finally:
            if sqlite:
                await _sqlite_pragma(connection, "PRAGMA foreign_keys = ON")


async def _sqlite_pragma(connection: AsyncConnection, pragma: str) -> list[Any]:
    raw = await connection.get_raw_connection()
    assert raw.driver_connection is not None, "an open connection has a driver connection"
    cursor = await raw.driver_connection.execute(pragma)
    try:
        return list(await cursor.fetchall())
    finally:
        await cursor.close()


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
