"""The minute tick: claim what is due, recover what was interrupted, publish."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from core.observe import NO_METER, Meter
from core.ports import Clock, TickProbe, UnitOfWorkFactory
from core.scheduling.overdue import note_overdue_reviews
from core.scheduling.publisher import Publisher
from core.scheduling.recovery import recover_interrupted


@dataclass(frozen=True)
class TickReport:
    claimed: int
    recovered: int
    published_posts: int


# Publishing posts with entries left over (a crashed worker's, a rate limit's) taken up
# per tick; more wait for the next one.
PENDING_PER_TICK = 1000


class Ticker:
    """One tick = claim every due post, recover stale entries, run every pending entry.

    Pending entries of any publishing post are run, not only the ones this worker
    claimed: a worker that died between claiming a post and sending its entries
    leaves them pending, and the next tick anywhere finishes the job. The entry
    claim makes that safe.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        publisher: Publisher,
        *,
        batch: int = 100,
        meter: Meter = NO_METER,
        probe: TickProbe | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._publisher = publisher
        self._batch = batch
        self._meter = meter
        self._probe = probe

    async def tick(self) -> TickReport:
        self._meter.count("ticks")
        if self._probe is not None and not await self._probe.work_waiting(self._clock.now()):
            self._meter.count("posts_claimed", 0)
            return TickReport(0, 0, 0)
        started: dict[int, asyncio.Task[None]] = {}
        claimed = await self._claim_every_due_post(started)
        recovered = await recover_interrupted(
            self._uow, self._clock, self._publisher.lease, self._publisher.liveness
        )
        async with self._uow() as uow:
            ready = await uow.posts.with_pending_entries(self._clock.now(), PENDING_PER_TICK)
        self._start(started, ready)
        await asyncio.gather(*started.values())
        report = TickReport(claimed, recovered, len(started))
        self._meter.count("posts_claimed", report.claimed)
        return report

    async def _claim_every_due_post(self, started: dict[int, "asyncio.Task[None]"]) -> int:
        """Claim in batches until none is left, each batch publishing while the next is
        claimed: however many are due, every one starts within its minute, as fast as
        the publisher's concurrency lets it."""
        claimed = 0
        first = True
        while True:
            async with self._uow() as uow:
                batch = await uow.posts.claim_due(self._clock.now(), self._batch)
                if first:
                    await note_overdue_reviews(uow, self._clock.now())
                await uow.commit()
            first = False
            claimed += len(batch)
            self._start(started, batch)
            if len(batch) < self._batch:
                return claimed

    def _start(self, started: dict[int, "asyncio.Task[None]"], post_ids: Sequence[int]) -> None:
        for post_id in post_ids:
            if post_id not in started:
                started[post_id] = asyncio.create_task(self._publisher.publish_post(post_id))
