"""The estimate before a start, from this installation's earlier runs of each model, and the
estimate kept on the report when it starts."""

from decimal import Decimal
from itertools import count

import psycopg

from tests.support.benchmarks import create_benchmark, create_user
from tests.support.html import table_rows
from tests.support.images import png
from tests.support.new_benchmark import fields, new_page, start, upload

GPT5, SONNET = "openai/gpt-5", "anthropic/claude-sonnet-4.5"  # $1.25 / $10 and $3 / $15 per million tokens
_others = count(1)


def earlier_runs(url: str, model: str, runs: list[tuple[str, int, int]], provider: str = "simulated") -> None:
    """A finished benchmark of `model` by another user, one run per (status, input, output)."""
    owner = create_user(url, f"earlier-{next(_others)}@example.com")
    report_id = create_benchmark(url, owner, models=[model], images=len(runs), samples=1, provider=provider)
    with psycopg.connect(url) as conn:
        ids = [
            r[0] for r in conn.execute("SELECT id FROM benchmark_runs WHERE report_id = %s ORDER BY id", (report_id,))
        ]
        for run_id, (status, input_tokens, output_tokens) in zip(ids, runs, strict=True):
            conn.execute(
                "UPDATE benchmark_runs SET status = %s, input_tokens = %s, output_tokens = %s WHERE id = %s",
                (status, input_tokens, output_tokens, run_id),
            )
        conn.execute("UPDATE reports SET status = 'complete' WHERE id = %s", (report_id,))
        conn.execute("DELETE FROM procrastinate_jobs")


def history_of_gpt5(url: str) -> None:
    # Complete simulated runs: mean input (1000 + 2000 + 3000) / 3 = 2000, output (200 + 400 + 300) / 3 = 300.
    # A failed run, and a run on another provider, are not what a run here costs: left out.
    earlier_runs(url, GPT5, [("complete", 1000, 200), ("complete", 2000, 400), ("complete", 3000, 300)])
    earlier_runs(url, GPT5, [("failed", 9000, 9000)])
    earlier_runs(url, GPT5, [("complete", 50_000, 50_000)], provider="openai_compatible")


def test_estimate_uses_each_models_earlier_runs_and_says_how_many(client, logged_in, database_url):
    history_of_gpt5(database_url)
    upload(client, ("a.png", png()))
    response = client.post("/benchmarks/new/draft", data=fields(new_page(client), samples="3", models=[GPT5, SONNET]))
    fragment = response.get_data(as_text=True)
    # GPT-5: (2000 x 1.25 + 300 x 10) / 1M = $0.0055 a run, x 3 runs; Sonnet: the default
    # (1500 x 3 + 500 x 15) / 1M = $0.012 a run, x 3 runs. Total $0.0525.
    assert table_rows(fragment, "estimate-models") == [
        ["GPT-5", "3", "2,000 in + 300 out based on 3 earlier runs", "$0.0165"],
        ["Claude Sonnet 4.5", "3", "1,500 in + 500 out default: no earlier runs", "$0.0360"],
    ]
    assert "<strong>$0.05</strong> for 6 runs" in fragment
    # The page shows the same, and the model picker prices GPT-5 at its measured tokens.
    html = new_page(client)
    assert "based on 3 earlier runs" in html and "$0.005500 per run" in html
    assert "$0.0120 per run" in html  # Sonnet, at the default


def test_without_earlier_runs_every_model_is_at_the_default(client, logged_in, database_url):
    earlier_runs(database_url, GPT5, [("failed", 2000, 300)])
    upload(client, ("a.png", png()))
    response = client.post("/benchmarks/new/draft", data=fields(new_page(client), samples="2", models=[GPT5]))
    # (1500 x 1.25 + 500 x 10) / 1M = $0.006875 a run, x 2
    assert table_rows(response.get_data(as_text=True), "estimate-models") == [
        ["GPT-5", "2", "1,500 in + 500 out default: no earlier runs", "$0.0138"]
    ]


def test_start_keeps_the_estimate_shown_on_the_report(client, logged_in, database_url):
    history_of_gpt5(database_url)
    upload(client, ("a.png", png()), ("b.png", png((50, 50))))
    assert start(client, samples="3", models=[GPT5, SONNET]).status_code == 303
    with psycopg.connect(database_url) as conn:
        (estimated,) = conn.execute(
            "SELECT estimated_cost_usd FROM reports WHERE owner_id = (SELECT id FROM users WHERE email = 'ada@example.com')"
        ).fetchone()
    # 2 images x 3 samples = 6 runs a model: 6 x $0.0055 + 6 x $0.012
    assert estimated == Decimal("0.105")
