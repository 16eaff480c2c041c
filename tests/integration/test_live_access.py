"""The live websocket over the real server: who may watch, what is sent, how it ends."""

import httpx
import psycopg
import pytest

from tests.support.benchmarks import create_benchmark, finish_runs, report_status, wait_for
from tests.support.live_socket import connect, read_until_close, sign_up


def owner_id(database_url, email):
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT id FROM users WHERE email = %s", (email,)).fetchone()[0]


@pytest.fixture
def watcher(live_server, database_url):
    session = sign_up(live_server.url, "watcher@example.com")
    report_id = create_benchmark(database_url, owner_id(database_url, "watcher@example.com"), images=1, samples=1)
    return session, report_id


def first_message(ws) -> str:
    _, data = ws.recv_data()
    return data.decode()


def test_owner_with_this_origin_gets_a_full_snapshot(live_server, watcher):
    session, report_id = watcher
    ws = connect(live_server.url, report_id, session)
    html = first_message(ws)
    assert '<section id="progress"' in html
    assert 'class="total-count">3<' in html
    ws.close()


@pytest.mark.parametrize("who", ["anonymous", "another user", "foreign origin", "missing report"])
def test_everyone_else_is_refused_with_1008(live_server, database_url, watcher, who):
    session, report_id = watcher
    if who == "anonymous":
        ws = connect(live_server.url, report_id, None)
    elif who == "another user":
        ws = connect(live_server.url, report_id, sign_up(live_server.url, "other@example.com"))
    elif who == "foreign origin":
        ws = connect(live_server.url, report_id, session, origin="https://evil.example")
    else:
        ws = connect(live_server.url, 999999, session)
    messages, code = read_until_close(ws)
    assert messages == [] and code == 1008


def test_completion_sends_complete_and_redirector_then_closes_1000(live_server, database_url, watcher):
    session, report_id = watcher
    ws = connect(live_server.url, report_id, session)
    first_message(ws)
    live_server.start_worker()
    messages, code = read_until_close(ws)
    assert code == 1000
    last = messages[-1]
    assert "Complete!" in last and 'class="done-count">3<' in last
    assert f'hx-get="/benchmarks/{report_id}/done"' in last and 'id="redirector"' in last
    assert report_status(database_url, report_id) == "complete"


@pytest.mark.parametrize("message", ["not json {{{", bytes(range(256)) * 4, "x" * 100_000])
def test_any_message_from_the_client_closes_it_with_1003_and_harms_nobody_else(
    live_server, database_url, watcher, message
):
    session, report_id = watcher
    bystander = connect(live_server.url, report_id, session)
    first_message(bystander)
    rude = connect(live_server.url, report_id, session)
    first_message(rude)
    rude.send_binary(message) if isinstance(message, bytes) else rude.send(message)
    _, code = read_until_close(rude)  # a snapshot already on its way may come first
    assert code == 1003
    assert httpx.get(live_server.url + "/healthz").status_code == 200
    finish_runs(database_url, report_id, 1)  # the bystander still gets what follows
    wait_for(lambda: 'class="done-count">1<' in first_message(bystander), message="the bystander's update")
    bystander.close()


def test_server_shutdown_closes_sockets_with_1012(live_server, watcher):
    session, report_id = watcher
    ws = connect(live_server.url, report_id, session)
    first_message(ws)
    live_server.stop_web()
    _, code = read_until_close(ws)
    assert code == 1012


def test_done_endpoint_redirects_htmx_and_plain_requests(live_server, database_url, watcher):
    session, report_id = watcher
    live_server.start_worker()
    wait_for(lambda: report_status(database_url, report_id) == "complete", message="report to complete")
    with psycopg.connect(database_url) as conn:
        token = conn.execute("SELECT share_token FROM reports WHERE id = %s", (report_id,)).fetchone()[0]
    cookies = {"vb_session": session}
    htmx = httpx.get(f"{live_server.url}/benchmarks/{report_id}/done", cookies=cookies, headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and htmx.headers["HX-Redirect"] == f"/r/{token}"
    plain = httpx.get(f"{live_server.url}/benchmarks/{report_id}/done", cookies=cookies)
    assert plain.status_code == 303 and plain.headers["Location"].endswith(f"/r/{token}")
    other = {"vb_session": sign_up(live_server.url, "other@example.com")}
    refused = httpx.get(f"{live_server.url}/benchmarks/{report_id}/done", cookies=other, headers={"HX-Request": "true"})
    assert "HX-Redirect" not in refused.headers and refused.status_code in (302, 404)


def test_the_listener_can_have_its_own_database_url(database_url, tmp_path):
    """For deployments whose DATABASE_URL goes through a transaction-mode pooler."""
    from tests.support.live_server import LiveServer

    server = LiveServer(database_url, tmp_path, {"LISTEN_DATABASE_URL": database_url + "&application_name=vb-listen"})
    server.start()
    try:
        session = sign_up(server.url, "ops@example.com")
        report_id = create_benchmark(database_url, owner_id(database_url, "ops@example.com"), images=1, samples=1)
        ws = connect(server.url, report_id, session)  # the first viewer starts the listener
        first_message(ws)

        def listen_queries():
            with psycopg.connect(database_url) as conn:
                return [
                    q
                    for (q,) in conn.execute("""SELECT query FROM pg_stat_activity
                                                      WHERE application_name = 'vb-listen'
                                                        AND datname = current_database()""")
                ]

        wait_for(lambda: listen_queries(), message="a connection from the listener's own URL")
        queries = listen_queries()
        assert len(queries) == 1 and queries[0].upper().startswith("LISTEN")  # the listener, and only it
        ws.close()
    finally:
        server.stop()
