"""What a run costs and how long it took, as the engine records them: the engine runs a report in
this process against the local OpenAI-compatible test server and a real PostgreSQL."""

import dataclasses
import json
from decimal import Decimal

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from tests.support.aio import run_async
from tests.support.benchmarks import EXPECTED, create_benchmark, create_user, report_status
from tests.support.fake_openai import FakeOpenAI, Response, completion
from webapp.catalog import load_catalog
from webapp.engine.providers import OpenAICompatibleProvider
from webapp.engine.runner import Engine, run_report

NANO = "openai/gpt-5-nano"  # $0.05 / $0.40 per million tokens


async def _run(url: str, report_id: int, base_url: str) -> None:
    pool = AsyncConnectionPool(url, min_size=1, max_size=4, open=False, kwargs={"autocommit": True})
    await pool.open()
    provider = OpenAICompatibleProvider(base_url, "sk-test-key")
    try:
        engine = Engine(pool=pool, providers={"openai_compatible": provider}, catalog=load_catalog())
        await run_report(engine, report_id)
    finally:
        await provider.aclose()
        await pool.close()


def run_engine(url: str, report_id: int, fake: FakeOpenAI) -> None:
    run_async(_run(url, report_id, fake.base_url))


@pytest.fixture
def fake():
    with FakeOpenAI() as fake:
        yield fake


def test_a_429_then_an_answer_keeps_the_wait_out_of_the_latency(database_url, fake):
    owner = create_user(database_url)
    report_id = create_benchmark(database_url, owner, models=[NANO], images=1, samples=1, provider="openai_compatible")
    fake.queue(Response(status=429, headers={"Retry-After": "2"}, body={"error": {"message": "slow down"}}))
    answer = completion(json.dumps(EXPECTED), prompt_tokens=1200, completion_tokens=80, cost=0.00009)
    fake.handler = lambda body: dataclasses.replace(answer, delay=0.3)  # the model takes 0.3 s
    run_engine(database_url, report_id, fake)

    assert len(fake.requests) == 2 and report_status(database_url, report_id) == "complete"
    with psycopg.connect(database_url) as conn:
        status, latency, calls, waited, cost, *tokens = conn.execute(
            """SELECT status, latency_ms, call_attempts, waited_ms, cost_usd, input_tokens, output_tokens
               FROM benchmark_runs WHERE report_id = %s""",
            (report_id,),
        ).fetchone()
    assert status == "complete" and calls == 2
    # The 2 s told by Retry-After are waited, not latency: latency is the 0.3 s answer (bounds
    # generous: the machine is shared); counted from the first call it would be 2.3 s or more.
    assert 250 <= latency < 2000
    assert 1900 <= waited < 10_000
    # The provider's reported cost is the truth, not the catalog's price of the tokens.
    assert cost == Decimal("0.00009") and tokens == [1200, 80]


def test_an_answer_at_once_is_one_call_with_no_wait(database_url, fake):
    owner = create_user(database_url)
    report_id = create_benchmark(database_url, owner, models=[NANO], images=1, samples=2, provider="openai_compatible")
    fake.reply_json(EXPECTED)
    run_engine(database_url, report_id, fake)
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT status, call_attempts, waited_ms FROM benchmark_runs WHERE report_id = %s", (report_id,)
        ).fetchall()
    assert rows == [("complete", 1, 0)] * 2


def test_the_budget_reserves_each_run_at_the_tokens_of_earlier_runs(database_url, fake):
    owner = create_user(database_url)
    earlier = create_benchmark(database_url, owner, models=[NANO], images=1, samples=2, provider="openai_compatible")
    with psycopg.connect(database_url) as conn:
        conn.execute(
            """UPDATE benchmark_runs SET status = 'complete', input_tokens = 100000, output_tokens = 50000
               WHERE report_id = %s""",
            (earlier,),
        )
        conn.execute("UPDATE reports SET status = 'complete' WHERE id = %s", (earlier,))
    # Earlier Nano runs used 100,000 + 50,000 tokens: (100000 x 0.05 + 50000 x 0.4) / 1M = $0.025
    # a run, above a $0.02 ceiling; at the default 1,500 + 500 tokens ($0.000275) all would run.
    report_id = create_benchmark(
        database_url, owner, models=[NANO], images=1, samples=2, provider="openai_compatible", budget="0.02"
    )
    fake.reply_json(EXPECTED)
    run_engine(database_url, report_id, fake)

    assert fake.requests == []
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT status, error FROM benchmark_runs WHERE report_id = %s", (report_id,)).fetchall()
    assert [status for status, _ in rows] == ["skipped", "skipped"]
    assert all("budget ceiling of $0.02" in error for _, error in rows)
