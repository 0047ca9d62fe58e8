"""APScheduler wiring: a tick at second 0 of every minute, plus one at start-up."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

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
        self._running: asyncio.Task[object] | None = None
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

    async def _tick(self) -> None:
        self._running = asyncio.current_task()
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
        finally:
            self._running = None

    async def stop(self) -> None:
        """Stop ticking, then let the publish in flight finish (SIGTERM semantics)."""
        self._scheduler.shutdown(wait=False)
        running = self._running
        if running is not None and not running.done():
            await asyncio.shield(running)
