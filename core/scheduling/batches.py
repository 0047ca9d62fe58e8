"""Group commit: many small writes that arrive together share one transaction.

Each caller submits its item and awaits its own result. While one batch is being
written the next gathers, so under load a transaction carries many items (a commit
per entry would make the database, not the platforms, set the pace) and when idle a
lone item goes at once.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    def __init__(
        self,
        write: Callable[[Sequence[Item]], Awaitable[Sequence[Result]]],
        *,
        most: int = 500,
    ) -> None:
        self._write = write
        self._most = most
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        # Shielded: a caller cancelled (shutdown) must not cancel its neighbours' write.
        return await asyncio.shield(future)

    async def _drain(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[: self._most], self._waiting[self._most :]
            try:
                results = await self._write([item for item, _ in batch])
            except Exception as error:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            except BaseException:
                # Cancelled (the loop is shutting down): nobody may wait forever.
                for _, future in batch + self._waiting:
                    future.cancel()
                self._waiting = []
                raise
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
