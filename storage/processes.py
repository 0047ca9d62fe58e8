"""Which bot processes are alive, so a crashed one's entry leases are taken over at once.

Each process writes a heartbeat row. Another process counts it gone when the row is
missing, when its heartbeat is older than ``STALE_AFTER``, or when it ran on this
host and its pid no longer runs: a worker killed and restarted on the same machine
(the SQLite case: one host owns the file) gives its entries up at the restart, without
waiting for a lease or a heartbeat to age.
"""

import os
import socket
from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.tables import ProcessRow

# Heartbeats come every HEARTBEAT; three missed in a row mean the process is gone.
HEARTBEAT = timedelta(seconds=15)
STALE_AFTER = 3 * HEARTBEAT


class SqlProcessRegistry:
    """This process's heartbeat row, and the liveness of the others (ProcessLiveness).

    Liveness is wall-clock time whatever clock the bot runs on: a simulated clock
    moves posts, not processes.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], process_id: str) -> None:
        self._sessions = sessions
        self.process_id = process_id
        self._host = socket.gethostname()[:255]

    async def beat(self) -> None:
        """Say this process is alive (the first beat registers it)."""
        now = datetime.now(UTC)
        async with self._sessions.begin() as session:
            stmt = update(ProcessRow).where(ProcessRow.id == self.process_id)
            if (await session.execute(stmt.values(heartbeat_at=now))).rowcount == 0:  # type: ignore[attr-defined]
                session.add(
                    ProcessRow(
                        id=self.process_id, host=self._host, pid=os.getpid(),
                        started_at=now, heartbeat_at=now,
                    )
                )  # fmt: skip

    async def forget(self) -> None:
        """A clean stop: nothing of ours is left in flight."""
        async with self._sessions.begin() as session:
            await session.execute(delete(ProcessRow).where(ProcessRow.id == self.process_id))

    async def gone(self, owners: Collection[str]) -> set[str]:
        others = set(owners) - {self.process_id}
        if not others:
            return set()
        async with self._sessions() as session:
            rows = (
                await session.scalars(select(ProcessRow).where(ProcessRow.id.in_(others)))
            ).all()
        fresh_after = datetime.now(UTC) - STALE_AFTER
        alive = {
            row.id
            for row in rows
            if row.heartbeat_at >= fresh_after
            and not (row.host == self._host and not _pid_runs(row.pid))
        }
        return others - alive


def _pid_runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it runs
    return True
