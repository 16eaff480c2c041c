"""Geometry of the report's charts, drawn as SVG by templates/reports/_charts.html.

Pure functions: numbers in, coordinates and tick labels out. Text is left to the template, so
that Jinja escapes every model name, in SVG as in HTML.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..formatting import milliseconds, money, percent
from .stats import ModelStats, percentile

WIDTH = 720
ROW = 30
LABEL_WIDTH = 190  # the model names column of the row charts
NAME_CHARS = 26


@dataclass
class Tick:
    pos: float
    label: str


@dataclass
class Point:
    x: float
    y: float
    label: str
    title: str
    anchor: str = "start"
    label_y: float = 0.0
    error_bar: tuple[float, float] | None = None  # the accuracy's 95% interval: top and bottom y


@dataclass
class Frame:
    """A chart's size and the plot area inside it, in SVG units."""

    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float


@dataclass
class Scatter(Frame):
    points: list[Point]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    free_x: float | None = None


@dataclass
class LatencyRow:
    y: float
    label: str
    title: str
    dots: list[float] = field(default_factory=list)
    box: tuple[float, float] | None = None
    median_x: float | None = None
    p95_x: float | None = None

    @property
    def dots_path(self) -> str:
        """Every run as one zero-length, round-capped segment of a single path: thousands of
        runs draw as one element instead of thousands of circles."""
        return " ".join(f"M{x} {self.y}h0" for x in sorted(set(self.dots)))


@dataclass
class RowChart(Frame):
    x_ticks: list[Tick]
    rows: list


@dataclass
class Bar:
    y: float
    label: str
    title: str
    width: float
    value_label: str


def short(name: str) -> str:
    return name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1] + "…"


def tick_money(value: float) -> str:
    """Axis labels: as few digits as the value needs ($0.001, $0.25, $2)."""
    if value == 0:
        return "$0"
    return "$" + f"{value:.6f}".rstrip("0").rstrip(".")


def nice_step(span: float, target_ticks: int = 5) -> float:
    raw = span / max(target_ticks, 1)
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * magnitude:
            return m * magnitude
    return 10 * magnitude


def accuracy_vs_cost(models: Sequence[ModelStats], intervals: dict | None = None) -> Scatter | None:
    """`intervals`: model id -> the accuracy's 95% interval, drawn as an error bar."""
    intervals = intervals or {}
    shown = [m for m in models if m.accuracy is not None and m.cost_per_run is not None]
    if not shown:
        return None
    height, left, right, top, bottom = 380, 64.0, WIDTH - 150.0, 20.0, 380 - 56.0
    paid = [float(m.cost_per_run) for m in shown if m.cost_per_run > 0]
    has_free = len(paid) < len(shown)
    plot_left = left + (48 if has_free else 0)
    lo = math.floor(math.log10(min(paid))) if paid else -4
    hi = math.ceil(math.log10(max(paid))) if paid else -3
    if hi <= lo:
        hi = lo + 1
    bottoms = [m.accuracy for m in shown] + [intervals[m.model_id].low for m in shown if m.model_id in intervals]
    y_low = min(0.9, math.floor(min(bottoms) * 10) / 10)

    def x_of(cost: float) -> float:
        return plot_left + (math.log10(cost) - lo) / (hi - lo) * (right - plot_left)

    def y_of(acc: float) -> float:
        return bottom - (acc - y_low) / (1 - y_low) * (bottom - top)

    free_x = left + 20 if has_free else None
    points = []
    for m in shown:
        x = x_of(float(m.cost_per_run)) if m.cost_per_run > 0 else free_x
        interval = intervals.get(m.model_id)
        title = (
            f"{m.name}: {percent(m.accuracy, 1)} accuracy"
            + (f" (95% interval {percent(interval.low, 1)} to {percent(interval.high, 1)})" if interval else "")
            + (f", {money(m.cost_per_run)} per run")
        )
        bar = (round(y_of(interval.high), 1), round(y_of(interval.low), 1)) if interval else None
        points.append(
            Point(
                round(x, 1),
                round(y_of(m.accuracy), 1),
                short(m.name),
                title,
                "end" if x > right - 60 else "start",
                error_bar=bar,
            )
        )
    _place_labels(points)
    x_ticks = [Tick(round(x_of(10.0**e), 1), tick_money(10.0**e)) for e in range(lo, hi + 1)]
    step = 0.1 if 1 - y_low > 0.3 else 0.05 if 1 - y_low > 0.15 else 0.02
    y_ticks, value = [], y_low
    while value <= 1.0 + 1e-9:
        y_ticks.append(Tick(round(y_of(value), 1), percent(value, 0)))
        value += step
    return Scatter(WIDTH, height, left, right, top, bottom, points, x_ticks, y_ticks, free_x)


def _place_labels(points: list[Point], line: float = 13.0, char: float = 6.2) -> None:
    """Moves labels down until none overlaps another (names of close models stay readable)."""
    placed: list[tuple[float, float, float]] = []
    for p in sorted(points, key=lambda p: (p.y, p.x)):
        width = len(p.label) * char + 9
        x0, x1 = (p.x, p.x + width) if p.anchor == "start" else (p.x - width, p.x)
        y = p.y + 4
        while any(abs(y - py) < line and x0 < px1 and px0 < x1 for px0, px1, py in placed):
            y += line
        placed.append((x0, x1, y))
        p.label_y = round(y, 1)


def _row_frame(count: int):
    top, left, right = 12.0, float(LABEL_WIDTH), WIDTH - 70.0
    bottom = top + count * ROW
    return top, left, right, bottom, int(bottom + 44)


def latency_distribution(models: Sequence[ModelStats]) -> RowChart | None:
    shown = [m for m in models if m.latencies_ms]
    if not shown:
        return None
    top, left, right, bottom, height = _row_frame(len(shown))
    longest = max(max(m.latencies_ms) for m in shown)
    step = nice_step(longest) if longest > 0 else 1.0  # every run under a millisecond
    end = max(math.ceil(longest / step) * step, step)

    def x_of(ms: float) -> float:
        return round(left + ms / end * (right - left), 1)

    rows = []
    for i, m in enumerate(shown):
        y = top + i * ROW + ROW / 2
        title = (
            f"{m.name}: median {milliseconds(m.median_latency_ms)}, p95 {milliseconds(m.p95_latency_ms)}, "
            f"{len(m.latencies_ms)} runs"
        )
        rows.append(
            LatencyRow(
                y,
                short(m.name),
                title,
                [x_of(v) for v in m.latencies_ms],
                (x_of(percentile(m.latencies_ms, 0.25)), x_of(percentile(m.latencies_ms, 0.75))),
                x_of(m.median_latency_ms),
                x_of(m.p95_latency_ms),
            )
        )
    ticks = []
    value = 0.0
    while value <= end + 1e-9:
        ticks.append(Tick(x_of(value), milliseconds(value)))
        value += step
    return RowChart(WIDTH, height, left, right, top, bottom, ticks, rows)


def cost_per_run(models: Sequence[ModelStats]) -> RowChart | None:
    shown = [m for m in models if m.cost_per_run is not None]
    if not shown:
        return None
    top, left, right, bottom, height = _row_frame(len(shown))
    highest = max(float(m.cost_per_run) for m in shown)
    step = nice_step(highest) if highest > 0 else 0.001
    end = math.ceil(highest / step) * step if highest > 0 else step
    rows = []
    for i, m in enumerate(shown):
        width = float(m.cost_per_run) / end * (right - left)
        label = "free" if m.cost_per_run == 0 else money(m.cost_per_run)
        rows.append(Bar(top + i * ROW + 5, short(m.name), f"{m.name}: {label} per run", round(width, 1), label))
    ticks, value = [], 0.0
    while value <= end + 1e-12:
        ticks.append(Tick(round(left + value / end * (right - left), 1), tick_money(value)))
        value += step
    return RowChart(WIDTH, height, left, right, top, bottom, ticks, rows)
