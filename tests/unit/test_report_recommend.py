"""The recommendation, error patterns and completion email settings, on small known inputs."""

import pytest

from tests.support.model_stats import model
from tests.support.reports import run
from webapp.reports.email import parse_smtp_url
from webapp.reports.exports import safe_cell
from webapp.reports.patterns import error_patterns
from webapp.reports.recommend import rank, recommend
from webapp.reports.stats import ModelStats

# Dear and accurate; nearly as accurate and cheap; fast and much less accurate; one that never worked.
PRO = model("Pro", 0.95, "0.0100", 4000)
MINI = model("Mini", 0.94, "0.0010", 2000)
FLASH = model("Flash", 0.80, "0.0002", 600)
BROKEN = ModelStats(model_id="broken", name="Broken", tier=None, runs=4, failed=4, accuracy=0.0, exact_rate=0.0)
ALL = [PRO, MINI, FLASH, BROKEN]


def test_accuracy_first_takes_the_cheaper_of_two_models_within_two_points():
    rec = recommend(ALL, ["accuracy", "cost", "speed"])
    assert rec.best.model is MINI
    text = " ".join(rec.best.reasons)
    assert "Pro's accuracy of 95.0% is the best; 2 models are within 2 points" in text
    assert "Of those 2, Mini is the cheapest: $0.001000 per document ($1.00 per 1,000)." in text
    assert rec.most_accurate.model is PRO


def test_cost_first_and_speed_first_pick_the_cheap_fast_model():
    assert recommend(ALL, ["cost", "accuracy", "speed"]).best.model is FLASH
    assert recommend(ALL, ["speed", "cost", "accuracy"]).best.model is FLASH


def test_best_value_and_fastest_good_enough_stay_within_five_points_of_the_best():
    rec = recommend(ALL, ["accuracy", "cost", "speed"])
    assert rec.best_value.model is MINI  # Flash is cheaper but 15 points worse
    assert "1.0 points below Pro, at 10× lower cost." in " ".join(rec.best_value.reasons)
    assert rec.fastest_good_enough.model is MINI
    assert "A median of 2.00 s per document" in rec.fastest_good_enough.reasons[0]


def test_a_model_that_never_extracted_anything_is_never_recommended_and_ranks_last():
    assert rank(ALL, ["accuracy", "cost", "speed"]) == [MINI, PRO, FLASH, BROKEN]
    assert recommend([BROKEN], None) is None


def test_failures_are_mentioned_in_the_rationale():
    flaky = model("Flaky", 0.99, "0.0005", 900, failed=2)
    rec = recommend([flaky, PRO], ["accuracy", "cost", "speed"])
    assert rec.best.model is flaky and "failed 2 of 12 runs" in " ".join(rec.best.reasons)


def test_error_patterns_count_a_field_only_where_it_is_expected():
    expected = {1: {"total": 1, "date": "x"}, 2: {"total": 2}}
    diff = [{"path": "date", "expected": "x", "actual": "y", "reason": "different value"}]
    runs = []
    for sample in range(4):  # image 1: `date` wrong in 1 of 4 runs; image 2 has no `date`
        r = run("a", image=1, sample=sample, accuracy=1.0, exact=True)
        r.diffs = diff if sample == 0 else []
        runs.append(r)
        r2 = run("b", image=2, sample=sample, accuracy=1.0, exact=True)
        r2.diffs = []
        runs.append(r2)
    patterns = error_patterns(runs, expected)
    assert [(p.path, p.wrong, p.total) for p in patterns] == [("date", 1, 4)]  # 25%, not 1 of 8
    assert [(m.model_id, m.wrong, m.total) for m in patterns[0].models] == [("a", 1, 4)]
    assert error_patterns(runs, expected, threshold=0.3) == []


def test_error_patterns_keep_the_fifteen_most_frequent():
    expected = {1: {f"f{i:02d}": i for i in range(20)}}
    runs = []
    for sample in range(2):
        r = run("a", image=1, sample=sample, accuracy=0.0, exact=False)
        r.diffs = [
            {"path": f"f{i:02d}", "expected": i, "actual": None, "reason": "missing"}
            for i in range(20)
            if sample == 0 or i < 5
        ]
        runs.append(r)
    patterns = error_patterns(runs, expected)
    assert len(patterns) == 15
    assert [p.path for p in patterns[:5]] == ["f00", "f01", "f02", "f03", "f04"]  # wrong in both runs first


@pytest.mark.parametrize(
    "value, expected",
    [("=1+1", "'=1+1"), ("-3", "'-3"), ("@SUM(A1)", "'@SUM(A1)"), ("plain", "plain"), (None, ""), (12, "12")],
)
def test_csv_cells_that_start_a_formula_are_quoted(value, expected):
    assert safe_cell(value) == expected


def test_smtp_url_settings_and_their_repr_has_no_password():
    s = parse_smtp_url("smtp://me%40x.com:p%40ss@mail.example.com:587?from=Bench <b@x.com>")
    assert (s.host, s.port, s.use_tls, s.username, s.password, s.sender) == (
        "mail.example.com",
        587,
        False,
        "me@x.com",
        "p@ss",
        "Bench <b@x.com>",
    )
    assert "p@ss" not in repr(s)
    assert parse_smtp_url("smtps://mail.example.com").port == 465
    with pytest.raises(ValueError, match="SMTP_URL must look like"):
        parse_smtp_url("http://mail.example.com")


def _benchmark(per_image: dict[str, list[float]], costs: dict[str, str]):
    """Runs of models over images (one sample each), summarized, with their bootstrap."""
    from webapp.reports.confidence import bootstrap
    from webapp.reports.stats import summarize

    runs = [
        run(m, image=i + 1, accuracy=acc, latency=1000, cost=costs[m])
        for m, accuracies in per_image.items()
        for i, acc in enumerate(accuracies)
    ]
    models = list(per_image)
    return summarize(runs, models), bootstrap(runs, models)


def test_a_lead_the_images_do_not_confirm_is_a_tie_and_cost_decides():
    # a leads by 4 points (beyond the 2-point margin), but the images trade places:
    # a - b = +0.3, -0.3, +0.4, -0.24 on the four images.
    stats, confidence = _benchmark(
        {"a": [1.0, 0.6, 1.0, 0.6], "b": [0.7, 0.9, 0.6, 0.84]}, {"a": "0.0100", "b": "0.0010"}
    )
    rec = recommend(stats, ["accuracy", "cost", "speed"], confidence)
    assert rec.best.model.model_id == "b"
    assert rec.best.reasons[0].startswith(
        "a and b are tied within noise on accuracy (a 80.0%, b 76.0% on 4 images: the difference could be "
        "chance); cost decides. About "
    )
    assert "more images would tell a and b apart, if the difference holds." in rec.best.reasons[0]
    assert rec.best.reasons[1] == "Of those 2, b is the cheapest: $0.001000 per document ($1.00 per 1,000)."


def test_the_same_lead_on_every_image_wins():
    # The same 4-point lead, but on every image: the data tell them apart.
    stats, confidence = _benchmark(
        {"a": [0.9, 0.8, 0.7, 0.8], "b": [0.86, 0.76, 0.66, 0.76]}, {"a": "0.0100", "b": "0.0010"}
    )
    rec = recommend(stats, ["accuracy", "cost", "speed"], confidence)
    assert rec.best.model.model_id == "a"
    assert rec.best.reasons[0].startswith("A is the most accurate: 80.0% of fields correct")  # a sentence
    assert not any("noise" in reason for reason in rec.best.reasons)


def test_without_the_bootstrap_the_margin_alone_decides():
    stats, _ = _benchmark({"a": [1.0, 0.6, 1.0, 0.6], "b": [0.7, 0.9, 0.6, 0.84]}, {"a": "0.0100", "b": "0.0010"})
    assert recommend(stats, ["accuracy", "cost", "speed"]).best.model.model_id == "a"  # 4 points > 2
