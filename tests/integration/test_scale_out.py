"""Two web processes and two job workers on one PostgreSQL, three benchmarks at once, viewers on
both web processes: every report completes and every viewer ends on its exact final state."""

import re
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from tests.support.benchmarks import create_benchmark, report_status, run_counts
from tests.support.live_server import LiveServer
from tests.support.live_socket import connect, read_until_close, sign_up

REPORTS, VIEWERS_PER_PROCESS = 3, 2
RUNS = 3 * 2 * 3  # 3 models x 2 images x 3 samples


@pytest.fixture
def two_servers(database_url, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    servers = [LiveServer(database_url, tmp_path / "a").start(), LiveServer(database_url, tmp_path / "b").start()]
    yield servers
    for server in servers:
        server.stop()


def test_every_viewer_on_either_process_ends_exact_and_every_report_completes(database_url, two_servers):
    a, b = two_servers
    session = sign_up(a.url, "team@example.com")  # the session works on both processes
    with psycopg.connect(database_url) as conn:
        owner = conn.execute("SELECT id FROM users").fetchone()[0]
    reports = [create_benchmark(database_url, owner, images=2, samples=3) for _ in range(REPORTS)]
    sockets = [
        (server, report_id, connect(server.url, report_id, session))
        for report_id in reports
        for server in (a, b)
        for _ in range(VIEWERS_PER_PROCESS)
    ]
    for _, _, ws in sockets:  # everyone has the first snapshot before anything moves
        assert 'class="done-count">0<' in ws.recv()
    a.start_worker(SIMULATED_SPEED="0.1", MAX_CALLS_PER_REPORT="3")
    b.start_worker(SIMULATED_SPEED="0.1", MAX_CALLS_PER_REPORT="3")
    with ThreadPoolExecutor(len(sockets)) as pool:
        endings = list(pool.map(lambda s: read_until_close(s[2]), sockets))

    for (server, report_id, _), (messages, code) in zip(sockets, endings):
        assert code == 1000, (server.url, report_id)
        last = messages[-1]
        assert f'class="done-count">{RUNS}<' in last and "Complete!" in last, (server.url, report_id)
        assert f"/benchmarks/{report_id}/done" in last
        # Updates came while it ran, not just the end state
        counts = [int(m) for m in re.findall(r'class="done-count">(\d+)<', "".join(messages))]
        assert counts == sorted(counts)
    for report_id in reports:
        assert report_status(database_url, report_id) == "complete"
        counts = run_counts(database_url, report_id)
        assert sum(counts.values()) == RUNS and counts.get("complete", 0) + counts.get("failed", 0) == RUNS
    with psycopg.connect(database_url) as conn:
        attempts = conn.execute("SELECT max(attempts) FROM benchmark_runs").fetchone()[0]
    assert attempts == 1  # no run was done twice by the two workers
