"""Wait on a condition, not on the clock: a busy machine slows a test, it never fails it.

The bound is generous on purpose; it only turns a hang into a failure with a message.
"""

import asyncio
import time
from collections.abc import Callable

WITHIN = 60.0


async def until(check: Callable[[], object], what: str, *, within: float = WITHIN) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"waited {within:.0f} s for {what}"
        await asyncio.sleep(0.01)


def until_sync(check: Callable[[], object], what: str, *, within: float = WITHIN) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"waited {within:.0f} s for {what}"
        time.sleep(0.05)
