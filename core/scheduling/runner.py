"""APScheduler wiring: a tick at second 0 of every minute, plus one at start-up."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from core.ports import Clock, UnitOfWorkFactory
from core.scheduling.recovery import fail_missed
from core.scheduling.tick import Ticker

log = logging.getLogger(__name__)


class MinuteScheduler:
    """Runs the ticker every minute; stopping waits for an in-flight tick to finish."""

    def __init__(
        self,
        ticker: Ticker,
        uow: UnitOfWorkFactory,
        clock: Clock,
        *,
        missed_grace: timedelta = timedelta(minutes=15),
    ) -> None:
        self._ticker = ticker
        self._uow = uow
        self._clock = clock
        self._grace = missed_grace
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        # Held for the whole of a tick, so stopping can wait for the one in flight.
        self._ticking = asyncio.Lock()
        self._job_locks: list[asyncio.Lock] = [self._ticking]
        self.last_tick_at: datetime | None = None

    async def start(self) -> None:
        missed = await fail_missed(self._uow, self._clock, self._grace)
        if missed:
            log.warning("posts missed while the bot was down", extra={"count": missed})
        self._scheduler.add_job(
            self._tick,
            CronTrigger(second=0, timezone=UTC),
            id="tick",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=30,
            # The catch-up tick: publish what came due during start-up at once.
            next_run_time=datetime.now(UTC),
        )
        self._scheduler.start()

    def every(
        self, seconds: float, job: Callable[[], Awaitable[object]], *, at_start: bool = False
    ) -> None:
        """Run another periodic job beside the tick (the outbox, digests, tokens);
        ``at_start`` runs it once as soon as the scheduler starts, too."""

        running = asyncio.Lock()
        self._job_locks.append(running)

        async def guarded() -> None:
            async with running:
                try:
                    await job()
                except Exception:
                    log.exception("periodic job failed", extra={"job": job.__name__})

        self._scheduler.add_job(
            guarded,
            IntervalTrigger(seconds=seconds, timezone=UTC),
            coalesce=True,
            max_instances=1,
            misfire_grace_time=30,
            **({"next_run_time": datetime.now(UTC)} if at_start else {}),
        )

    async def _tick(self) -> None:
        async with self._ticking:
            await self._tick_once()

    async def _tick_once(self) -> None:
        try:
            report = await self._ticker.tick()
            self.last_tick_at = self._clock.now()
            if report.published_posts or report.recovered:
                log.info(
                    "tick",
                    extra={
                        "claimed": report.claimed,
                        "recovered": report.recovered,
                        "posts": report.published_posts,
                    },
                )
        except Exception:
            # A failing tick (database down, say) must not stop the next ones.
            log.exception("tick failed")

    async def stop(self) -> None:
        """Stop ticking, let the jobs in flight finish, then shut down (SIGTERM).

        The order matters: APScheduler's shutdown cancels running coroutine jobs, so
        it comes only once every job in flight has released its lock.
        """
        if not self._scheduler.running:
            return
        self._scheduler.pause()
        for lock in self._job_locks:
            await lock.acquire()
        self._scheduler.shutdown(wait=False)
        for lock in self._job_locks:
            lock.release()
