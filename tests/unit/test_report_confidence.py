"""The bootstrap over images against cases small enough to work out by hand."""

from dataclasses import FrozenInstanceError

import numpy as np
import pytest

from tests.support.reports import run
from webapp.reports.confidence import Confidence, bootstrap


def scored(model, image, accuracy, sample=0):
    return run(model, image=image, sample=sample, accuracy=accuracy)


def test_one_image_gives_no_interval():
    assert bootstrap([scored("a", 1, 0.5), scored("a", 1, 0.7, sample=1)], ["a"]) is None


def test_a_model_as_good_on_every_image_has_no_spread():
    conf = bootstrap([scored("a", i, 0.8) for i in (1, 2, 3)], ["a"])
    assert (conf.intervals["a"].low, conf.intervals["a"].high) == (pytest.approx(0.8), pytest.approx(0.8))


def test_two_images_right_and_wrong():
    # Resampling two images: both wrong (1/4), one of each (1/2), both right (1/4): the 95%
    # interval runs from 0 to 1.
    conf = bootstrap([scored("a", 1, 0.0), scored("a", 2, 1.0)], ["a"])
    assert (conf.intervals["a"].low, conf.intervals["a"].high) == (0.0, 1.0)


def test_samples_of_an_image_do_not_count_as_more_images():
    # 10 samples of image 1 right and 1 of image 2 wrong: still two images to resample.
    runs = [scored("a", 1, 1.0, sample=s) for s in range(10)] + [scored("a", 2, 0.0)]
    conf = bootstrap(runs, ["a"])
    assert conf.images == 2 and (conf.intervals["a"].low, conf.intervals["a"].high) == (0.0, 1.0)


def test_a_model_better_on_every_image_is_told_apart():
    runs = [scored("a", i, acc + 0.1) for i, acc in ((1, 0.5), (2, 0.8), (3, 0.2))]
    runs += [scored("b", i, acc) for i, acc in ((1, 0.5), (2, 0.8), (3, 0.2))]
    conf = bootstrap(runs, ["a", "b"])
    diff = conf.difference("a", "b")
    assert (diff.low, diff.high) == (pytest.approx(0.1), pytest.approx(0.1))
    assert conf.separable("a", "b") is True and conf.separable("b", "a") is True


def test_models_that_trade_places_are_not_told_apart_and_more_images_are_suggested():
    # a - b is +0.3 on image 1 and -0.1 on image 2 (observed difference 0.1). Resampled: +0.3
    # (1/4), +0.1 (1/2), -0.1 (1/4): the interval [-0.1, 0.3] holds zero. Its half width 0.2 is
    # twice the difference: about 2 x (0.2 / 0.1)^2 = 8 images are needed, 6 more.
    runs = [scored("a", 1, 0.9), scored("b", 1, 0.6), scored("a", 2, 0.4), scored("b", 2, 0.5)]
    conf = bootstrap(runs, ["a", "b"])
    diff = conf.difference("a", "b")
    assert (diff.low, diff.high) == (pytest.approx(-0.1), pytest.approx(0.3))
    assert conf.separable("a", "b") is False
    assert conf.images_to_separate("a", "b", observed=0.1) == 6
    assert conf.images_to_separate("a", "b", observed=0.0) is None


def test_failed_runs_count_as_zero_and_skipped_runs_not_at_all():
    runs = [
        scored("a", 1, 1.0),
        run("a", image=1, sample=1, status="failed"),
        scored("a", 2, 0.5),
        run("a", image=2, sample=1, status="skipped"),
    ]
    conf = bootstrap(runs, ["a"])
    # image 1: 1.0 and 0 (failed); image 2: 0.5. Both-1: 0.5, mixed: (1 + 0.5) / 3 = 0.5, both-2: 0.5
    assert (conf.intervals["a"].low, conf.intervals["a"].high) == (pytest.approx(0.5), pytest.approx(0.5))


def test_the_same_report_always_gives_the_same_numbers():
    runs = [scored(m, i, (i * 7 % 10) / 10 + (0.05 if m == "a" else 0)) for m in "ab" for i in range(1, 9)]
    first, second = bootstrap(runs, ["a", "b"]), bootstrap(runs, ["a", "b"])
    assert first.intervals == second.intervals


def test_the_interval_runs_from_the_2_5th_to_the_97_5th_percentile():
    # 101 resampled differences 0.00, 0.01, ..., 1.00: the 2.5th percentile lies at rank 100 x 0.025 =
    # 2.5, halfway between 0.02 and 0.03; the 97.5th at rank 97.5, halfway between 0.97 and 0.98.
    conf = Confidence(101, {}, {"a": np.arange(101) / 100, "b": np.zeros(101)})
    diff = conf.difference("a", "b")
    assert (diff.low, diff.high, diff.half_width) == (pytest.approx(0.025), pytest.approx(0.975), pytest.approx(0.475))


def test_an_interval_that_touches_zero_does_not_tell_the_models_apart():
    # a - b is 0 on image 1 and +0.2 on image 2. Resampled: 0 (1/4), +0.1 (1/2), +0.2 (1/4): the
    # interval [0, 0.2] does not leave zero out, whichever way round.
    runs = [scored("a", 1, 0.5), scored("b", 1, 0.5), scored("a", 2, 0.7), scored("b", 2, 0.5)]
    conf = bootstrap(runs, ["a", "b"])
    diff = conf.difference("a", "b")
    assert (diff.low, diff.high) == (0.0, pytest.approx(0.2))
    assert conf.separable("a", "b") is False and conf.separable("b", "a") is False
    # Half width 0.1 against an observed 0.1: about 2 x (0.1 / 0.1)^2 = 2 images would do, which
    # are already there: at least 1 more is suggested.
    assert conf.images_to_separate("a", "b", observed=0.1) == 1


def test_the_same_difference_on_every_image_needs_no_more_images():
    # a - b is exactly 0.25 on both images, so on every resample: a zero-width interval.
    runs = [scored("a", 1, 0.5), scored("b", 1, 0.25), scored("a", 2, 0.75), scored("b", 2, 0.5)]
    conf = bootstrap(runs, ["a", "b"])
    diff = conf.difference("a", "b")
    assert (diff.low, diff.high, diff.half_width) == (0.25, 0.25, 0.0)
    assert conf.separable("a", "b") is True
    assert conf.images_to_separate("a", "b", observed=0.25) is None


def test_a_model_without_scored_runs_has_no_interval_and_no_verdict():
    runs = [scored("a", 1, 0.5), scored("a", 2, 1.0), run("b", image=1, status="skipped")]
    conf = bootstrap(runs, ["a", "b"])
    assert list(conf.intervals) == ["a"]
    assert conf.difference("a", "b") is None and conf.difference("b", "a") is None
    assert conf.separable("a", "b") is None and conf.images_to_separate("a", "b", observed=0.5) is None


def test_intervals_are_frozen():
    conf = bootstrap([scored("a", 1, 0.0), scored("a", 2, 1.0)], ["a"])
    with pytest.raises(FrozenInstanceError):
        conf.intervals["a"].low = 0.5
