"""Retries after HTTP 429: latency is the answering call alone; the rest is counted apart."""

import asyncio

from webapp.engine.providers import ProviderError, RateLimited
from webapp.engine.retry import CallAttempts, call_with_retries


class Clock:
    """Seconds that move only when a call or a wait says so: every number is exact."""

    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


class Provider:
    """Answers from a script: (seconds the call takes, exception to raise or None)."""

    def __init__(self, clock: Clock, script):
        self.clock, self.script, self.calls = clock, list(script), 0

    async def call(self, request, timeout):
        self.calls += 1
        seconds, error = self.script.pop(0)
        self.clock.now += seconds
        if error is not None:
            raise error
        return "answer"


def run(script):
    clock = Clock()
    provider, attempts = Provider(clock, script), CallAttempts()
    try:
        result = asyncio.run(call_with_retries(provider, None, 10.0, attempts, sleep=clock.sleep, clock=clock))
    except ProviderError as e:
        result = e
    return result, attempts


def test_a_first_call_that_answers_is_one_attempt_with_no_wait():
    result, attempts = run([(0.8, None)])
    assert result == "answer" and attempts == CallAttempts(count=1, latency_ms=800, waited_ms=0)


def test_a_429_with_retry_after_then_an_answer_counts_only_the_answer_as_latency():
    # 0.05 s refused, 2 s waited as told, then 0.7 s to answer
    result, attempts = run([(0.05, RateLimited(retry_after=2)), (0.7, None)])
    assert result == "answer" and attempts == CallAttempts(count=2, latency_ms=700, waited_ms=2050)


def test_two_429s_add_up_their_calls_and_waits():
    script = [(0.1, RateLimited(retry_after=1)), (0.2, RateLimited(retry_after=3)), (0.5, None)]
    result, attempts = run(script)
    # waited: 0.1 + 1 + 0.2 + 3 = 4.3 s
    assert result == "answer" and attempts == CallAttempts(count=3, latency_ms=500, waited_ms=4300)


def test_an_error_after_a_429_keeps_the_failed_call_as_latency():
    result, attempts = run([(0.1, RateLimited(retry_after=1)), (0.4, ProviderError("HTTP 500"))])
    assert str(result) == "HTTP 500" and attempts == CallAttempts(count=2, latency_ms=400, waited_ms=1100)


def test_six_429s_give_up_with_every_call_counted():
    result, attempts = run([(0.01, RateLimited(retry_after=1))] * 6)
    assert "6 times; gave up" in str(result)
    # five waits of 1 s between six calls of 10 ms; the last call is the latency
    assert attempts.count == 6 and attempts.latency_ms == 10 and attempts.waited_ms == 5050
