"""The shell examples of docs/api.md, run as written (with curl and bash) against the real server:
the documentation cannot drift from the API."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.api_tokens import insert_token
from tests.support.benchmarks import create_user, wait_for
from tests.support.images import png
from tests.support.live_server import ROOT
from tests.support.new_benchmark import EXPECTED

DOC = ROOT / "docs" / "api.md"
pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="the documented examples use curl")


def shell_examples() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", DOC.read_text(), re.S)


def test_the_documented_requests_work_as_written(live_server, database_url, tmp_path):
    live_server.start_worker()
    token = insert_token(database_url, create_user(database_url))
    for n in (1, 2):
        (tmp_path / f"receipt-{n}.png").write_bytes(png())
        (tmp_path / f"receipt-{n}.json").write_text(json.dumps(EXPECTED))
    (tmp_path / "prompt.txt").write_text("Extract the merchant and the total of this receipt as JSON.")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    examples = shell_examples()
    setup, create, status, report, cli = examples  # the order of the document
    assert "export VISIONBENCH_TOKEN=vb_..." in setup

    def sh(script: str, **extra) -> subprocess.CompletedProcess:
        values = {"VISIONBENCH_URL": live_server.url, "VISIONBENCH_TOKEN": token, **extra}
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env={**env, **values},
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        return done

    created = sh(create)
    assert created.returncode == 0, created.stdout + created.stderr
    benchmark = json.loads(created.stdout)
    assert benchmark["runs"]["total"] == 2 * 2 * 2 and benchmark["status"] == "queued"
    benchmark_id = str(benchmark["id"])

    def finished() -> bool:
        followed = sh(status, BENCHMARK_ID=benchmark_id)
        assert followed.returncode == 0, followed.stderr
        return json.loads(followed.stdout)["finished"]

    wait_for(finished, message="the benchmark to finish")
    assert sh(report, BENCHMARK_ID=benchmark_id).returncode == 0
    exported = json.loads((tmp_path / "report.json").read_text())
    assert exported["report"]["id"] == benchmark["id"] and exported["report"]["status"] == "complete"

    (tmp_path / "receipts").mkdir()
    for name in ("receipt-1.png", "receipt-1.json", "receipt-2.png", "receipt-2.json"):
        shutil.copy(tmp_path / name, tmp_path / "receipts" / name)
    (tmp_path / "report.json").unlink()
    ran = sh(cli)
    assert ran.returncode in (0, 1), ran.stderr  # passed or under 0.9: both are verdicts
    assert ran.stdout.splitlines()[-1].startswith(("PASS: ", "FAIL: "))
    assert json.loads((tmp_path / "report.json").read_text())["report"]["status"] == "complete"
