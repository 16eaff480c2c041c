"""Report numbers against values worked out by hand, failed and skipped runs included."""

from decimal import Decimal

import pytest

from tests.support.reports import run
from webapp.reports.stats import (
    SORT_KEYS,
    best_values,
    median,
    percentile,
    pstdev,
    sort_stats,
    summarize,
    summarize_model,
    totals,
)

# Model "a": image 1 has a failed sample, image 2 a skipped one.
RUNS_A = [
    run(image=1, sample=0, accuracy=1.0, exact=True, latency=100, cost="0.001"),
    run(image=1, sample=1, accuracy=0.5, exact=False, latency=300, cost="0.003"),
    run(image=1, sample=2, status="failed", latency=50),
    run(image=2, sample=0, accuracy=0.75, exact=False, latency=200, cost="0.002"),
    run(image=2, sample=1, status="skipped"),
    run(image=2, sample=2, accuracy=1.0, exact=True, latency=400, cost="0.002"),
]


def test_percentiles_interpolate_between_closest_ranks():
    assert median([3, 1, 2]) == 2
    assert median([100, 200, 300, 400]) == 250
    assert percentile([1, 2, 3, 4, 5], 0.95) == pytest.approx(4.8)
    assert percentile([100, 200, 300, 400], 0.95) == pytest.approx(385)
    assert percentile([7], 0.95) == 7
    assert percentile([], 0.5) is None
    assert pstdev([1.0, 0.5, 0.0]) == pytest.approx((1 / 6) ** 0.5)


def test_model_with_failed_and_skipped_runs():
    s = summarize_model("a", RUNS_A)
    assert (s.runs, s.complete, s.failed, s.skipped, s.unfinished, s.scored) == (6, 4, 1, 1, 0, 5)
    # A failed run counts as 0; the skipped one is left out: (1 + .5 + 0 + .75 + 1) / 5
    assert s.accuracy == pytest.approx(0.65)
    assert s.exact_rate == pytest.approx(0.4)
    # Cost per run over complete runs: (.001 + .003 + .002 + .002) / 4
    assert s.cost_per_run == Decimal("0.002")
    assert s.cost_per_1000 == Decimal("2.000")
    assert s.total_cost == Decimal("0.008")
    assert s.monthly_cost(25_000) == Decimal("50.000")
    # Latency of complete runs only: 100, 200, 300, 400 (the failed run's 50 is not a latency)
    assert s.median_latency_ms == 250
    assert s.p95_latency_ms == pytest.approx(385)
    # Spread: image 1 samples 1, .5, 0 -> sd .40825; image 2 samples .75, 1 -> sd .125; mean of both
    assert s.spread == pytest.approx(((1 / 6) ** 0.5 + 0.125) / 2)
    assert s.failure_rate == pytest.approx(0.2)


def test_model_whose_runs_were_all_skipped_has_no_numbers():
    s = summarize_model("b", [run("b", sample=0, status="skipped"), run("b", sample=1, status="skipped")])
    assert (s.runs, s.skipped, s.scored) == (2, 2, 0)
    assert s.accuracy is None and s.exact_rate is None and s.cost_per_run is None and s.cost_per_1000 is None
    assert s.median_latency_ms is None and s.p95_latency_ms is None and s.spread is None


def test_model_whose_runs_all_failed_scores_zero_and_has_no_cost():
    s = summarize_model("c", [run("c", sample=0, status="failed", latency=10), run("c", sample=1, status="failed")])
    assert s.accuracy == 0.0 and s.exact_rate == 0.0 and s.failed == 2
    assert s.cost_per_run is None and s.median_latency_ms is None
    assert s.spread == 0.0


def test_pending_runs_are_counted_but_not_scored():
    s = summarize_model(
        "d",
        [
            run("d", sample=0, accuracy=1.0, exact=True, latency=10, cost="0.01"),
            run("d", sample=1, status="pending"),
            run("d", sample=2, status="running"),
        ],
    )
    assert (s.runs, s.unfinished, s.scored, s.accuracy) == (3, 2, 1, 1.0)
    assert s.spread is None  # one scored sample per image: nothing to compare


def test_summary_keeps_the_report_order_and_models_without_runs():
    class Catalog:
        def get(self, model_id):
            return None

    stats = summarize(RUNS_A, ["z", "a"], Catalog())
    assert [s.model_id for s in stats] == ["z", "a"]
    assert stats[0].runs == 0 and stats[0].name == "z"
    t = totals(stats)
    assert (t.runs, t.complete, t.failed, t.skipped, t.spent) == (6, 4, 1, 1, Decimal("0.008"))


def test_sorting_puts_missing_values_last_and_best_values_ignore_ties():
    a = summarize_model("a", RUNS_A)
    b = summarize_model("b", [run("b", status="skipped")])
    c = summarize_model("c", [run("c", accuracy=0.9, exact=False, latency=900, cost="0.0001")])
    assert [s.model_id for s in sort_stats([a, b, c], "cost", descending=False)] == ["c", "a", "b"]
    assert [s.model_id for s in sort_stats([a, b, c], "cost", descending=True)] == ["a", "c", "b"]
    assert [s.model_id for s in sort_stats([a, b, c], "accuracy", descending=True)] == ["c", "a", "b"]
    best = best_values([a, b, c])
    assert best["accuracy"] == {"c"} and best["cost"] == {"c"} and best["median"] == {"a"}
    assert "failures" not in best


def test_a_complete_run_with_no_field_right_scores_zero():
    s = summarize_model(
        "e",
        [
            run("e", sample=0, accuracy=0.0, exact=False, latency=10, cost="0.01"),
            run("e", sample=1, accuracy=1.0, exact=True, latency=30, cost="0.01"),
        ],
    )
    # (0 + 1) / 2; exact in 1 of 2; the two samples of image 1 differ by 1: sd 0.5
    assert (s.accuracy, s.exact_rate, s.spread) == (0.5, 0.5, 0.5)


def test_every_column_sorts_best_first_by_default():
    # Bigger is better only for accuracy and exact matches; names sort A to Z, the rest lowest first.
    assert {key: higher for key, (_, higher) in SORT_KEYS.items()} == {
        "model": False,
        "accuracy": True,
        "exact": True,
        "cost": False,
        "cost1000": False,
        "median": False,
        "p95": False,
        "spread": False,
        "failures": False,
    }


def test_best_values_of_every_column():
    x = summarize_model(
        "x",
        [
            run("x", sample=0, accuracy=1.0, exact=True, latency=100, cost="0.003"),
            run("x", sample=1, accuracy=1.0, exact=True, latency=300, cost="0.003"),
        ],
    )
    y = summarize_model(
        "y",
        [
            run("y", sample=0, accuracy=0.5, exact=False, latency=150, cost="0.001"),
            run("y", sample=1, accuracy=0.7, exact=False, latency=250, cost="0.001"),
        ],
    )
    # x: accuracy 1.0, exact 1.0, $0.003 ($3 per 1,000), median 200, p95 100 + 0.95 x 200 = 290, spread 0
    # y: accuracy 0.6, exact 0.0, $0.001 ($1 per 1,000), median 200, p95 150 + 0.95 x 100 = 245,
    #    spread sd(0.5, 0.7) = 0.1
    assert (x.accuracy, x.exact_rate, x.cost_per_1000, x.median_latency_ms, x.p95_latency_ms, x.spread) == (
        1.0,
        1.0,
        Decimal("3.000"),
        200,
        pytest.approx(290),
        0.0,
    )
    assert (y.accuracy, y.exact_rate, y.cost_per_1000, y.median_latency_ms, y.p95_latency_ms, y.spread) == (
        pytest.approx(0.6),
        0.0,
        Decimal("1.000"),
        200,
        pytest.approx(245),
        pytest.approx(0.1),
    )
    # The median is a tie (200 and 200): nothing to highlight there.
    assert best_values([x, y]) == {
        "accuracy": {"x"},
        "exact": {"x"},
        "cost": {"y"},
        "cost1000": {"y"},
        "p95": {"y"},
        "spread": {"x"},
    }
