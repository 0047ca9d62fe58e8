"""The minute tick: claim what is due, recover what was interrupted, publish."""

import asyncio
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
        runs: list[asyncio.Task[None]] = []
        claimed, posts = await self._claim_every_due_post(runs)
        recovered = await recover_interrupted(
            self._uow, self._clock, self._publisher.lease, self._publisher.liveness
        )
        async with self._uow() as uow:
            ready = await uow.posts.with_pending_entries(self._clock.now(), PENDING_PER_TICK)
        leftover = [post_id for post_id in ready if post_id not in posts]
        if leftover:
            runs.append(asyncio.create_task(self._publisher.publish_posts(leftover)))
        await asyncio.gather(*runs)
        report = TickReport(claimed, recovered, len(posts) + len(leftover))
        self._meter.count("posts_claimed", report.claimed)
        return report

    async def _claim_every_due_post(self, runs: list["asyncio.Task[None]"]) -> tuple[int, set[int]]:
        """Claim in batches until none is left, each batch publishing while the next is
        claimed: however many are due, every one starts within its minute, as fast as
        the publisher's concurrency lets it. A batch is claimed only when the publisher
        has room, so the posts this worker cannot send soon stay due for other workers.

        A batch's entries are leased in the same transaction that claims its posts.
        """
        claimed = 0
        posts: set[int] = set()
        first = True
        while True:
            await self._publisher.wait_for_room()
            async with self._uow() as uow:
                batch = await uow.posts.claim_due(self._clock.now(), self._batch)
                work = await self._publisher.claim(uow, batch)
                if first:
                    await note_overdue_reviews(uow, self._clock.now())
                await uow.commit()
            first = False
            claimed += len(batch)
            posts.update(batch)
            if work.jobs:
                runs.append(self._publisher.start(work.jobs))
            if len(batch) < self._batch:
                return claimed, posts
