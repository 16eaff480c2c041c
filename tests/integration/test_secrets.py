"""API keys and passwords never show up in logs, pages, exports or error messages, even when a
provider echoes the key back in its error."""

import httpx
import psycopg

from tests.support.benchmarks import create_benchmark, report_status, wait_for
from tests.support.fake_openai import FakeOpenAI, Response
from tests.support.live_server import LiveServer
from tests.support.live_socket import PASSWORD, sign_up

API_KEY = "sk-live-7f3a9c0d1e2b4a6f8e0d"


def test_a_provider_echoing_the_key_and_a_users_password_leave_no_trace(database_url, tmp_path):
    server = LiveServer(database_url, tmp_path, {"ACCESS_LOG": "-", "PROVIDER_API_KEY": API_KEY}).start()
    try:
        session = sign_up(server.url, "keeper@example.com")
        with psycopg.connect(database_url) as conn:
            owner = conn.execute("SELECT id FROM users").fetchone()[0]
        report_id = create_benchmark(
            database_url, owner, models=["openai/gpt-5-nano"], images=1, samples=2, provider="openai_compatible"
        )
        with FakeOpenAI() as fake:
            fake.handler = lambda body: Response(
                status=401,
                body={"error": {"message": f"Incorrect API key provided: {API_KEY}. You can find your key at ..."}},
            )
            server.start_worker(PROVIDER_BASE_URL=fake.base_url, PROVIDER_API_KEY=API_KEY)
            wait_for(lambda: report_status(database_url, report_id) == "failed", message="the report to fail")
            assert fake.requests, "the provider was called with the key"
        with psycopg.connect(database_url) as conn:
            token, reason = conn.execute("SELECT share_token, failure_reason FROM reports").fetchone()
            errors = [e for (e,) in conn.execute("SELECT error FROM benchmark_runs")]
        assert all("[redacted]" in e for e in errors) and "[redacted]" in reason

        cookies = {"vb_session": session}
        seen = [reason, *errors, server.log.read_text()]
        for path in (
            f"/r/{token}",
            f"/r/{token}/runs.csv",
            f"/r/{token}/report.json",
            f"/r/{token}/runs?status=failed",
            f"/benchmarks/{report_id}/processing",
            f"/benchmarks/{report_id}/progress",
            "/dashboard",
            "/healthz",
        ):
            seen.append(httpx.get(server.url + path, cookies=cookies, follow_redirects=True).text)
        seen.append(server.log.read_text())
    finally:
        server.stop()
    for text in seen:
        assert API_KEY not in text
        assert PASSWORD not in text
    assert f'"GET /r/{token}/runs" 200' in seen[-1]  # the access log was on, paths without query strings
