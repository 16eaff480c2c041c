"""Markup where a user or a model can put text: every page must show it as text."""

from tests.support.reports import complete

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"
# A model id outside the catalog is shown as it is (the catalog has no name for it).
HOSTILE_MODEL = "<svg onload=alert(3)>x"
RAW_MARKERS = ("<script>alert", "<img src=x", "onerror=alert(2)>", "<svg onload")


def hostile_outcome(model_id, position, sample):
    output = {PAYLOAD: PAYLOAD, "total": 12.5, "items": [{"name": PAYLOAD}]}
    if sample == 1:
        return {"status": "failed", "error": f"Upstream said {PAYLOAD}", "latency_ms": 40}
    return complete(
        output,
        latency=500 + 100 * position,
        cost="0.001",
        accuracy=0.5,
        correct=2,
        diffs=[
            {"path": "merchant", "expected": PAYLOAD, "actual": None, "reason": "missing"},
            {"path": "items[0].name", "expected": "Tea", "actual": PAYLOAD, "reason": "different value"},
            {"path": PAYLOAD, "expected": None, "actual": PAYLOAD, "reason": "unexpected"},
        ],
        raw=f"Sure! {PAYLOAD} ```json\n{{}}\n```",
    )
