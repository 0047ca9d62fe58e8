"""One call to a platform, with retries for the errors that deserve them."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from core.ports import PlatformClient, PublishRequest, PublishResult, TransientPlatformError


@dataclass(frozen=True)
class RetryPolicy:
    """Transient errors are retried inside the job, within the entry's lease."""

    attempts: int = 4
    initial_delay: float = 2.0
    max_delay: float = 60.0
    timeout: float = 30.0


Sleep = Callable[[float], Awaitable[None]]


async def send_with_retries(
    client: PlatformClient, request: PublishRequest, policy: RetryPolicy, sleep: Sleep
) -> PublishResult:
    """Publish, retrying timeouts, 5xx and 429 (honouring Retry-After) with backoff.

    A Retry-After longer than the policy's ``max_delay`` is not waited out: holding the
    entry that long would outlive its lease, so the transient error surfaces instead.
    """
    backoff = wait_exponential(multiplier=policy.initial_delay, max=policy.max_delay) + wait_random(
        0, 1
    )

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, TransientPlatformError) and error.retry_after is not None:
            return error.retry_after
        return float(backoff(state))

    def worth_retrying(error: BaseException) -> bool:
        return isinstance(error, TransientPlatformError) and (
            error.retry_after is None or error.retry_after <= policy.max_delay
        )

    async for attempt in AsyncRetrying(
        stop=stop_after_attempt(policy.attempts),
        wait=wait,
        retry=retry_if_exception(worth_retrying),
        sleep=sleep,
        reraise=True,
    ):
        with attempt:
            try:
                return await asyncio.wait_for(client.publish(request), policy.timeout)
            except TimeoutError:
                raise TransientPlatformError(
                    f"no answer within {policy.timeout:g} seconds"
                ) from None
    raise AssertionError("unreachable: tenacity re-raises the last error")
