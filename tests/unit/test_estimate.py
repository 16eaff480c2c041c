"""The cost estimate before a start: each model at its earlier runs' mean tokens, else the default."""

from decimal import Decimal

from webapp.benchmarks.estimate import estimate
from webapp.catalog import load_catalog
from webapp.domain import TokensPerRun

GPT5, SONNET = "openai/gpt-5", "anthropic/claude-sonnet-4.5"  # $1.25 / $10 and $3 / $15 per million tokens


def test_without_history_every_model_is_estimated_at_1500_in_500_out():
    result = estimate(load_catalog(), [GPT5, SONNET], images=2, samples=3)
    # GPT-5: (1500 x 1.25 + 500 x 10) / 1M = $0.006875 a run; Sonnet: (1500 x 3 + 500 x 15) / 1M = $0.012
    assert [(row.model_id, row.runs, row.cost) for row in result.per_model] == [
        (GPT5, 6, Decimal("0.041250")),
        (SONNET, 6, Decimal("0.072")),
    ]
    assert result.total == Decimal("0.113250") and result.runs == 12
    assert [row.tokens for row in result.per_model] == [TokensPerRun(1500, 500, 0)] * 2
    assert result.measured == 0


def test_a_model_with_earlier_runs_is_estimated_at_their_mean_tokens():
    history = {GPT5: TokensPerRun(input=2000, output=300, runs=4)}
    result = estimate(load_catalog(), [GPT5, SONNET], images=2, samples=3, history=history)
    # GPT-5: (2000 x 1.25 + 300 x 10) / 1M = $0.0055 a run, 6 runs; Sonnet keeps the default
    gpt5, sonnet = result.per_model
    assert gpt5.cost == Decimal("0.033") and gpt5.tokens == TokensPerRun(2000, 300, 4) and gpt5.tokens.measured
    assert sonnet.cost == Decimal("0.072") and not sonnet.tokens.measured
    assert result.total == Decimal("0.105") and result.measured == 1


def test_history_of_a_model_not_picked_changes_nothing():
    history = {SONNET: TokensPerRun(input=100_000, output=100_000, runs=9)}
    result = estimate(load_catalog(), [GPT5, GPT5, "no/such-model"], images=1, samples=2, history=history)
    assert [(row.model_id, row.cost) for row in result.per_model] == [(GPT5, Decimal("0.013750"))]
