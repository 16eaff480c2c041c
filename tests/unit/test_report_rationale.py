"""The recommendation's margins at their exact edges, and every sentence of its rationale, word for word."""

from tests.support.model_stats import model
from webapp.reports.recommend import rank, recommend
from webapp.reports.stats import ModelStats

ACCURACY_FIRST = ["accuracy", "cost", "speed"]
COST_FIRST = ["cost", "accuracy", "speed"]
SPEED_FIRST = ["speed", "cost", "accuracy"]


class Verdict:
    """A bootstrap's answers, fixed: every pair is tied within noise; `more` images would tell them apart."""

    def __init__(self, images, more):
        self.images, self.more, self.asked = images, more, []

    def separable(self, a, b):
        return False

    def images_to_separate(self, a, b, observed):
        self.asked.append((a, b, observed))
        return self.more


# --- within 2 points of the best accuracy ---------------------------------------------


def test_exactly_two_points_below_the_best_is_within_the_margin():
    alpha, beta = model("Alpha", 0.90, "0.0100", 1000), model("Beta", 0.88, "0.0050", 1000)
    # 0.90 - 0.02 = 0.88: Beta is as good on accuracy, and cheaper ($0.005 < $0.010 / 1.2).
    rec = recommend([alpha, beta], ACCURACY_FIRST)
    assert rec.best.model is beta
    assert rec.best.reasons == [
        "Alpha's accuracy of 90.0% is the best; 2 models are within 2 points of the best accuracy, "
        "so the next priority decides.",
        "Of those 2, Beta is the cheapest: $0.005000 per document ($5.00 per 1,000).",  # 0.005 x 1,000
        "It answers in 1.00 s (median).",  # accuracy and cost were said: only speed is left
    ]


def test_two_point_one_below_the_best_is_outside_the_margin():
    alpha, gamma = model("Alpha", 0.90, "0.0100", 1000), model("Gamma", 0.879, "0.0050", 1000)
    # 0.879 < 0.88: Alpha wins on accuracy alone, and the closing facts give its cost and speed.
    assert recommend([alpha, gamma], ACCURACY_FIRST).best.reasons == [
        "Alpha is the most accurate: 90.0% of fields correct on average and 50% of documents exactly right.",
        "It costs $0.0100 per document and answers in 1.00 s (median).",
    ]


# --- within 20% of the lowest cost ----------------------------------------------------


def test_exactly_twenty_percent_dearer_is_within_the_cost_margin():
    alpha, beta = model("Alpha", 0.90, "0.0012", 1000), model("Beta", 0.80, "0.0010", 1000)
    # 0.0010 x 1.2 = 0.0012: Alpha costs as little, so accuracy decides.
    rec = recommend([alpha, beta], COST_FIRST)
    assert rec.best.model is alpha
    assert rec.best.reasons == [
        "Beta's cost of $0.001000 per document is the best; 2 models are within 20% of the lowest cost, "
        "so the next priority decides.",
        "Of those 2, Alpha is the most accurate: 90.0% of fields correct on average and 50% of documents "
        "exactly right.",
        "It answers in 1.00 s (median).",
    ]


def test_just_over_twenty_percent_dearer_is_outside_the_cost_margin():
    alpha, beta = model("Alpha", 0.90, "0.00121", 1000), model("Beta", 0.80, "0.0010", 1000)
    # 0.00121 > 0.0012: Beta wins on cost alone; the facts give its accuracy and speed.
    assert recommend([alpha, beta], COST_FIRST).best.reasons == [
        "Beta is the cheapest: $0.001000 per document ($1.00 per 1,000).",
        "It gets 80.0% of fields right and answers in 1.00 s (median).",
    ]


# --- within 20% of the fastest median latency -----------------------------------------


def test_exactly_twenty_percent_slower_is_within_the_speed_margin():
    alpha, beta = model("Alpha", 0.90, "0.0020", 1200), model("Beta", 0.80, "0.0030", 1000)
    # 1000 ms x 1.2 = 1200 ms: Alpha is as fast, and cheaper.
    rec = recommend([alpha, beta], SPEED_FIRST)
    assert rec.best.model is alpha
    assert rec.best.reasons == [
        "Beta's median latency of 1.00 s is the best; 2 models are within 20% of the fastest median latency, "
        "so the next priority decides.",
        "Of those 2, Alpha is the cheapest: $0.002000 per document ($2.00 per 1,000).",
        "It gets 90.0% of fields right.",  # one fact left: no "and"
    ]


def test_just_over_twenty_percent_slower_is_outside_the_speed_margin():
    alpha, beta = model("Alpha", 0.90, "0.0020", 1201), model("Beta", 0.80, "0.0030", 1000)
    # 1201 ms > 1200 ms: Beta wins on speed alone (p95 1.5 x 1000 ms).
    assert recommend([alpha, beta], SPEED_FIRST).best.reasons == [
        "Beta is the fastest: a median of 1.00 s per document (p95 1.50 s).",
        "It gets 80.0% of fields right and costs $0.003000 per document.",
    ]


def test_close_on_every_priority_the_last_one_decides():
    alpha = model("Alpha", 0.90, "0.0010", 1100)
    beta = model("Beta", 0.89, "0.0011", 1000, failed=1)
    # 0.89 >= 0.88, $0.0011 <= $0.0012, then speed decides: 1000 ms < 1100 ms. Nothing is left to
    # say but Beta's failures: 1 of its 10 + 1 scored runs.
    rec = recommend([alpha, beta], ACCURACY_FIRST)
    assert rec.best.model is beta
    assert rec.best.reasons == [
        "Alpha's accuracy of 90.0% is the best; 2 models are within 2 points of the best accuracy, "
        "so the next priority decides.",
        "2 models are within 20% of the lowest cost, so the next priority decides.",
        "Of those 2, Beta is the fastest: a median of 1.00 s per document (p95 1.50 s).",
        "It failed 1 of 11 runs.",
    ]


def test_closing_facts_list_three_things_with_commas():
    flaky, pro = model("Flaky", 0.99, "0.0005", 900, failed=2), model("Pro", 0.95, "0.0100", 4000)
    assert recommend([flaky, pro], ACCURACY_FIRST).best.reasons == [
        "Flaky is the most accurate: 99.0% of fields correct on average and 50% of documents exactly right.",
        "It costs $0.000500 per document, answers in 900 ms (median) and failed 2 of 12 runs.",
    ]


def test_priorities_not_given_follow_in_the_default_order():
    alpha, beta = model("Alpha", 0.90, "0.0020", 1200), model("Beta", 0.80, "0.0030", 1000)
    # Speed first, then the rest in the default order (accuracy, cost); an unknown priority is ignored.
    for priorities in (["speed"], ["fame", "speed"]):
        assert recommend([alpha, beta], priorities).best.reasons == [
            "Beta's median latency of 1.00 s is the best; 2 models are within 20% of the fastest median "
            "latency, so the next priority decides.",
            "Of those 2, Alpha is the most accurate: 90.0% of fields correct on average and 50% of documents "
            "exactly right.",
            "It costs $0.002000 per document.",
        ]


# --- tied within noise ----------------------------------------------------------------


def test_three_models_tied_within_noise_are_listed_by_accuracy():
    alpha = model("Alpha", 0.90, "0.0100", 1000)
    beta = model("Beta", 0.85, "0.0020", 1000)
    gamma = model("Gamma", 0.86, "0.0030", 1000)
    verdict = Verdict(images=5, more=1)
    rec = recommend([alpha, beta, gamma], ACCURACY_FIRST, verdict)
    # Beta and Gamma are 5 and 4 points behind, beyond the 2-point margin, but tied within noise;
    # the runner-up is Gamma (86%), and cost decides among the three: Beta.
    assert rec.best.model is beta
    assert rec.best.reasons == [
        "Alpha, Gamma and Beta are tied within noise on accuracy (Alpha 90.0%, Gamma 86.0% on 5 images: the "
        "difference could be chance); cost decides. About 1 more image would tell Alpha and Gamma apart, "
        "if the difference holds.",
        "Of those 3, Beta is the cheapest: $0.002000 per document ($2.00 per 1,000).",
        "It answers in 1.00 s (median).",
    ]
    [(a, b, observed)] = verdict.asked
    assert (a, b) == ("alpha", "gamma") and abs(observed - 0.04) < 1e-12  # 0.90 - 0.86


def test_a_tie_says_nothing_about_more_images_when_the_bootstrap_cannot_tell():
    alpha, beta = model("Alpha", 0.90, "0.0100", 1000), model("Beta", 0.85, "0.0020", 1000)
    rec = recommend([alpha, beta], ACCURACY_FIRST, Verdict(images=3, more=None))
    assert rec.best.reasons[0] == (
        "Alpha and Beta are tied within noise on accuracy (Alpha 90.0%, Beta 85.0% on "
        "3 images: the difference could be chance); cost decides."
    )
    rec = recommend([alpha, beta], ACCURACY_FIRST, Verdict(images=3, more=6))
    assert rec.best.reasons[0].endswith(
        " About 6 more images would tell Alpha and Beta apart, if the difference holds."
    )


# --- most accurate, best value, fastest good enough -----------------------------------


def test_most_accurate_in_one_sentence():
    pro, mini = model("Pro", 0.95, "0.0100", 4000), model("Mini", 0.94, "0.0010", 2000)
    assert recommend([pro, mini], ACCURACY_FIRST).most_accurate.reasons == [
        "95.0% of fields correct, 50% of documents exactly right, $0.0100 per document."
    ]


def test_best_value_states_the_gap_and_how_much_cheaper():
    top, mid = model("Top", 0.90, "0.0100", 1000), model("Mid", 0.8556, "0.0040", 1000)
    rec = recommend([top, mid], ACCURACY_FIRST)
    # (0.90 - 0.8556) x 100 = 4.44 points; $0.0100 / $0.0040 = 2.5 times cheaper.
    assert rec.best_value.model is mid
    assert rec.best_value.reasons == [
        "$0.004000 per document ($4.00 per 1,000) for 85.6% of fields correct.",
        "That is 4.4 points below Top, at 2.5× lower cost.",
    ]


def test_exactly_five_points_below_the_best_is_good_enough():
    top = model("Top", 0.90, "0.0100", 1000)
    free = model("Free", 0.85, "0", 500)  # 0.90 - 0.05 = 0.85: good enough
    cheap = model("Cheap", 0.849, "0.0001", 100)  # 5.1 points below: not, however cheap and fast
    rec = recommend([top, free, cheap], ACCURACY_FIRST)
    assert rec.best_value.model is free
    assert rec.best_value.reasons == [
        "$0.00 per document ($0.00 per 1,000) for 85.0% of fields correct.",
        "That is 5.0 points below Top, at no cost at all.",
    ]
    assert rec.fastest_good_enough.model is free
    assert rec.fastest_good_enough.reasons == [
        "A median of 500 ms per document (p95 750 ms) with 85.0% of fields correct, within 5 points of the "
        "most accurate model."
    ]


def test_models_that_cannot_be_ranked_follow_by_accuracy_then_name():
    alpha = model("Alpha", 0.90, "0.0010", 1000)
    unpriced = ModelStats(model_id="half", name="Half", tier=None, runs=2, complete=2, accuracy=0.5, exact_rate=0.0)
    absent = ModelStats(model_id="absent", name="Absent", tier=None, runs=2, skipped=2)
    broken = ModelStats(model_id="broken", name="Broken", tier=None, runs=2, failed=2, accuracy=0.0, exact_rate=0.0)
    # Half (50%, but no cost or latency recorded), then Absent (no accuracy, as 0) and Broken (0%) by name.
    assert rank([broken, absent, unpriced, alpha], ACCURACY_FIRST) == [alpha, unpriced, absent, broken]
