"""Reading a running ``trypost`` process's output as it arrives, until a line shows."""

import os
import selectors
import subprocess
import time
from typing import IO

from tests.waiting import WITHIN


def read_until(
    process: "subprocess.Popen[str]", stream: IO[str] | None, wanted: str, within: float = WITHIN
) -> str:
    """What ``stream`` printed up to and including ``wanted``; fails if the process
    ends first or ``within`` seconds pass."""
    assert stream is not None
    seen = ""
    selector = selectors.DefaultSelector()
    selector.register(stream, selectors.EVENT_READ)
    deadline = time.monotonic() + within
    while wanted not in seen:
        assert time.monotonic() < deadline, f"never printed {wanted!r}:\n{seen}"
        if selector.select(timeout=0.2):
            chunk = os.read(stream.fileno(), 65536).decode(errors="replace")
            assert chunk or process.poll() is None, f"ended before {wanted!r}:\n{seen}"
            seen += chunk
    return seen
