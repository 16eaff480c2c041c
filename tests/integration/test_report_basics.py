"""The report link and the dashboard after a real engine run."""

import psycopg

from tests.support.benchmarks import create_benchmark, report_status, wait_for


def test_finished_report_is_shown_by_its_link_and_listed_on_the_dashboard(client, logged_in, database_url, live_server):
    with psycopg.connect(database_url) as conn:
        owner = conn.execute("SELECT id FROM users").fetchone()[0]
    report_id = create_benchmark(database_url, owner, images=1, samples=2)
    live_server.start_worker()
    wait_for(lambda: report_status(database_url, report_id) == "complete", message="report to complete")
    with psycopg.connect(database_url) as conn:
        token = conn.execute("SELECT share_token FROM reports WHERE id = %s", (report_id,)).fetchone()[0]
    page = client.get(f"/r/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Most accurate:" in html and "Simulated" in html
    for name in ("GPT-5 Nano", "Gemini 2.5 Flash", "Claude Sonnet 4.5"):
        assert name in html
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert f'href="/r/{token}"' in dashboard and "Complete" in dashboard
    anonymous = client.application.test_client()
    assert anonymous.get(f"/r/{token}").status_code == 200  # anyone with the link
    assert anonymous.get("/r/not-a-real-token").status_code == 404
