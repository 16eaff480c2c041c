"""Error patterns: the fields models get wrong most often, with who misses them and examples."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..scoring import ROOT, flatten

THRESHOLD = 0.10  # a field wrong in at least 10% of the runs where it counts
LIMIT = 15
EXAMPLES = 3


@dataclass
class Example:
    model_id: str
    expected: object
    actual: object
    reason: str | None


@dataclass
class ModelMiss:
    model_id: str
    wrong: int
    total: int

    @property
    def rate(self) -> float:
        return self.wrong / self.total if self.total else 0.0


@dataclass
class ErrorPattern:
    path: str
    wrong: int
    total: int
    models: list[ModelMiss] = field(default_factory=list)
    examples: list[Example] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.wrong / self.total if self.total else 0.0

    @property
    def label(self) -> str:
        return "the whole output" if self.path == ROOT else self.path


def error_patterns(
    runs: Sequence, expected_by_image: dict[int, dict], threshold: float = THRESHOLD, limit: int = LIMIT
) -> list[ErrorPattern]:
    """Over complete runs (failed runs have no output to judge). A field counts in the runs on
    images whose expected JSON has it; a field no image expects (invented by a model) and the
    whole output ("$", not JSON) count in every complete run."""
    complete = [r for r in runs if r.status.is_complete]
    expected_paths = {image_id: set(flatten(exp)) for image_id, exp in expected_by_image.items()}
    everywhere = set().union(*expected_paths.values()) if expected_paths else set()

    wrong: dict[str, list] = defaultdict(list)  # path -> [(run, diff)]
    for run in complete:
        seen = set()
        for diff in run.diffs or []:
            path = diff.get("path")
            if path is None or path in seen:
                continue
            seen.add(path)
            wrong[path].append((run, diff))

    patterns = []
    for path, all_misses in wrong.items():
        relevant = [r for r in complete if _counts(path, r, expected_paths, everywhere)]
        # A field some images expect, invented on an image that does not: not a miss of that field.
        misses = [(run, diff) for run, diff in all_misses if _counts(path, run, expected_paths, everywhere)]
        total = len(relevant)
        if not total or not misses or len(misses) / total < threshold:
            continue
        patterns.append(
            ErrorPattern(
                path=path,
                wrong=len(misses),
                total=total,
                models=_by_model(misses, relevant),
                examples=_examples(misses),
            )
        )
    patterns.sort(key=lambda p: (-p.rate, -p.wrong, p.path))
    return patterns[:limit]


def _counts(path: str, run, expected_paths: dict[int, set[str]], everywhere: set[str]) -> bool:
    """Whether `path` counts in `run`: on images that expect it, or everywhere for the whole
    output and for a field no image expects."""
    return path == ROOT or path not in everywhere or path in expected_paths.get(run.image_id, ())


def _by_model(misses, relevant) -> list[ModelMiss]:
    totals: dict[str, int] = defaultdict(int)
    for run in relevant:
        totals[run.model_id] += 1
    wrong: dict[str, int] = defaultdict(int)
    for run, _ in misses:
        wrong[run.model_id] += 1
    result = [ModelMiss(m, n, totals[m]) for m, n in wrong.items()]
    result.sort(key=lambda m: (-m.rate, m.model_id))
    return result


def _examples(misses) -> list[Example]:
    """Distinct mistakes, from as many different models as possible."""
    picked: list[Example] = []
    seen_values, seen_models = set(), set()
    for prefer_new_model in (True, False):
        for run, diff in misses:
            key = repr((diff.get("expected"), diff.get("actual")))
            if key in seen_values or (prefer_new_model and run.model_id in seen_models):
                continue
            seen_values.add(key)
            seen_models.add(run.model_id)
            picked.append(Example(run.model_id, diff.get("expected"), diff.get("actual"), diff.get("reason")))
            if len(picked) == EXAMPLES:
                return picked
    return picked
