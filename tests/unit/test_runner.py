"""The APScheduler wiring: a catch-up tick at start, and a stop that lets it finish."""

import asyncio
from datetime import UTC, datetime

from core.clock import ManualClock
from core.scheduling.runner import MinuteScheduler
from core.scheduling.tick import TickReport
from tests.fakes import FakeUnitOfWorkFactory


class SlowTicker:
    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.finished = 0

    async def tick(self) -> TickReport:
        self.started.set()
        await asyncio.sleep(0.3)
        self.finished += 1
        return TickReport(0, 0, 0)


async def test_a_catch_up_tick_runs_at_start_and_stop_waits_for_it() -> None:
    ticker = SlowTicker()
    scheduler = MinuteScheduler(
        ticker,  # type: ignore[arg-type]
        FakeUnitOfWorkFactory(),
        ManualClock(datetime(2026, 1, 1, tzinfo=UTC)),
    )
    await scheduler.start()
    await asyncio.wait_for(ticker.started.wait(), 5)
    await scheduler.stop()
    assert ticker.finished == 1, "the tick in flight was finished, not cancelled"
    assert scheduler.last_tick_at is not None
