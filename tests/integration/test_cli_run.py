"""`visionbench run` against the real server (gunicorn and a job worker, simulated provider):
progress, ranking, the report written, and the exit codes a CI job acts on."""

import json
import subprocess
import sys

import pytest

from tests.support.api_tokens import insert_token
from tests.support.benchmarks import create_user
from tests.support.images import png
from tests.support.live_server import ROOT, free_port

FREE_MODEL = "mistralai/mistral-small-3.1-24b-instruct:free"  # damages a quarter of the fields
EXPECTED = {
    "merchant": "Corner Grocery",
    "date": "2025-03-14",
    "currency": "EUR",
    "items": [{"name": "Bread", "price": 2.5}, {"name": "Milk", "price": 1.2}, {"name": "Eggs", "price": 3.1}],
    "tax": 0.62,
    "total": 6.8,
    "paid_by_card": True,
}


@pytest.fixture
def folder(tmp_path):
    data = tmp_path / "receipts"
    data.mkdir()
    for n, size in ((1, (64, 48)), (2, (48, 64))):
        (data / f"receipt-{n}.png").write_bytes(png(size=size))
        (data / f"receipt-{n}.json").write_text(json.dumps(EXPECTED))
    (tmp_path / "prompt.txt").write_text("Extract the receipt as JSON with the keys of the example.")
    return data


@pytest.fixture
def server(live_server, database_url):
    live_server.start_worker()
    live_server.token = insert_token(database_url, create_user(database_url))
    return live_server


def run(folder, server_url: str, token: str, *extra: str) -> subprocess.CompletedProcess:
    args = [sys.executable, "-m", "webapp", "run", str(folder), "--prompt-file", str(folder.parent / "prompt.txt")]
    args += ["--url", server_url, "--token", token, "--poll-seconds", "0.1", *extra]
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_a_run_shows_progress_prints_the_ranking_and_writes_the_report(folder, server, tmp_path):
    out = tmp_path / "report.json"
    done = run(folder, server.url, server.token, "--models", f"openai/gpt-5-nano,{FREE_MODEL}", "--samples", "2",
               "--out", str(out), "--fail-under", "0")  # fmt: skip
    assert done.returncode == 0, done.stderr
    # Not a terminal: one plain line per change, ending with all 2 models x 2 images x 2 samples done.
    progress = [line for line in done.stderr.splitlines() if "runs done" in line]
    assert progress[0] == "0/8 runs done (0%), queued"  # as created
    assert progress[-1] == "8/8 runs done (100%), complete"
    assert "\r" not in done.stderr and "[" not in "".join(progress)
    report = json.loads(out.read_text())
    assert report["report"]["status"] == "complete" and report["report"]["simulated"] is True
    ranked = [m["model_id"] for m in report["summary"]]
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["Rank", "Model", "Accuracy", "Exact", "Cost/run", "Median"]
    assert [line.split()[1] for line in lines[1:3]] == ranked
    recommended = report["recommendation"]["model_id"]
    assert f"{recommended}" in next(line for line in lines if "← recommended" in line)
    assert lines[-1].startswith(f"PASS: {recommended} has accuracy")


def test_a_model_under_the_threshold_fails_the_run(folder, server, tmp_path):
    out = tmp_path / "report.json"
    # 2 images x 3 samples of 10 fields, each damaged with a chance of about a quarter: never all right.
    done = run(folder, server.url, server.token, "--models", FREE_MODEL, "--samples", "3", "--fail-under", "1",
               "--out", str(out))  # fmt: skip
    assert done.returncode == 1, done.stderr
    accuracy = json.loads(out.read_text())["summary"][0]["accuracy"]
    assert accuracy < 1
    assert done.stdout.splitlines()[-1] == f"FAIL: {FREE_MODEL} has accuracy {accuracy * 100:.1f}%, under 100.0%."


def test_the_server_refusing_the_input_is_a_usage_error(folder, server):
    done = run(folder, server.url, server.token, "--models", "nobody/nothing")
    assert done.returncode == 2
    assert "models: Some of the chosen models are not in the catalog; choose again." in done.stderr


def test_a_revoked_or_wrong_token_is_a_usage_error(folder, server):
    done = run(folder, server.url, "vb_" + "x" * 43, "--models", FREE_MODEL)
    assert done.returncode == 2
    assert "This API token is not valid" in done.stderr


def test_a_missing_json_is_named_before_anything_is_sent(folder, server):
    (folder / "receipt-2.json").unlink()
    done = run(folder, server.url, server.token, "--models", FREE_MODEL)
    assert done.returncode == 2
    assert "missing for: receipt-2.png" in done.stderr


def test_an_unreachable_server_is_a_failure_not_a_usage_error(folder):
    done = run(folder, f"http://127.0.0.1:{free_port()}", "vb_" + "x" * 43, "--models", FREE_MODEL)
    assert done.returncode == 3
    assert "cannot reach" in done.stderr
