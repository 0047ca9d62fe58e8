"""A loopback aiohttp server in its own thread and event loop, so a fake works the same
under sync and async tests and while the bot runs in another loop."""

import asyncio
import threading
from typing import Self

from aiohttp import web


class ThreadedServer:
    """Subclasses build their app in :meth:`application`; ``port`` is known once entered."""

    name = "the fake"
    # A short shutdown: a handler told to sleep must not hold the test's exit.
    shutdown_timeout = 0.5
    port = 0

    def application(self) -> web.Application:
        raise NotImplementedError

    def __enter__(self) -> Self:
        started = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, args=(started,), daemon=True)
        self._thread.start()
        assert started.wait(10), f"{self.name} never started"
        return self

    def __exit__(self, *_: object) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _serve(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main(started))
        self._loop.close()

    async def _main(self, started: threading.Event) -> None:
        self._stop = asyncio.Event()
        runner = web.AppRunner(self.application(), shutdown_timeout=self.shutdown_timeout)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        started.set()
        await self._stop.wait()
        await runner.cleanup()
