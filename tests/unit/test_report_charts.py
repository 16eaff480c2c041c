"""Chart geometry at the edges: no division by zero, everything inside the plot."""

from decimal import Decimal

from webapp.reports.charts import accuracy_vs_cost, cost_per_run, latency_distribution
from webapp.reports.stats import ModelStats


def model(name, latencies, cost="0.001", accuracy=0.9):
    return ModelStats(
        model_id=name,
        name=name,
        tier=None,
        runs=len(latencies),
        complete=len(latencies),
        accuracy=accuracy,
        cost_per_run=Decimal(cost),
        latencies_ms=sorted(latencies),
        median_latency_ms=sorted(latencies)[len(latencies) // 2] if latencies else None,
        p95_latency_ms=max(latencies) if latencies else None,
    )


def test_runs_that_all_took_zero_milliseconds_still_draw():
    chart = latency_distribution([model("a", [0, 0, 0]), model("b", [0])])
    assert chart is not None
    assert all(chart.left <= x <= chart.right for row in chart.rows for x in row.dots)
    assert [t.label for t in chart.x_ticks][:2] == ["0 ms", "1 ms"]


def test_latency_dots_stay_inside_the_plot():
    chart = latency_distribution([model("a", [120, 480, 950]), model("b", [3000])])
    for row in chart.rows:
        assert all(chart.left <= x <= chart.right for x in row.dots)
        assert row.dots_path.count("M") == len(set(row.dots))


def test_free_and_equal_cost_models_draw():
    scatter = accuracy_vs_cost([model("free", [10], cost="0"), model("paid", [10]), model("same", [10])])
    assert scatter is not None and scatter.free_x is not None
    assert cost_per_run([model("free", [10], cost="0")]).rows[0].value_label == "free"
