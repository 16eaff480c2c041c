"""The realtime path in one process against the real PostgreSQL: triggers, listener, hub."""

import time

import psycopg

from tests.support.benchmarks import create_benchmark, create_user, wait_for
from webapp.realtime.hub import Hub
from webapp.realtime.listener import CHANNEL, Listener
from webapp.realtime.render import make_renderer


def run_ids(url, report_id):
    with psycopg.connect(url) as conn:
        return [
            r[0] for r in conn.execute("SELECT id FROM benchmark_runs WHERE report_id = %s ORDER BY id", (report_id,))
        ]


def complete(conn, run_id):
    conn.execute(
        "UPDATE benchmark_runs SET status = 'complete', finished_at = now(), field_accuracy = 1 WHERE id = %s",
        (run_id,),
    )


def newest(viewer):
    return viewer.feed.latest.html if viewer.feed.latest else ""


def start(app, url):
    hub = Hub(make_renderer(app, app.extensions["realtime"].pool))
    listener = Listener(url, hub).start()
    wait_for(lambda: listener.connects >= 1, message="listener to connect")
    return hub, listener


def test_a_burst_renders_a_bounded_number_of_times_and_always_delivers_the_last_state(app, database_url):
    report_id = create_benchmark(database_url, create_user(database_url), images=4, samples=10)  # 120 runs
    hub, listener = start(app, database_url)
    try:
        viewers = [hub.subscribe(report_id) for _ in range(50)]
        wait_for(lambda: all('class="done-count">0<' in newest(v) for v in viewers), message="first snapshot")
        before = hub.renders
        started = time.monotonic()
        with psycopg.connect(database_url, autocommit=True) as conn:
            for run_id in run_ids(database_url, report_id):
                complete(conn, run_id)  # 120 commits, 120 notifications
        wait_for(lambda: all('class="done-count">120<' in newest(v) for v in viewers), message="final state")
        time.sleep(0.5)  # nothing more should come
        elapsed = time.monotonic() - started
        renders = hub.renders - before
        assert 1 <= renders <= elapsed / hub.min_interval + 2
        assert renders < 120
        [(_, final, _)] = make_renderer(app, app.extensions["realtime"].pool)([report_id])
        assert all(newest(v) == final for v in viewers)
    finally:
        listener.stop()
        hub.shutdown()


def test_a_killed_listener_connection_listens_again_and_resyncs(app, database_url):
    report_id = create_benchmark(database_url, create_user(database_url), images=1, samples=2)
    ids = run_ids(database_url, report_id)
    hub, listener = start(app, database_url)
    try:
        viewer = hub.subscribe(report_id)
        wait_for(lambda: 'class="done-count">0<' in newest(viewer), message="first snapshot")
        with psycopg.connect(database_url, autocommit=True) as conn:
            killed = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = %s AND pid <> pg_backend_pid()",
                (f"LISTEN {CHANNEL}",),
            ).fetchall()
            assert killed == [(True,)]
            complete(conn, ids[0])  # while the listener is down or coming back
        wait_for(lambda: listener.connects >= 2, message="listener to reconnect")
        wait_for(lambda: 'class="done-count">1<' in newest(viewer), message="the change made meanwhile")
        with psycopg.connect(database_url, autocommit=True) as conn:
            complete(conn, ids[1])
        wait_for(lambda: 'class="done-count">2<' in newest(viewer), message="notifications after reconnect")
    finally:
        listener.stop()
        hub.shutdown()


def test_notifications_come_only_for_committed_changes(database_url):
    report_id = create_benchmark(database_url, create_user(database_url), images=1, samples=1)
    ids = run_ids(database_url, report_id)
    with psycopg.connect(database_url, autocommit=True) as listen:
        listen.execute(f"LISTEN {CHANNEL}")
        with psycopg.connect(database_url) as writer:
            complete(writer, ids[0])
            writer.rollback()
        assert list(listen.notifies(timeout=0.5)) == []
        with psycopg.connect(database_url) as writer:
            complete(writer, ids[0])
            complete(writer, ids[1])
            assert list(listen.notifies(timeout=0.3)) == []  # not before the commit
            writer.commit()
        payloads = [n.payload for n in listen.notifies(timeout=0.5)]
        assert payloads == [str(report_id)]  # two changes in one transaction: one notification
