"""A benchmark whose output schema carries comparison rules, run by a real worker against the
local OpenAI-compatible server: the stored scores follow the rules, the models never see them,
a rescore keeps applying them, and the report says which were in force."""

import json

import psycopg
import pytest

from tests.support.benchmarks import report_status
from tests.support.fake_openai import FakeOpenAI
from tests.support.live_server import LiveServer
from tests.support.reports import share_token
from webapp.output_schema import infer
from webapp.reports.rescore import rescore
from webapp.scoring import compare

from .test_output_modes import run_on_fake

EXPECTED = {
    "merchant": "Corner Grocery",
    "date": "2024-03-01",
    "total": 12.5,
    "items": [{"name": "Tea", "price": 3.1}, {"name": "Milk", "price": 1.2}],
}
# Every field written otherwise than expected, each as one of the rules forgives.
ANSWER = {
    "merchant": "CORNER GROCERY",
    "date": "March 1, 2024",
    "total": 12.51,
    "items": [{"name": "Milk", "price": 1.2}, {"name": "Tea", "price": 3.1}],
}
SCHEMA = infer([EXPECTED])
SCHEMA["properties"]["merchant"]["x-compare"] = {"case_insensitive": True}
SCHEMA["properties"]["date"]["format"] = "date"
SCHEMA["properties"]["total"]["x-compare"] = {"tolerance": 0.01}
SCHEMA["properties"]["items"]["x-compare"] = {"unordered": True}
MODES = {"openai/gpt-5-nano": "json_schema", "google/gemma-3-27b-it:free": "json_object"}


@pytest.fixture
def workers(database_url, tmp_path):
    server = LiveServer(database_url, tmp_path)
    yield server
    server.stop()


def stored_scores(url: str, report_id: int) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            """SELECT status, exact, correct_fields, total_fields, diffs FROM benchmark_runs
               WHERE report_id = %s ORDER BY id""",
            (report_id,),
        ).fetchall()


def test_scores_follow_the_schemas_rules_and_a_rescore_keeps_them(database_url, workers, client):
    # Without the rules every one of the 7 fields would be wrong.
    assert compare(EXPECTED, ANSWER).correct_fields == 0
    with FakeOpenAI() as fake:
        fake.reply_json(ANSWER)
        report_id = run_on_fake(
            database_url,
            workers,
            fake,
            models=list(MODES),
            images=1,
            samples=1,
            expected=EXPECTED,
            output_schema=SCHEMA,
            output_mode=MODES,
        )
    assert report_status(database_url, report_id) == "complete"
    assert stored_scores(database_url, report_id) == [("complete", True, 7, 7, [])] * 2

    # The rules are the scorer's: neither the response_format nor the system message carries them.
    sent = {r.body["model"]: r.body for r in fake.requests}
    strict_schema = sent["openai/gpt-5-nano"]["response_format"]["json_schema"]["schema"]
    assert strict_schema["properties"]["total"] == {"type": "number"}
    assert strict_schema["properties"]["date"] == {"type": "string", "format": "date"}
    system = sent["google/gemma-3-27b-it:free"]["messages"][0]
    assert system["role"] == "system" and '"format": "date"' in system["content"]
    assert "x-compare" not in json.dumps(fake.requests[0].body) + json.dumps(fake.requests[1].body)

    owner = workers_owner(database_url, report_id)
    with psycopg.connect(database_url) as conn:
        # Relaxed, the rules still apply: nothing changes.
        assert rescore(conn, report_id, owner, mode="relaxed") == 0
        image_id = conn.execute("SELECT id FROM report_images WHERE report_id = %s", (report_id,)).fetchone()[0]
        # A corrected label 0.01 from the answer is still right; 0.02 from it is not.
        assert rescore(conn, report_id, owner, image_id=image_id, expected={**EXPECTED, "total": 12.52}) == 0
        assert rescore(conn, report_id, owner, image_id=image_id, expected={**EXPECTED, "total": 12.53}) == 2
    diff = {"path": "total", "expected": 12.53, "actual": 12.51, "reason": "different value"}
    assert stored_scores(database_url, report_id) == [("complete", False, 6, 7, [diff])] * 2

    # The report and its JSON export say which rules were in force.
    token = share_token(database_url, report_id)
    phrases = ["merchant in any case", "date as a date", "total within 0.01", "items in any order"]
    page = client.get(f"/r/{token}").get_data(as_text=True)
    assert f"<dt>Rules</dt><dd>{'; '.join(phrases)}</dd>" in page
    exported = client.get(f"/r/{token}/report.json").get_json()
    assert exported["report"]["comparison_rules"] == phrases


def workers_owner(url: str, report_id: int) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT owner_id FROM reports WHERE id = %s", (report_id,)).fetchone()[0]
