"""Sign-ups in a burst must not stall the rest of the web process.

    ./bench/run abuse                 # 100 sign-ups at once
    ./bench/run abuse --signups 200

One web process (gunicorn + gevent) and the embedded PostgreSQL. /healthz is probed every
20 ms by one client, first with nothing else going on (the baseline), then while N clients
sign up at once (argon2 runs in the process's pool of real threads). The table gives the
probe's latency in both phases and their ratio, the sign-ups' own latency, and any answer
that was not a success.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.common import LiveServer, TestDatabases, fmt, percentile, raise_open_files_limit, record, table
from tests.support.live_socket import PASSWORD

TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def probe(url: str, stop: threading.Event) -> tuple[list[float], list[int]]:
    times, failures = [], []
    with httpx.Client(base_url=url, timeout=30) as client:
        while not stop.is_set():
            started = time.perf_counter()
            status = client.get("/healthz").status_code
            times.append((time.perf_counter() - started) * 1000)
            if status != 200:
                failures.append(status)
            time.sleep(0.02)
    return times, failures


def probed(url: str, work, seconds: float | None = None):
    stop, result = threading.Event(), {}
    prober = threading.Thread(target=lambda: result.update(probe=probe(url, stop)))
    prober.start()
    outcome = work() if work else time.sleep(seconds)
    stop.set()
    prober.join()
    return result["probe"], outcome


def sign_up(url: str, i: int) -> tuple[float, int]:
    with httpx.Client(base_url=url, timeout=60) as client:
        token = TOKEN.search(client.get("/signup").text).group(1)
        started = time.perf_counter()
        status = client.post(
            "/signup",
            data={"csrf_token": token, "email": f"user{i}@example.com", "password": PASSWORD, "confirm": PASSWORD},
        ).status_code
        return (time.perf_counter() - started) * 1000, status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signups", type=int, default=100)
    n = parser.parse_args().signups
    raise_open_files_limit()
    dbs = TestDatabases().start()
    try:
        server = LiveServer(
            dbs.create(),
            Path(tempfile.mkdtemp(prefix="vb-abuse-")),
            {"SIGNUPS_PER_ADDRESS_PER_HOUR": str(n * 2), "DB_POOL_MAX": "10"},
        ).start()
        try:
            httpx.get(server.url + "/healthz")
            (idle, _), _ = probed(server.url, None, 3.0)

            def burst():
                with ThreadPoolExecutor(n) as pool:
                    return list(pool.map(lambda i: sign_up(server.url, i), range(n)))

            (busy, probe_failures), signups = probed(server.url, burst)
        finally:
            server.stop()
    finally:
        dbs.stop()
    signup_ms = [ms for ms, _ in signups]
    not_ok = [status for _, status in signups if status != 302] + probe_failures
    p95_idle, p95_busy = percentile(idle, 95), percentile(busy, 95)
    rows = [
        ["/healthz, nothing else running", len(idle), fmt(percentile(idle, 50), " ms"), fmt(p95_idle, " ms"), "1.0"],
        [
            f"/healthz, during {n} sign-ups at once",
            len(busy),
            fmt(percentile(busy, 50), " ms"),
            fmt(p95_busy, " ms"),
            fmt(p95_busy / p95_idle if p95_idle else None, "", 1),
        ],
        [
            f"the {n} sign-ups themselves",
            len(signup_ms),
            fmt(percentile(signup_ms, 50), " ms"),
            fmt(percentile(signup_ms, 95), " ms"),
            "—",
        ],
    ]
    record(
        f"Sign-ups in a burst: {n} at once",
        table(["What", "Requests", "p50", "p95", "p95 vs idle"], rows)
        + f"\n\nAnswers other than success: {len(not_ok)}{' ' + str(sorted(set(not_ok))) if not_ok else ''}. Target: "
        f"/healthz p95 under 100 ms during the burst: {'met' if p95_busy and p95_busy < 100 else 'NOT met'}.\n",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
