"""Calls with retries on HTTP 429: honour Retry-After, else exponential backoff with jitter."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass

from .providers import ProviderError, RateLimited

MAX_RETRIES = 5
BASE_DELAY = 1.0
MAX_DELAY = 60.0


def backoff_delay(retry: int, retry_after: float | None, rng=random) -> float:
    if retry_after is not None:
        return min(max(retry_after, 0.0), MAX_DELAY)
    # "Full jitter": spreads retries of many concurrent calls apart.
    return rng.uniform(0, min(MAX_DELAY, BASE_DELAY * 2**retry))


@dataclass
class CallAttempts:
    """How a call went, kept apart so that latency is the model's own: `latency_ms` is the last
    attempt alone (the one that answered, or the one that failed for good); `waited_ms` is all
    the time before it: the attempts refused with a 429 and the waits after them."""

    count: int = 0
    latency_ms: int | None = None
    waited_ms: int = 0

    def then(self, later: CallAttempts) -> CallAttempts:
        """These attempts followed by `later` ones (a refused output mode, then the weaker one):
        the time of this whole call counts as waited."""
        return CallAttempts(
            count=self.count + later.count,
            latency_ms=later.latency_ms,
            waited_ms=self.waited_ms + (self.latency_ms or 0) + later.waited_ms,
        )


async def call_with_retries(
    provider,
    request,
    timeout: float,
    attempts: CallAttempts | None = None,
    sleep=asyncio.sleep,
    clock=time.perf_counter,
):
    attempts = attempts if attempts is not None else CallAttempts()
    first = clock()
    for retry in range(MAX_RETRIES + 1):
        started = clock()
        attempts.count += 1
        attempts.waited_ms = _ms(started - first)
        try:
            return await provider.call(request, timeout)
        except RateLimited as e:
            if retry == MAX_RETRIES:
                raise ProviderError(f"rate limited (HTTP 429) {MAX_RETRIES + 1} times; gave up") from e
            retry_after = e.retry_after
        finally:
            attempts.latency_ms = _ms(clock() - started)
        await sleep(backoff_delay(retry, retry_after))
    raise AssertionError("unreachable")


def _ms(seconds: float) -> int:
    return round(seconds * 1000)
