"""Scripted faults for a platform fake: the next requests to a path or a route name
answer an error, or stall, then the fake goes on as usual."""

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.threaded_server import ThreadedServer

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Fault:
    key: str
    kind: str  # "fail" | "timeout"
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    seconds: float = 0.0
    times: int = 1


class FaultyServer(ThreadedServer):
    """A ThreadedServer whose app installs :meth:`faulty` as a middleware; subclasses
    say what an error looks like on their platform in :meth:`fault_body`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        # (method, path) of every request, in order: polls are countable.
        self.requests: list[tuple[str, str]] = []

    def fault_body(self, status: int) -> Any:
        return {"status": status}

    def fail_next(
        self,
        path_or_kind: str,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        *,
        times: int = 1,
    ) -> None:
        """The next ``times`` requests to a path or a route name answer ``status`` with
        ``body`` (default: the platform's error shape for the status)."""
        self._queue(Fault(path_or_kind, "fail", status, headers or {}, body, times=times))

    def timeout_next(self, path_or_kind: str, seconds: float) -> None:
        """The next request there waits ``seconds``, then is handled as usual."""
        self._queue(Fault(path_or_kind, "timeout", seconds=seconds))

    def _queue(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def _take(self, request: web.Request) -> Fault | None:
        route = request.match_info.route.name or ""
        with self._lock:
            for fault in self._faults:
                if fault.key in (route, request.path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    @web.middleware
    async def faulty(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        with self._lock:
            self.requests.append((request.method, request.path))
        fault = self._take(request)
        if fault is not None and fault.kind == "timeout":
            # Cut short when the server stops, so no handler outlives its loop.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), fault.seconds)
        elif fault is not None:
            body = fault.body if fault.body is not None else self.fault_body(fault.status)
            if isinstance(body, str | bytes):
                return web.Response(body=body, status=fault.status, headers=fault.headers)
            return web.json_response(body, status=fault.status, headers=fault.headers)
        return await handler(request)
