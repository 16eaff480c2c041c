"""Calls with retries on HTTP 429: honour Retry-After, else exponential backoff with jitter."""

from __future__ import annotations

import asyncio
import random

from .providers import ProviderError, RateLimited

MAX_RETRIES = 5
BASE_DELAY = 1.0
MAX_DELAY = 60.0


def backoff_delay(retry: int, retry_after: float | None, rng=random) -> float:
    if retry_after is not None:
        return min(max(retry_after, 0.0), MAX_DELAY)
    # "Full jitter": spreads retries of many concurrent calls apart.
    return rng.uniform(0, min(MAX_DELAY, BASE_DELAY * 2**retry))


async def call_with_retries(provider, request, timeout: float, sleep=asyncio.sleep):
    for retry in range(MAX_RETRIES + 1):
        try:
            return await provider.call(request, timeout)
        except RateLimited as e:
            if retry == MAX_RETRIES:
                raise ProviderError(f"rate limited (HTTP 429) {MAX_RETRIES + 1} times; gave up") from e
            await sleep(backoff_delay(retry, e.retry_after))
    raise AssertionError("unreachable")
