"""The minute tick: claim what is due, recover what was interrupted, publish."""

import asyncio
from dataclasses import dataclass

from core.observe import NO_METER, Meter
from core.ports import Clock, UnitOfWorkFactory
from core.scheduling.overdue import note_overdue_reviews
from core.scheduling.publisher import Publisher
from core.scheduling.recovery import recover_interrupted


@dataclass(frozen=True)
class TickReport:
    claimed: int
    recovered: int
    published_posts: int


class Ticker:
    """One tick = claim due posts, recover stale entries, run every pending entry.

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
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._publisher = publisher
        self._batch = batch
        self._meter = meter

    async def tick(self) -> TickReport:
        async with self._uow() as uow:
            claimed = await uow.posts.claim_due(self._clock.now(), self._batch)
            await note_overdue_reviews(uow, self._clock.now())
            await uow.commit()
        recovered = await recover_interrupted(
            self._uow, self._clock, self._publisher.lease, self._publisher.liveness
        )
        async with self._uow() as uow:
            ready = await uow.posts.with_pending_entries(self._clock.now(), self._batch)
        post_ids = list(dict.fromkeys([*claimed, *ready]))
        await asyncio.gather(*(self._publisher.publish_post(pid) for pid in post_ids))
        report = TickReport(len(claimed), recovered, len(post_ids))
        self._meter.count("ticks")
        self._meter.count("posts_claimed", report.claimed)
        return report
