"""Which model to use, and why, in plain language citing the numbers.

The pick follows the user's priority order with tolerances: models within a small margin of
the best on the first priority are "as good" on it, and the next priority decides among them
(and so on). Without margins a 0.1-point accuracy lead would beat a model ten times cheaper.
On accuracy, models the data cannot tell apart from the best (the bootstrap over images, see
confidence.py) are as good too, whatever the gap: a lead on a handful of images may be noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ..domain import PRIORITIES
from ..formatting import milliseconds, money, percent
from .confidence import Confidence
from .stats import ModelStats

ACCURACY_MARGIN = 0.02  # 2 percentage points
RATIO_MARGIN = 1.2  # within 20% of the cheapest / fastest
GOOD_ENOUGH_MARGIN = 0.05  # "good enough": within 5 points of the most accurate model


@dataclass
class Pick:
    model: ModelStats
    reasons: list[str]


@dataclass
class Recommendation:
    best: Pick
    most_accurate: Pick
    best_value: Pick | None
    fastest_good_enough: Pick | None


def _value(model: ModelStats, metric: str):
    if metric == "accuracy":
        return model.accuracy
    if metric == "cost":
        return model.cost_per_run
    return model.median_latency_ms


def _best_of(pool: Sequence[ModelStats], metric: str) -> ModelStats:
    # Ties go to the model named first alphabetically, so the pick is stable.
    pool = sorted(pool, key=lambda m: m.name.lower())
    if metric == "accuracy":
        return max(pool, key=lambda m: m.accuracy)
    return min(pool, key=lambda m: _value(m, metric))


def _tied(best: ModelStats, other: ModelStats, confidence: Confidence | None) -> bool:
    """On accuracy, the data cannot tell `other` from `best`."""
    return confidence is not None and confidence.separable(best.model_id, other.model_id) is False


def _close_to(pool, metric: str, best: ModelStats, confidence: Confidence | None = None) -> list[ModelStats]:
    target = _value(best, metric)
    if metric == "accuracy":
        return [m for m in pool if m.accuracy >= target - ACCURACY_MARGIN - 1e-12 or _tied(best, m, confidence)]
    limit = target * (Decimal(str(RATIO_MARGIN)) if metric == "cost" else RATIO_MARGIN)
    return [m for m in pool if _value(m, metric) <= limit]


def eligible(stats: Sequence[ModelStats]) -> list[ModelStats]:
    """Models that extracted at least one document (and so have a cost and a latency)."""
    return [
        m
        for m in stats
        if m.complete and m.accuracy is not None and m.cost_per_run is not None and m.median_latency_ms is not None
    ]


def _priorities(priorities: Sequence[str] | None) -> list[str]:
    order = [p for p in (priorities or []) if p in PRIORITIES]
    return order + [p for p in PRIORITIES if p not in order]


def pick(pool: Sequence[ModelStats], priorities: Sequence[str] | None, confidence: Confidence | None = None) -> Pick:
    order = _priorities(priorities)
    reasons: list[str] = []
    pool = list(pool)
    for index, metric in enumerate(order):
        best = _best_of(pool, metric)
        first = index == 0
        if index == len(order) - 1 or len(pool) == 1:
            chosen = best
        else:
            close = _close_to(pool, metric, best, confidence)
            if len(close) > 1:
                tied = (
                    [m for m in close if m is not best and _tied(best, m, confidence)] if metric == "accuracy" else []
                )
                reasons.append(
                    _tie_within_noise(best, tied, order[index + 1], confidence)
                    if tied
                    else _narrowing(metric, best, len(close), first)
                )
                pool = close
                continue
            chosen = best
        reasons.append(_decided(metric, chosen, len(pool), first))
        facts = _facts(chosen, exclude=order[: index + 1])
        return Pick(chosen, reasons + ([facts] if facts else []))
    raise AssertionError("unreachable")


def _narrowing(metric, best, count, first) -> str:
    within = {
        "accuracy": "within 2 points of the best accuracy",
        "cost": "within 20% of the lowest cost",
        "speed": "within 20% of the fastest median latency",
    }[metric]
    lead = f"{_describe(metric, best)} is the best; " if first else ""
    return f"{lead}{count} models are {within}, so the next priority decides."


def _tie_within_noise(best: ModelStats, tied: list[ModelStats], decider: str, confidence: Confidence) -> str:
    """Leaders the data cannot tell apart: say so, let the next priority decide, and say how
    many more images would settle it."""
    runner_up = max(tied, key=lambda m: (m.accuracy, m.name.lower()))
    names = [best.name, *(m.name for m in sorted(tied, key=lambda m: (-m.accuracy, m.name.lower())))]
    listed = " and ".join(names) if len(names) == 2 else ", ".join(names[:-1]) + " and " + names[-1]
    text = (
        f"{listed} are tied within noise on accuracy ({best.name} {percent(best.accuracy, 1)}, "
        f"{runner_up.name} {percent(runner_up.accuracy, 1)} on {confidence.images} images: the difference "
        f"could be chance); {decider} decides."
    )
    more = confidence.images_to_separate(best.model_id, runner_up.model_id, best.accuracy - runner_up.accuracy)
    if more:
        text += (
            f" About {more} more image{'s' if more != 1 else ''} would tell {best.name} and {runner_up.name} "
            "apart, if the difference holds."
        )
    return text


def _describe(metric, m: ModelStats) -> str:
    if metric == "accuracy":
        return f"{m.name}'s accuracy of {percent(m.accuracy, 1)}"
    if metric == "cost":
        return f"{m.name}'s cost of {money(m.cost_per_run)} per document"
    return f"{m.name}'s median latency of {milliseconds(m.median_latency_ms)}"


def _decided(metric, m: ModelStats, pool_size: int, first: bool) -> str:
    among = "" if first or pool_size == 1 else f"Of those {pool_size}, "
    superlative = {
        "accuracy": f"the most accurate: {percent(m.accuracy, 1)} of fields correct on average "
        f"and {percent(m.exact_rate, 0)} of documents exactly right",
        "cost": f"the cheapest: {money(m.cost_per_run)} per document ({money(m.cost_per_1000, 2)} per 1,000)",
        "speed": f"the fastest: a median of {milliseconds(m.median_latency_ms)} per document "
        f"(p95 {milliseconds(m.p95_latency_ms)})",
    }[metric]
    text = f"{among}{m.name} is {superlative}."
    return text[0].upper() + text[1:]


def _facts(m: ModelStats, exclude: Sequence[str]) -> str:
    parts = []
    if "accuracy" not in exclude:
        parts.append(f"gets {percent(m.accuracy, 1)} of fields right")
    if "cost" not in exclude:
        parts.append(f"costs {money(m.cost_per_run)} per document")
    if "speed" not in exclude:
        parts.append(f"answers in {milliseconds(m.median_latency_ms)} (median)")
    if m.failed:
        parts.append(f"failed {m.failed} of {m.scored} runs")
    if not parts:
        return ""
    return "It " + (", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]) + "."


def most_accurate(pool: Sequence[ModelStats]) -> Pick:
    m = _best_of(pool, "accuracy")
    return Pick(
        m,
        [
            f"{percent(m.accuracy, 1)} of fields correct, {percent(m.exact_rate, 0)} of documents "
            f"exactly right, {money(m.cost_per_run)} per document."
        ],
    )


def best_value(pool: Sequence[ModelStats]) -> Pick | None:
    """The cheapest model that is good enough."""
    top = _best_of(pool, "accuracy")
    good = [m for m in pool if m.accuracy >= top.accuracy - GOOD_ENOUGH_MARGIN - 1e-12]
    m = min(sorted(good, key=lambda g: (-g.accuracy, g.name.lower())), key=lambda g: g.cost_per_run)
    reasons = [
        f"{money(m.cost_per_run)} per document ({money(m.cost_per_1000, 2)} per 1,000) for "
        f"{percent(m.accuracy, 1)} of fields correct."
    ]
    if m is top:
        reasons.append("It is also the most accurate model.")
    else:
        gap = (top.accuracy - m.accuracy) * 100
        cheaper = _times_cheaper(m.cost_per_run, top.cost_per_run)
        reasons.append(f"That is {gap:.1f} points below {top.name}" + (f", at {cheaper}." if cheaper else "."))
    return Pick(m, reasons)


def _times_cheaper(cost: Decimal, other: Decimal) -> str | None:
    if other is None or other <= cost:
        return None
    if cost == 0:
        return "no cost at all"
    ratio = other / cost
    return f"{ratio:.1f}× lower cost" if ratio < 10 else f"{ratio:.0f}× lower cost"


def fastest_good_enough(pool: Sequence[ModelStats]) -> Pick | None:
    top = _best_of(pool, "accuracy")
    good = [m for m in pool if m.accuracy >= top.accuracy - GOOD_ENOUGH_MARGIN - 1e-12]
    m = _best_of(good, "speed")
    return Pick(
        m,
        [
            f"A median of {milliseconds(m.median_latency_ms)} per document (p95 "
            f"{milliseconds(m.p95_latency_ms)}) with {percent(m.accuracy, 1)} of fields correct, "
            f"within 5 points of the most accurate model."
        ],
    )


def recommend(
    stats: Sequence[ModelStats], priorities: Sequence[str] | None, confidence: Confidence | None = None
) -> Recommendation | None:
    pool = eligible(stats)
    if not pool:
        return None
    return Recommendation(
        best=pick(pool, priorities, confidence),
        most_accurate=most_accurate(pool),
        best_value=best_value(pool),
        fastest_good_enough=fastest_good_enough(pool),
    )


def rank(
    stats: Sequence[ModelStats], priorities: Sequence[str] | None, confidence: Confidence | None = None
) -> list[ModelStats]:
    """The whole table in recommendation order: pick the best, then the best of the rest..."""
    pool = eligible(stats)
    ranked = []
    while pool:
        chosen = pick(pool, priorities, confidence).model
        ranked.append(chosen)
        pool = [m for m in pool if m is not chosen]
    rest = [m for m in stats if m not in ranked]
    return ranked + sorted(rest, key=lambda m: (-(m.accuracy or 0), m.name.lower()))
