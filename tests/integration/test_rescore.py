"""Fixing the ground truth: editing an image's expected JSON, or switching the comparison,
scores every run again from its stored output, in one transaction, without calling a model.

The fixture report (tests/support/reports.py): 3 models x 2 images x 2 samples, expected
{"merchant": "Corner Grocery", "total": 12.5, "items": [{"name": "Tea", "price": 3.1}]}
(4 fields). Nano answers total 21.5 on every second sample; Flash's second sample of image 1
failed; everything else is exact.
"""

import html as html_lib
import json
import re
import threading

import psycopg
import pytest

from tests.support.benchmarks import EXPECTED
from tests.support.forms import AuthActions, csrf_token
from tests.support.html import table_rows
from tests.support.reports import MODELS, complete, make_report, share_token, user_id
from webapp.scoring import compare

NANO, FLASH, SONNET = "GPT-5 Nano", "Gemini 2.5 Flash", "Claude Sonnet 4.5"


@pytest.fixture
def report(logged_in, database_url):
    report_id = make_report(database_url, user_id(database_url))
    return report_id, share_token(database_url, report_id)


def first_image_id(url: str, report_id: int) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT id FROM report_images WHERE report_id = %s AND position = 0", (report_id,)
        ).fetchone()[0]


def edit(client, token: str, image_id: int, expected) -> object:
    html = client.get(f"/r/{token}?image=1").get_data(as_text=True)
    text = expected if isinstance(expected, str) else json.dumps(expected)
    return client.post(
        f"/r/{token}/images/{image_id}/expected", data={"csrf_token": csrf_token(html), "expected": text}
    )


def accuracies(client, token: str) -> dict[str, str]:
    rows = table_rows(client.get(f"/r/{token}?sort=model").get_data(as_text=True), "ranking")
    return {row[1].split(" ★")[0]: row[2].split(" (")[0] for row in rows}


def test_a_corrected_label_rescores_every_run_and_calls_no_model(client, report, database_url):
    report_id, token = report
    with psycopg.connect(database_url) as conn:
        attempts_before = conn.execute("SELECT sum(attempts) FROM benchmark_runs").fetchone()[0]
    # "The model was right, my label was not": image 1's total is 21.5, as Nano's second sample says.
    response = edit(client, token, first_image_id(database_url, report_id), {**EXPECTED, "total": 21.5})
    assert response.status_code == 303
    # Image 1 now: Nano .75 then 1; Flash .75 then its failed run (0, not rescored); Sonnet .75, .75.
    # Image 2 as before: Nano 1, .75; Flash 1, 1; Sonnet 1, 1.
    # Nano (.75 + 1 + 1 + .75) / 4 = 87.5%; Flash (.75 + 0 + 1 + 1) / 4 = 68.75%; Sonnet 3.5 / 4 = 87.5%
    assert accuracies(client, token) == {FLASH: "68.8%", NANO: "87.5%", SONNET: "87.5%"}
    page = client.get(f"/r/{token}").get_data(as_text=True)
    # Changed: Nano's two runs on image 1, Flash's complete one, Sonnet's two.
    assert re.search(r"scored again from its stored output: 5 runs' scores changed\.", page)
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM procrastinate_jobs").fetchone()[0] == 0  # nothing queued
        assert conn.execute("SELECT sum(attempts) FROM benchmark_runs").fetchone()[0] == attempts_before
        nano = conn.execute(
            """SELECT r.sample_index, r.exact, r.field_accuracy, r.diffs FROM benchmark_runs r
                               JOIN report_images i ON i.id = r.image_id
                               WHERE i.position = 0 AND r.model_id = %s ORDER BY r.sample_index""",
            (MODELS[0],),
        ).fetchall()
    assert nano[0][1:3] == (False, 0.75) and nano[0][3][0]["path"] == "total"
    assert nano[1][1:] == (True, 1.0, [])


def test_an_output_can_start_the_edit_and_a_bad_edit_changes_nothing(client, report, database_url):
    report_id, token = report
    with psycopg.connect(database_url) as conn:
        run_id = conn.execute(
            """SELECT r.id FROM benchmark_runs r JOIN report_images i ON i.id = r.image_id
                                 WHERE i.position = 0 AND r.model_id = %s AND r.sample_index = 1""",
            (MODELS[0],),
        ).fetchone()[0]
    html = client.get(f"/r/{token}?image=1&from_run={run_id}").get_data(as_text=True)
    assert "Use GPT-5 Nano's output as the expected JSON" in html
    textarea = html_lib.unescape(html.split('name="expected"')[1].split("</textarea>")[0])
    assert '"total": 21.5' in textarea  # the form starts from that output
    response = edit(client, token, first_image_id(database_url, report_id), '{"total": NaN}')
    assert response.status_code == 400
    assert "NaN, which is not a JSON number" in response.get_data(as_text=True)
    assert accuracies(client, token) == {FLASH: "75.0%", NANO: "87.5%", SONNET: "100.0%"}  # untouched


def test_switching_the_comparison_rescores(client, logged_in, database_url):
    def outcome(model_id, position, sample):  # "12.50" as text: wrong when strict, right when relaxed
        got = {**EXPECTED, "total": "12.50"}
        return complete(
            got,
            latency=100,
            cost="0.001",
            accuracy=0.75,
            correct=3,
            diffs=[{"path": "total", "expected": 12.5, "actual": "12.50", "reason": "different type"}],
        )

    report_id = make_report(
        database_url, user_id(database_url), models=MODELS[:1], images=1, samples=2, outcome=outcome
    )
    token = share_token(database_url, report_id)
    assert accuracies(client, token) == {NANO: "75.0%"}
    html = client.get(f"/r/{token}").get_data(as_text=True)
    response = client.post(f"/r/{token}/compare-mode", data={"csrf_token": csrf_token(html), "mode": "relaxed"})
    assert response.status_code == 303
    assert accuracies(client, token) == {NANO: "100.0%"}
    page = client.get(f"/r/{token}").get_data(as_text=True)
    assert "<dt>Comparison</dt><dd>Relaxed" in page and "2 runs' scores changed" in page


def test_two_tabs_editing_at_once_never_leave_runs_half_rescored(app, client, report, database_url):
    report_id, token = report
    image_id = first_image_id(database_url, report_id)
    tabs = []
    for _ in range(2):
        tab = app.test_client()
        AuthActions(tab).login()
        tabs.append(tab)
    edits = [{**EXPECTED, "total": 21.5}, {**EXPECTED, "merchant": "Elsewhere"}]
    answers = []
    threads = [
        threading.Thread(target=lambda t=t, e=e: answers.append(edit(t, token, image_id, e).status_code))
        for t, e in zip(tabs, edits)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [303, 303]
    # Whichever won, every run is scored against the expected JSON the image holds now.
    with psycopg.connect(database_url) as conn:
        final = conn.execute("SELECT expected FROM report_images WHERE id = %s", (image_id,)).fetchone()[0]
        runs = conn.execute(
            """SELECT parsed_json, field_accuracy FROM benchmark_runs
                               WHERE image_id = %s AND status = 'complete'""",
            (image_id,),
        ).fetchall()
    assert final in edits
    assert all(accuracy == compare(final, parsed, "strict").field_accuracy for parsed, accuracy in runs)


def test_only_the_owner_of_a_finished_report_can_rescore(client, auth, database_url):
    auth.signup()
    running = make_report(database_url, user_id(database_url), status="running")
    token = share_token(database_url, running)
    html = client.get(f"/r/{token}").get_data(as_text=True)
    assert "Fix the expected JSON" not in html
    response = client.post(
        f"/r/{token}/images/{first_image_id(database_url, running)}/expected",
        data={"csrf_token": csrf_token(html), "expected": json.dumps(EXPECTED)},
    )
    assert response.status_code == 404
