"""Work after an ack waits while other requests wait for theirs, never past patience."""

import asyncio

from bot.slack.ack_first import AckFirst


async def _started(lane: AckFirst, log: list[str], name: str) -> None:
    async with lane.work():
        log.append(name)


async def test_work_waits_until_no_request_waits_for_its_ack() -> None:
    lane = AckFirst(patience=5.0, quiet=0.01)
    log: list[str] = []
    with lane.request():
        work = asyncio.create_task(_started(lane, log, "work"))
        await asyncio.sleep(0.05)
        assert log == []  # a request is still being acked
        assert lane.unanswered == 1
    await asyncio.wait_for(work, 1)
    assert log == ["work"] and lane.unanswered == 0


async def test_a_listener_that_acked_no_longer_holds_work_back() -> None:
    lane = AckFirst(patience=5.0, quiet=0.0)
    log: list[str] = []
    with lane.request():
        lane.acked()  # this request's own work must not wait for its handler to return
        lane.acked()  # twice is once
        assert lane.unanswered == 0
        await asyncio.wait_for(_started(lane, log, "own"), 1)
    assert log == ["own"] and lane.unanswered == 0


async def test_requests_arriving_in_a_burst_defer_work_until_a_quiet_moment() -> None:
    lane = AckFirst(patience=5.0, quiet=0.05)
    log: list[str] = []
    with lane.request():
        pass
    loop = asyncio.get_running_loop()
    began = loop.time()
    await asyncio.wait_for(_started(lane, log, "after"), 1)
    assert loop.time() - began >= 0.04  # waited out the quiet time after the last arrival
    assert log == ["after"]


async def test_work_is_deferred_never_starved() -> None:
    lane = AckFirst(patience=0.05, quiet=0.0)
    log: list[str] = []
    with lane.request():  # never answered while the work waits
        await asyncio.wait_for(_started(lane, log, "late"), 1)
        assert log == ["late"]
