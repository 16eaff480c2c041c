"""A model's summary numbers for the ranking and recommendation unit tests."""

from decimal import Decimal

from webapp.reports.stats import ModelStats


def model(name, accuracy, cost, latency, exact=0.5, failed=0, complete=10) -> ModelStats:
    return ModelStats(
        model_id=name.lower(),
        name=name,
        tier=None,
        runs=complete + failed,
        complete=complete,
        failed=failed,
        accuracy=accuracy,
        exact_rate=exact,
        cost_per_run=Decimal(cost),
        median_latency_ms=latency,
        p95_latency_ms=latency * 1.5,
    )
