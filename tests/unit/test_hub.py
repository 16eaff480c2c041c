"""The hub's per-report state lives exactly as long as someone watches the report."""

from tests.support.benchmarks import wait_for
from webapp.realtime.hub import Hub


def test_a_report_nobody_watches_leaves_nothing_behind():
    hub = Hub(lambda report_ids: [(r, f"<p>{r}</p>", False) for r in report_ids], min_interval=0.0)
    try:
        for report_id in range(1, 201):
            viewers = [hub.subscribe(report_id) for _ in range(2)]
            wait_for(lambda viewers=viewers: all(v.next(0.1) for v in viewers), message="the first snapshot")
            hub.mark_dirty(report_id)
            for v in viewers:
                hub.unsubscribe(v)
        assert hub.report_count() == 0 and hub.viewer_count() == 0
        left = {name: value for name, value in vars(hub).items() if isinstance(value, dict) and value}
        assert left == {}, "every per-report table is empty"
        assert hub.renders >= 200
    finally:
        hub.shutdown()


def test_a_report_watched_again_starts_from_a_fresh_snapshot():
    html = {"n": 0}

    def render(report_ids):
        for report_id in report_ids:
            html["n"] += 1
            yield report_id, f"<p>{html['n']}</p>", False

    hub = Hub(render, min_interval=0.0)
    try:
        first = hub.subscribe(7)
        assert wait_for(lambda: first.next(0.1), message="a snapshot").html == "<p>1</p>"
        hub.unsubscribe(first)
        again = hub.subscribe(7)
        assert wait_for(lambda: again.next(0.1), message="a snapshot").html == "<p>2</p>"
    finally:
        hub.shutdown()
