"""Two reports side by side (A, then B; every difference is B - A): per model, accuracy, cost
per run and median latency, whether the accuracy moved beyond noise, and the fields that got
better or worse.

Images are matched by the SHA-256 of their bytes, so the same photo uploaded twice, or "run
again", is the same image. When the reports share only some images, both are measured on those
alone; when they share none, each is measured on its own images, and the page says so.

Noise: the runs of both reports go through the report's bootstrap (confidence.py) as if A's and
B's runs of a model were two models: images are resampled, the same draws for A and B, so a
model is compared with itself on the same documents. The change is beyond noise when the 95%
interval of the difference leaves out zero. With fewer than two images there is no interval and
nothing is beyond noise. Pure: no database, no Flask.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from .confidence import Interval, bootstrap
from .fields import Cell, field_table
from .stats import summarize

BEYOND_NOISE = "beyond noise"
WITHIN_NOISE = "within noise"


@dataclass(frozen=True)
class Side:
    """What the comparison needs of one report (page.ReportData has all of it)."""

    model_ids: Sequence[str]
    images: Sequence  # queries.ReportImage: id, position, sha256, expected
    runs: Sequence  # queries.RunRow


@dataclass(frozen=True)
class ImageMatch:
    a_count: int
    b_count: int
    common: int
    expected_differs: int  # images in both whose expected JSON is not the same

    @property
    def same(self) -> bool:
        """The same images with the same expected JSON: the numbers compare like with like."""
        return self.common == self.a_count == self.b_count and not self.expected_differs

    @property
    def over_common(self) -> bool:
        """Measured on the shared images only (each report has images the other lacks)."""
        return self.common > 0 and not self.common == self.a_count == self.b_count


@dataclass(frozen=True)
class Change:
    a: float | Decimal | None
    b: float | Decimal | None

    @property
    def diff(self):
        if self.a is None or self.b is None:
            return None
        return self.b - self.a  # type: ignore[operator]  # both floats, or both Decimals


@dataclass(frozen=True)
class ModelRow:
    model_id: str
    in_a: bool
    in_b: bool
    accuracy: Change
    cost_per_run: Change
    median_latency_ms: Change
    accuracy_interval: Interval | None  # of B - A; None without two images, or a model in one report only

    @property
    def verdict(self) -> str | None:
        """Whether the accuracy moved beyond noise; None for a model in one report only."""
        if not (self.in_a and self.in_b) or self.accuracy.diff is None:
            return None
        i = self.accuracy_interval
        return BEYOND_NOISE if i is not None and (i.low > 0 or i.high < 0) else WITHIN_NOISE


@dataclass(frozen=True)
class FieldChange:
    path: str  # folded, as in the field table
    model_id: str
    a: Cell
    b: Cell

    @property
    def diff(self) -> float:
        return (self.b.rate or 0.0) - (self.a.rate or 0.0)


@dataclass
class Comparison:
    images: ImageMatch
    rows: list[ModelRow]
    better: list[FieldChange]  # largest gain first
    worse: list[FieldChange]  # largest loss first
    has_intervals: bool  # False: fewer than two shared images with the same expected JSON


def image_keys(images: Sequence) -> dict[int, str]:
    """Image id -> its content hash; the second copy of the same bytes gets `#2`, and so on."""
    seen: Counter[str] = Counter()
    keys = {}
    for image in sorted(images, key=lambda i: i.position):
        seen[image.sha256] += 1
        keys[image.id] = image.sha256 if seen[image.sha256] == 1 else f"{image.sha256}#{seen[image.sha256]}"
    return keys


def compare(a: Side, b: Side, catalog=None) -> Comparison:
    keys_a, keys_b = image_keys(a.images), image_keys(b.images)
    common = set(keys_a.values()) & set(keys_b.values())
    expected_a = {keys_a[i.id]: i.expected for i in a.images}
    expected_b = {keys_b[i.id]: i.expected for i in b.images}
    match = ImageMatch(
        len(a.images), len(b.images), len(common), sum(1 for k in common if expected_a[k] != expected_b[k])
    )
    if common:  # like with like: the shared images only
        runs_a = [r for r in a.runs if keys_a.get(r.image_id) in common]
        runs_b = [r for r in b.runs if keys_b.get(r.image_id) in common]
    else:
        runs_a, runs_b = list(a.runs), list(b.runs)
    models = list(dict.fromkeys([*a.model_ids, *b.model_ids]))
    stats_a = {s.model_id: s for s in summarize(runs_a, a.model_ids, catalog)}
    stats_b = {s.model_id: s for s in summarize(runs_b, b.model_ids, catalog)}
    # Noise is only measurable on the same documents with the same truth: resampling those images
    # tells a model's change from chance. Different images, or a changed expected JSON, give none.
    same = {k for k in common if expected_a[k] == expected_b[k]}
    confidence = bootstrap(
        [_tagged(r, "a", keys_a) for r in runs_a if keys_a.get(r.image_id) in same]
        + [_tagged(r, "b", keys_b) for r in runs_b if keys_b.get(r.image_id) in same],
        [f"{side}:{m}" for m in models for side in ("a", "b")],
    )
    rows = []
    for m in models:
        sa, sb = stats_a.get(m), stats_b.get(m)
        rows.append(
            ModelRow(
                m,
                sa is not None,
                sb is not None,
                Change(sa.accuracy if sa else None, sb.accuracy if sb else None),
                Change(sa.cost_per_run if sa else None, sb.cost_per_run if sb else None),
                Change(sa.median_latency_ms if sa else None, sb.median_latency_ms if sb else None),
                confidence.difference(f"b:{m}", f"a:{m}") if confidence and sa and sb else None,
            )
        )
    both = [m for m in models if m in stats_a and m in stats_b]
    changes = _field_changes(runs_a, runs_b, a.images, b.images, both)
    return Comparison(
        images=match,
        rows=rows,
        better=sorted((c for c in changes if c.diff > 0), key=lambda c: (-c.diff, c.path, c.model_id)),
        worse=sorted((c for c in changes if c.diff < 0), key=lambda c: (c.diff, c.path, c.model_id)),
        has_intervals=confidence is not None,
    )


def _tagged(run, side: str, keys: dict[int, str]):
    """The run as the bootstrap sees it: its model named per side, its image by content."""
    return dataclasses.replace(run, model_id=f"{side}:{run.model_id}", image_id=keys[run.image_id])


def _field_changes(runs_a, runs_b, images_a, images_b, models: list[str]) -> list[FieldChange]:
    table_a = {row.path: row for row in field_table(runs_a, {i.id: i.expected for i in images_a}, models)}
    table_b = {row.path: row for row in field_table(runs_b, {i.id: i.expected for i in images_b}, models)}
    changes = []
    for path in table_a.keys() & table_b.keys():
        for m in models:
            cell_a, cell_b = table_a[path].cells[m], table_b[path].cells[m]
            if cell_a.rate is not None and cell_b.rate is not None and cell_a.rate != cell_b.rate:
                changes.append(FieldChange(path, m, cell_a, cell_b))
    return changes
