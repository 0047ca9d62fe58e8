"""Slack's rate limits, honoured once per workspace instead of once per call.

Slack limits each Web API method per workspace (per token) and answers a call above
the limit with 429 and ``Retry-After``. slack_sdk's own handler sleeps Retry-After in
each call that got the 429 (plus up to a second of jitter), while every other call of
the same method goes on, gets its own 429 and sleeps on its own; then they all retry
together. Here the client of one token keeps one deadline per method: a 429 holds every
call of that method on that client until Retry-After has passed (calls about to start
wait before sending, calls that got the 429 wait for the same moment), so the
workspace's calls resume together at the time Slack named, and no call is sent while
Slack has said to wait.

A call waits out at most ``ride_out`` seconds in all; a longer wait is the caller's to
schedule (the outbox puts the DM back with Retry-After as its next attempt).
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

# What a call waits out in all before its caller hears of the rate limit.
RIDE_OUT = 30.0
# A 429 without Retry-After (Slack always sends one; a proxy might not).
DEFAULT_WAIT = 1.0
_WAITED = "trypost_waited"

Sleep = Callable[[float], Awaitable[None]]


class RateGate:
    """One deadline per API method: no call of a held method goes before it."""

    def __init__(
        self,
        *,
        ride_out: float = RIDE_OUT,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.ride_out = ride_out
        self._monotonic = monotonic
        self._sleep = sleep
        self._until: dict[str, float] = {}

    def remaining(self, method: str) -> float:
        """Seconds until ``method`` may be called again (0 when it may now)."""
        until = self._until.get(method)
        if until is None:
            return 0.0
        left = until - self._monotonic()
        if left <= 0:
            del self._until[method]
            return 0.0
        return left

    def hold(self, method: str, seconds: float) -> None:
        """Slack said wait ``seconds``: a later deadline than the one held wins."""
        until = self._monotonic() + max(seconds, 0.0)
        self._until[method] = max(self._until.get(method, until), until)

    async def wait(self, method: str, budget: float | None = None) -> float:
        """Wait until ``method`` is free, if that is within ``budget`` (default: the
        ride-out); return the seconds waited (0 when it was free or too far off)."""
        budget = self.ride_out if budget is None else budget
        waited = 0.0
        while 0 < (left := self.remaining(method)) <= budget - waited:
            await self._sleep(left)
            waited += left
        return waited


class SharedRetryAfter(AsyncRetryHandler):
    """slack_sdk retry handler: a 429 holds the method on the gate, and the call
    retries when the gate opens, if its waits stay within the gate's ride-out."""

    def __init__(self, gate: RateGate, max_retry_count: int = 10) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.gate = gate

    async def can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        # Held even when this call retries no more: the workspace's other calls wait.
        method = method_of(request.url)
        wait = retry_after(response.headers)
        self.gate.hold(method, DEFAULT_WAIT if wait is None else wait)
        if state.current_attempt >= self.max_retry_count:
            return False
        waited = float((state.custom_values or {}).get(_WAITED, 0.0))
        return self.gate.remaining(method) <= self.gate.ride_out - waited

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        raise NotImplementedError("can_retry_async decides")  # pragma: no cover

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        values = state.custom_values = state.custom_values or {}
        values[_WAITED] = float(values.get(_WAITED, 0.0)) + await self.gate.wait(
            method_of(request.url)
        )
        state.next_attempt_requested = True
        state.increment_current_attempt()


class GatedWebClient(AsyncWebClient):
    """An AsyncWebClient whose calls wait for the method's gate before sending."""

    def __init__(self, *args: Any, gate: RateGate | None = None, **kwargs: Any) -> None:
        self.rate_gate = gate or RateGate()
        kwargs["retry_handlers"] = [
            *(kwargs.get("retry_handlers") or []),
            SharedRetryAfter(self.rate_gate),
        ]
        super().__init__(*args, **kwargs)

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        # Past the ride-out the call goes anyway: Slack answers 429 with its own
        # Retry-After, which the caller then schedules.
        await self.rate_gate.wait(api_method)
        return await super().api_call(api_method, **kwargs)


def method_of(url: str) -> str:
    """``https://slack.com/api/chat.postMessage?x=1`` → ``chat.postMessage``."""
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def retry_after(headers: Mapping[str, Any] | None) -> float | None:
    """Retry-After in seconds; None when absent or not a number."""
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            text = value[0] if isinstance(value, list | tuple) else value
            try:
                return max(float(text), 0.0)
            except (TypeError, ValueError):
                return None
    return None
