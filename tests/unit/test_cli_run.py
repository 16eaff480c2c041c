"""The verdict of `visionbench run` and its progress bar, from hand-made report JSON."""

from webapp.cli_run import PASSED, UNDER_THRESHOLD, progress_line, verdict


def report(recommended, **accuracy):
    return {
        "recommendation": {"model_id": recommended} if recommended else None,
        "summary": [{"model_id": m, "accuracy": a} for m, a in accuracy.items()],
    }


def test_the_recommended_model_is_judged_unless_one_is_named():
    r = report("a", a=0.9, b=0.5)
    assert verdict(r, None, 0.9) == (PASSED, "PASS: a has accuracy 90.0%, at least 90.0%.")
    assert verdict(r, "b", 0.9) == (UNDER_THRESHOLD, "FAIL: b has accuracy 50.0%, under 90.0%.")
    assert verdict(r, None, 0.9001)[0] == UNDER_THRESHOLD


def test_no_threshold_always_passes_and_no_model_never_does():
    assert verdict(report("a", a=0.1), None, None) == (PASSED, "Recommended: a.")
    assert verdict(report(None, a=None), None, 0.0)[0] == UNDER_THRESHOLD
    assert verdict(report("a", a=0.9, b=None), "b", 0.0)[0] == UNDER_THRESHOLD


def test_the_progress_bar_fills_with_the_percentage():
    status = {"status": "running", "runs": {"done": 3, "total": 6, "failed": 1, "percent": 50}}
    assert progress_line(status, bar=False) == "3/6 runs done (50%), running, 1 failed"
    assert progress_line(status, bar=True) == "[" + "#" * 15 + "." * 15 + "] 3/6 runs done (50%), running, 1 failed"
