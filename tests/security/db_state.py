"""Every row of every table, read with plain SQL: to compare the database before and after
requests that must change nothing, and to look for secrets in what is stored."""

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

Dump = dict[str, list[tuple[str, ...]]]
# Written by the running process itself, whoever asks what: not the data under test.
BOOKKEEPING = frozenset({"processes", "alembic_version"})


def _tables(connection: Connection) -> list[str]:
    return sorted(inspect(connection).get_table_names())


async def dump(engine: AsyncEngine, *, skip: frozenset[str] = BOOKKEEPING) -> Dump:
    """Each table's rows as sorted tuples of strings (so any column type compares)."""
    found: Dump = {}
    async with engine.connect() as connection:
        for table in await connection.run_sync(_tables):
            if table in skip:
                continue
            rows = await connection.execute(text(f'SELECT * FROM "{table}"'))
            found[table] = sorted(tuple(map(str, row)) for row in rows)
    return found


def changed(before: Dump, after: Dump) -> dict[str, tuple[int, int]]:
    """The tables whose rows differ: name → (rows before, rows after)."""
    return {
        name: (len(before.get(name, [])), len(after.get(name, [])))
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }
