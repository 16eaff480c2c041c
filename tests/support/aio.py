"""Run a coroutine to completion from a synchronous test.

Playwright's sync API keeps an event loop running in the main thread for the whole session,
so ``asyncio.run`` there would refuse; a short-lived thread has no loop of its own yet.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor


def run_async(coro):
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
