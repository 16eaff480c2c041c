"""Per-model numbers of a report, from its runs. Pure functions: no database, no Flask.

Definitions (the report page, the exports and the tests all rely on these):
- scored runs: complete and failed runs. A failed run (the provider errored) counts as 0
  accuracy and not exact: a model that errors extracted nothing. Skipped runs (budget
  ceiling, cancel) and unfinished runs are left out of every number except the counts.
- accuracy: mean field accuracy over scored runs; exact-match rate likewise.
- cost per run: mean cost of the complete runs (what one extracted document costs);
  cost per 1,000 documents is 1,000 times that.
- latency: median and p95 of complete runs, percentiles by linear interpolation between
  the closest ranks (like PostgreSQL's percentile_cont).
- spread: how much a model's accuracy varies between samples of the same image: the
  population standard deviation of the accuracy of the samples of each image, averaged
  over the images with at least two scored samples.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from ..domain import RunStatus

THOUSAND = Decimal(1000)


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def percentile(values: Iterable[float], q: float) -> float | None:
    """q in [0, 1]; linear interpolation between closest ranks (percentile_cont)."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Iterable[float]) -> float | None:
    return percentile(values, 0.5)


def pstdev(values: Sequence[float]) -> float | None:
    if not values:
        return None
    m = sum(values) / len(values)
    return math.sqrt(sum((v - m) ** 2 for v in values) / len(values))


def run_accuracy(run) -> float:
    """A scored run's accuracy: a failed run is 0."""
    return float(run.field_accuracy or 0.0) if run.status.is_complete else 0.0


@dataclass
class ModelStats:
    model_id: str
    name: str
    tier: str | None
    runs: int = 0
    complete: int = 0
    failed: int = 0
    skipped: int = 0
    unfinished: int = 0
    accuracy: float | None = None
    exact_rate: float | None = None
    cost_per_run: Decimal | None = None
    total_cost: Decimal = Decimal(0)
    median_latency_ms: float | None = None
    p95_latency_ms: float | None = None
    spread: float | None = None
    latencies_ms: list[int] = field(default_factory=list)

    @property
    def scored(self) -> int:
        return self.complete + self.failed

    @property
    def cost_per_1000(self) -> Decimal | None:
        return None if self.cost_per_run is None else self.cost_per_run * THOUSAND

    @property
    def failure_rate(self) -> float | None:
        return self.failed / self.scored if self.scored else None

    def monthly_cost(self, documents: int) -> Decimal | None:
        return None if self.cost_per_run is None else self.cost_per_run * documents


def spread_across_samples(runs) -> float | None:
    by_image: dict[int, list[float]] = defaultdict(list)
    for run in runs:
        if run.status.scored:
            by_image[run.image_id].append(run_accuracy(run))
    deviations = [pstdev(values) for values in by_image.values() if len(values) >= 2]
    return mean([d for d in deviations if d is not None])


def summarize_model(model_id: str, runs, name: str | None = None, tier: str | None = None) -> ModelStats:
    stats = ModelStats(model_id=model_id, name=name or model_id, tier=tier)
    scored = [r for r in runs if r.status.scored]
    complete = [r for r in runs if r.status.is_complete]
    stats.runs = len(runs)
    stats.complete = len(complete)
    stats.failed = len(scored) - len(complete)
    stats.skipped = sum(1 for r in runs if r.status is RunStatus.SKIPPED)
    stats.unfinished = stats.runs - len(scored) - stats.skipped
    stats.accuracy = mean([run_accuracy(r) for r in scored])
    stats.exact_rate = mean([1.0 if r.status.is_complete and r.exact else 0.0 for r in scored])
    costs = [Decimal(r.cost_usd) for r in complete if r.cost_usd is not None]
    stats.cost_per_run = sum(costs, Decimal(0)) / len(costs) if costs else None
    stats.total_cost = sum((Decimal(r.cost_usd) for r in runs if r.cost_usd is not None), Decimal(0))
    stats.latencies_ms = sorted(r.latency_ms for r in complete if r.latency_ms is not None)
    stats.median_latency_ms = median(stats.latencies_ms)
    stats.p95_latency_ms = percentile(stats.latencies_ms, 0.95)
    stats.spread = spread_across_samples(runs)
    return stats


def summarize(runs, model_ids: Sequence[str], catalog=None) -> list[ModelStats]:
    """One ModelStats per model of the report, in the report's order (models without runs too)."""
    by_model: dict[str, list] = {m: [] for m in model_ids}
    for run in runs:
        by_model.setdefault(run.model_id, []).append(run)
    result = []
    for model_id, model_runs in by_model.items():
        model = catalog.get(model_id) if catalog is not None else None
        result.append(
            summarize_model(model_id, model_runs, model.name if model else None, model.tier if model else None)
        )
    return result


@dataclass
class Totals:
    runs: int
    complete: int
    failed: int
    skipped: int
    unfinished: int
    spent: Decimal


def totals(stats: Sequence[ModelStats]) -> Totals:
    return Totals(
        runs=sum(s.runs for s in stats),
        complete=sum(s.complete for s in stats),
        failed=sum(s.failed for s in stats),
        skipped=sum(s.skipped for s in stats),
        unfinished=sum(s.unfinished for s in stats),
        spent=sum((s.total_cost for s in stats), Decimal(0)),
    )


# Sorting the ranked table: key, and whether bigger is better.
SORT_KEYS = {
    "model": (lambda s: s.name.lower(), False),
    "accuracy": (lambda s: s.accuracy, True),
    "exact": (lambda s: s.exact_rate, True),
    "cost": (lambda s: s.cost_per_run, False),
    "cost1000": (lambda s: s.cost_per_1000, False),
    "median": (lambda s: s.median_latency_ms, False),
    "p95": (lambda s: s.p95_latency_ms, False),
    "spread": (lambda s: s.spread, False),
    "failures": (lambda s: s.failed, False),
}


def sort_stats(stats: Sequence[ModelStats], key: str, descending: bool) -> list[ModelStats]:
    """Sorted by one column; models without a value always come last, ties by name."""
    get = SORT_KEYS[key][0]
    present = [s for s in stats if get(s) is not None]
    missing = [s for s in stats if get(s) is None]
    present.sort(key=lambda s: s.name.lower())
    present.sort(key=get, reverse=descending)
    return present + sorted(missing, key=lambda s: s.name.lower())


def best_values(stats: Sequence[ModelStats]) -> dict[str, set[str]]:
    """Column -> ids of the models holding its best value, among models with complete runs.
    A column where every model is equal highlights nothing."""
    eligible = [s for s in stats if s.complete]
    best: dict[str, set[str]] = {}
    for key in ("accuracy", "exact", "cost", "cost1000", "median", "p95", "spread"):
        get, higher = SORT_KEYS[key]
        values = [get(s) for s in eligible if get(s) is not None]
        if len(set(values)) < 2:
            continue
        target = max(values) if higher else min(values)
        best[key] = {s.model_id for s in eligible if get(s) == target}
    return best
