"""Acks before work: a command's work waits while other requests wait for their ack.

Slack shows an error when an ack takes over 3 s; a reply has no such deadline. Work
and acks share one event loop, so under a burst the work of the commands already
acked would otherwise delay every new ack by all of it. The endpoint counts requests
not yet answered; a listener's work (after its own ack) starts when none is left, or
after ``patience`` seconds at most, so work is deferred, never starved.
"""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar

# The request being handled, as the endpoint registered it: bolt runs the listener in a
# task made inside the endpoint's handler, which copies this context.
_ANSWERED: ContextVar[Callable[[], None] | None] = ContextVar("slack_answered", default=None)


class AckFirst:
    def __init__(self, slots: int = 4, patience: float = 1.0, quiet: float = 0.004) -> None:
        self._unanswered = 0
        # A burst: requests keep arriving; work waits until ``quiet`` passes without one.
        self._quiet = quiet
        self._last_arrival = float("-inf")
        self._timer: asyncio.TimerHandle | None = None
        self._clear = asyncio.Event()
        self._clear.set()
        # Commands worked on at once after their ack (the database takes one writing
        # transaction at a time anyway; reads on SQLite run in the loop).
        self._slots = asyncio.Semaphore(slots)
        self._patience = patience

    @property
    def unanswered(self) -> int:
        return self._unanswered

    @contextlib.contextmanager
    def request(self) -> Iterator[None]:
        """Around the endpoint's handling of one request: unanswered until it returns,
        or until its listener says it acked (``acked``)."""
        done = False

        def answered() -> None:
            nonlocal done
            if done:
                return
            done = True
            self._unanswered -= 1
            if self._unanswered == 0:
                self._check()

        self._unanswered += 1
        self._last_arrival = time.monotonic()
        self._clear.clear()
        token = _ANSWERED.set(answered)
        try:
            yield
        finally:
            answered()
            _ANSWERED.reset(token)

    def acked(self) -> None:
        """The listener of the current request acked: it no longer counts as waiting."""
        answered = _ANSWERED.get()
        if answered is not None:
            answered()

    def _check(self) -> None:
        """Clear once nothing waits for its ack and none arrived for ``quiet``."""
        self._timer = None
        if self._unanswered:
            return
        wait = self._last_arrival + self._quiet - time.monotonic()
        if wait <= 0:
            self._clear.set()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(wait, self._check)

    @contextlib.asynccontextmanager
    async def work(self) -> AsyncIterator[None]:
        """A slot for one command's work, once no request waits for its ack and none
        arrived for a moment (or after ``patience``)."""
        async with self._slots:
            if not self._clear.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._patience):
                        await self._clear.wait()
            yield
