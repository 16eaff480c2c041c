"""Per-field accuracy: for each field of the expected JSON, how often each model got it right.

Array positions are folded (`items[0].price` and `items[3].price` are both `items[].price`), so
a field reads the same on every image. Each occurrence of a field in a scored run counts once:
right when the run's differences do not name it. A failed run (no output) and an output that is
not JSON get every field wrong, as in the accuracy. Fields a model invented are not rows: they
belong to no expected document (the error patterns show them). Pure: no database, no Flask.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from ..field_paths import fold
from ..scoring import NOT_JSON, ROOT, flatten


@dataclass(frozen=True)
class Cell:
    right: int
    total: int

    @property
    def rate(self) -> float | None:
        return self.right / self.total if self.total else None


@dataclass(frozen=True)
class FieldRow:
    path: str  # folded
    cells: dict[str, Cell]  # model id -> how often it was right

    @property
    def worst(self) -> float:
        """The lowest rate of any model (rows sort on it: worst fields first)."""
        rates = [c.rate for c in self.cells.values() if c.rate is not None]
        return min(rates) if rates else 1.0


def field_table(runs: Sequence, expected_by_image: dict[int, dict], model_ids: Sequence[str]) -> list[FieldRow]:
    occurrences = {image_id: _occurrences(expected) for image_id, expected in expected_by_image.items()}
    counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: {m: [0, 0] for m in model_ids})
    for run in runs:
        if not run.status.scored or run.model_id not in model_ids:
            continue
        wrong = _wrong_paths(run)
        for folded_path, exact_paths in occurrences.get(run.image_id, []):
            cell = counts[folded_path][run.model_id]
            for path in exact_paths:
                cell[1] += 1
                if wrong is not ALL and path not in wrong:
                    cell[0] += 1
    rows = [
        FieldRow(path, {m: Cell(right, total) for m, (right, total) in by_model.items()})
        for path, by_model in counts.items()
    ]
    rows.sort(key=lambda r: (r.worst, r.path))
    return rows


ALL = frozenset({"*"})  # every field wrong: no output, or not JSON


def _wrong_paths(run) -> frozenset[str]:
    if run.status.is_failed:
        return ALL
    diffs = run.diffs or []
    if any(d.get("path") == ROOT and d.get("reason", "").startswith(("not an object", NOT_JSON)) for d in diffs):
        return ALL
    return frozenset(d.get("path") for d in diffs)


def _occurrences(expected: dict) -> list[tuple[str, list[str]]]:
    """(folded path, the exact paths it stands for) for one image's expected JSON."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for path in flatten(expected):
        if path != ROOT:
            grouped[fold(path)].append(path)
    return list(grouped.items())
