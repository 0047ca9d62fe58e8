"""Live progress of a publish, for surfaces that update one message as entries finish.

A surface sets a listener for the work it starts (``watching``); the publisher reports
the post as it starts and after each entry. A context variable carries the listener, so
the entry tasks spawned for that work inherit it and nothing else sees it.
"""

import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from core.posts import Post

log = logging.getLogger(__name__)

ProgressListener = Callable[[Post], Awaitable[None]]
_listener: ContextVar[ProgressListener | None] = ContextVar("trypost_progress", default=None)


@contextmanager
def watching(listener: ProgressListener) -> Iterator[None]:
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)


async def report(post: Post) -> None:
    listener = _listener.get()
    if listener is None:
        return
    try:
        await listener(post)
    except Exception:
        # A surface failing to show progress must never fail the publish itself.
        log.warning("progress listener failed", exc_info=True, extra={"post_id": post.id})
