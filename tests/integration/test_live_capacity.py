"""What the live path costs PostgreSQL, counted on the wire: a proxy in front of the database
counts every round trip the web process makes (tests/support/tcp_proxy.py)."""

import re
import time

import pytest

from tests.support.benchmarks import create_benchmark
from tests.support.database import unix_socket_path, via_tcp
from tests.support.live_server import LiveServer
from tests.support.live_socket import connect, sign_up
from tests.support.reports import user_id
from tests.support.tcp_proxy import TcpProxy

DONE = re.compile(r'class="done-count">(\d+)<')


@pytest.fixture
def counted(database_url, tmp_path):
    """The server with its database behind a counting proxy; its listener goes direct (its
    liveness probes are not the live path's cost)."""
    proxy = TcpProxy(unix_socket_path(database_url)).start()
    server = LiveServer(
        via_tcp(database_url, proxy.port), tmp_path, {"LISTEN_DATABASE_URL": database_url, "LIVE_DB_POOL_MAX": "2"}
    ).start()
    try:
        yield server, proxy
    finally:
        server.stop()
        proxy.stop()


def settled(proxy) -> int:
    """The proxy's count once it has not moved for half a second (it counts as bytes pass)."""
    last = -1
    while proxy.statements != last:
        last = proxy.statements
        time.sleep(0.5)
    return last


def first_done_count(ws) -> int:
    _, data = ws.recv_data()
    return int(DONE.search(data.decode()).group(1))


def test_a_viewer_of_a_watched_report_costs_one_round_trip(counted, database_url):
    """After a deploy every viewer reconnects at once: each connect checks its session and the
    report's owner in one statement, and takes its snapshot from the hub (no render)."""
    server, proxy = counted
    session = sign_up(server.url, "owner@example.com")
    report_id = create_benchmark(database_url, user_id(database_url, "owner@example.com"), images=1, samples=2)
    first = connect(server.url, report_id, session)
    assert first_done_count(first) == 0  # the report is now watched and rendered
    before = settled(proxy)
    for _ in range(5):
        ws = connect(server.url, report_id, session)
        assert first_done_count(ws) == 0
        ws.close()
    assert settled(proxy) - before == 5
    first.close()


def test_a_refused_viewer_costs_one_round_trip_and_none_without_a_session(counted, database_url):
    server, proxy = counted
    sign_up(server.url, "owner@example.com")
    other = sign_up(server.url, "other@example.com")
    report_id = create_benchmark(database_url, user_id(database_url, "owner@example.com"), images=1, samples=1)
    before = settled(proxy)
    for session in (other, None):
        ws = connect(server.url, report_id, session)
        opcode, data = ws.recv_data(control_frame=True)
        assert opcode == 8 and int.from_bytes(data[:2], "big") == 1008
    assert settled(proxy) - before == 1
