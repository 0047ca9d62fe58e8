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
    try:
        return await _attempt(client, request, policy)
    except TransientPlatformError as error:
        if policy.attempts <= 1 or not _worth_retrying(error, policy):
            raise
        failed: TransientPlatformError | None = error
    # Most sends succeed at once and never pay for the retry machinery; the first
    # failure is handed to it as its first attempt, so the waits are the same.
    backoff = wait_exponential(multiplier=policy.initial_delay, max=policy.max_delay) + wait_random(
        0, 1
    )

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, TransientPlatformError) and error.retry_after is not None:
            return error.retry_after
        return float(backoff(state))

    async for attempt in AsyncRetrying(
        stop=stop_after_attempt(policy.attempts),
        wait=wait,
        retry=retry_if_exception(lambda error: _worth_retrying(error, policy)),
        sleep=sleep,
        reraise=True,
    ):
        with attempt:
            if failed is not None:
                first, failed = failed, None
                raise first
            return await _attempt(client, request, policy)
    raise AssertionError("unreachable: tenacity re-raises the last error")


async def _attempt(
    client: PlatformClient, request: PublishRequest, policy: RetryPolicy
) -> PublishResult:
    try:
        async with asyncio.timeout(policy.timeout):
            return await client.publish(request)
    except TimeoutError:
        raise TransientPlatformError(f"no answer within {policy.timeout:g} seconds") from None


def _worth_retrying(error: BaseException, policy: RetryPolicy) -> bool:
    return isinstance(error, TransientPlatformError) and (
        error.retry_after is None or error.retry_after <= policy.max_delay
    )
