"""How sure the ranking is: each model's accuracy with a 95% confidence interval, and whether
two models can be told apart, from a bootstrap over images.

Images are resampled, not runs: the samples of one image are alike (same layout, same hard
field), so treating them as independent would make every interval too narrow. Each resample
draws as many images as there are, with replacement; a model's accuracy on it is the mean over
its scored runs on the drawn images (a failed run scores 0, as in the accuracy). All models
share the same draws, so two models are compared on the same documents (a paired bootstrap):
they are told apart when the 95% interval of their difference leaves out zero. With fewer than
two images there is nothing to resample: no interval, no verdict. Pure: no database, no Flask;
the seed is fixed, so a report shows the same numbers every time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .stats import run_accuracy

RESAMPLES = 2000
SEED = 20261129
LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


@dataclass
class Confidence:
    images: int
    intervals: dict[str, Interval]
    _draws: dict[str, np.ndarray]  # model id -> its accuracy on each resample (NaN: no run drawn)

    def difference(self, a: str, b: str) -> Interval | None:
        """95% interval of accuracy(a) - accuracy(b), on the same resampled images."""
        if a not in self._draws or b not in self._draws:
            return None
        diff = self._draws[a] - self._draws[b]
        diff = diff[~np.isnan(diff)]
        return _interval(diff) if diff.size else None

    def separable(self, a: str, b: str) -> bool | None:
        """True when the data tell a and b apart on accuracy; None when they cannot say."""
        interval = self.difference(a, b)
        return None if interval is None else (interval.low > 0 or interval.high < 0)

    def images_to_separate(self, a: str, b: str, observed: float) -> int | None:
        """About how many more images would tell a and b apart, if their difference holds: an
        interval shrinks with the square root of the number of images."""
        interval = self.difference(a, b)
        if interval is None or observed == 0 or interval.half_width == 0:
            return None
        needed = math.ceil(self.images * (interval.half_width / abs(observed)) ** 2)
        return max(1, needed - self.images)


def _interval(values: np.ndarray) -> Interval:
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return Interval(float(low), float(high))


def bootstrap(
    runs: Sequence, model_ids: Sequence[str], resamples: int = RESAMPLES, seed: int = SEED
) -> Confidence | None:
    images = sorted({r.image_id for r in runs if r.status.scored})
    if len(images) < 2:
        return None
    column = {image_id: i for i, image_id in enumerate(images)}
    totals = np.zeros((len(images), len(model_ids)))  # sum of accuracies per image and model
    counts = np.zeros((len(images), len(model_ids)))  # scored runs per image and model
    index = {m: j for j, m in enumerate(model_ids)}
    for run in runs:
        if run.status.scored and run.model_id in index:
            totals[column[run.image_id], index[run.model_id]] += run_accuracy(run)
            counts[column[run.image_id], index[run.model_id]] += 1
    rng = np.random.default_rng(seed)
    drawn = rng.integers(0, len(images), size=(resamples, len(images)))
    weights = np.zeros((resamples, len(images)))  # how often each image is drawn
    np.add.at(weights, (np.arange(resamples)[:, None], drawn), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = (weights @ totals) / (weights @ counts)  # resamples x models
    draws, intervals = {}, {}
    for model_id, j in index.items():
        column_values = accuracy[:, j]
        if not counts[:, j].any():
            continue
        draws[model_id] = column_values
        finite = column_values[~np.isnan(column_values)]
        if finite.size:
            intervals[model_id] = _interval(finite)
    return Confidence(len(images), intervals, draws)
