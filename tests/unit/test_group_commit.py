"""GroupCommit: items that arrive while a batch is written share the next write."""

import asyncio
from collections.abc import Sequence

import pytest

from core.scheduling.batches import GroupCommit


async def test_items_arriving_during_a_write_share_the_next_one() -> None:
    writes: list[list[int]] = []
    gate = asyncio.Event()

    async def write(items: Sequence[int]) -> list[int]:
        writes.append(list(items))
        if len(writes) == 1:
            await gate.wait()
        return [item * 10 for item in items]

    group: GroupCommit[int, int] = GroupCommit(write)
    first = asyncio.create_task(group.submit(1))
    await asyncio.sleep(0)
    later = [asyncio.create_task(group.submit(n)) for n in (2, 3, 4)]
    await asyncio.sleep(0)
    gate.set()
    assert await first == 10
    assert [await task for task in later] == [20, 30, 40]
    assert writes == [[1], [2, 3, 4]]


async def test_a_failed_write_fails_its_own_items_only() -> None:
    async def write(items: Sequence[int]) -> list[int]:
        await asyncio.sleep(0)
        if 2 in items:
            raise RuntimeError("database down")
        return list(items)

    group: GroupCommit[int, int] = GroupCommit(write, most=1)
    tasks = [asyncio.create_task(group.submit(n)) for n in (1, 2, 3)]
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert results[0] == 1 and results[2] == 3
    assert isinstance(results[1], RuntimeError)


async def test_a_cancelled_writer_leaves_nobody_waiting() -> None:
    started = asyncio.Event()

    async def write(items: Sequence[int]) -> list[int]:
        started.set()
        await asyncio.Event().wait()
        return list(items)

    group: GroupCommit[int, int] = GroupCommit(write)
    waiting = [asyncio.create_task(group.submit(n)) for n in (1, 2)]
    await started.wait()
    assert group._writer is not None
    group._writer.cancel()
    for task in waiting:
        with pytest.raises(asyncio.CancelledError):
            await task
