"""The new-benchmark form through the real app and database: drafts, validation, start."""

import re

import psycopg
import pytest

from tests.support.forms import csrf_token
from tests.support.images import decompression_bomb, png, truncated_png
from tests.support.new_benchmark import EXPECTED, PROMPT, draft_image_ids, fields, new_page, press, start, upload


def test_form_shows_catalog_by_tier_with_prices_date_and_simulated_notice(client, logged_in):
    html = new_page(client)
    for tier in ("Free", "Budget", "Mid-range", "Premium", "Ultra"):
        assert f"<legend>{tier}</legend>" in html
    assert "as of 2026-02-11" in html
    assert html.count('name="models"') == 25
    assert "Simulated" in html
    assert "Best value" in html


def test_uploads_become_thumbnails_and_survive_a_reload(client, logged_in):
    response = upload(client, ("a.png", png()), ("b.png", png((80, 60))))
    assert response.status_code == 303
    html = new_page(client)
    ids = draft_image_ids(html)
    assert len(ids) == 2
    assert client.get(f"/benchmarks/new/images/{ids[0]}").headers["Content-Type"] == "image/png"
    assert 'value="Receipts"' in html  # the fields typed before the upload were kept


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("fake.png", b"this is not an image at all", "is not an image we can read"),
        ("cut.png", truncated_png(), "damaged or truncated"),
        ("bomb.png", decompression_bomb(), "pixels"),
        ("empty.png", b"", "is empty"),
    ],
)
def test_bad_files_are_refused_with_a_message_and_good_ones_kept(client, logged_in, name, content, message):
    response = upload(client, ("good.png", png()), (name, content))
    assert response.status_code == 303
    html = client.get("/benchmarks/new").get_data(as_text=True)
    assert message in html
    assert len(draft_image_ids(html)) == 1


def test_eleventh_image_is_refused_under_a_max_images_of_10(app, client, logged_in):
    app.config["MAX_IMAGES"] = 10
    upload(client, *[(f"r{i}.png", png()) for i in range(11)])
    html = new_page(client)
    assert len(draft_image_ids(html)) == 10
    assert "at most 10 images" in html


def test_validation_errors_keep_everything_entered(client, logged_in):
    upload(client, ("a.png", png()))
    html = new_page(client)
    image_id = draft_image_ids(html)[0]
    response = start(
        client, prompt="too short", samples="11", models=["acme/not-a-model"], **{f"expected-{image_id}": "[1, 2]"}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "at least 20 characters" in page
    assert "from 1 to 10" in page
    assert "not in the catalog" in page
    assert "must be a JSON object" in page or "object" in page
    assert "too short</textarea>" in page and 'value="11"' in page and "[1, 2]</textarea>" in page
    assert 'aria-invalid="true"' in page
    reloaded = new_page(client)  # the draft kept it too
    assert "too short</textarea>" in reloaded and len(draft_image_ids(reloaded)) == 1
    assert _count(client, "reports") == 0


@pytest.mark.parametrize("samples", ["0", "-1", "abc", "2.5"])
def test_bad_samples_are_refused(client, logged_in, samples):
    upload(client, ("a.png", png()))
    response = start(client, samples=samples)
    assert response.status_code == 400
    assert "whole number of samples from 1 to 10" in response.get_data(as_text=True)


def test_budget_above_the_hard_ceiling_is_refused(client, logged_in):
    upload(client, ("a.png", png()))
    response = start(client, budget="7.01")
    assert response.status_code == 400
    assert "from $0.01 to $7.00" in response.get_data(as_text=True)


def test_estimate_above_the_budget_is_refused_with_the_numbers(client, logged_in):
    upload(client, ("a.png", png()))
    response = start(client, budget="0.01", samples="10", models=["openai/gpt-5-pro"])
    assert response.status_code == 400
    # 10 runs x (1500 x $15 + 500 x $120) / 1M = $0.825, shown to the cent
    assert "estimated cost $0.82 is above the budget ceiling of $0.01" in response.get_data(as_text=True)


def test_start_inserts_report_all_runs_and_one_job_then_clears_the_draft(client, logged_in, database_url):
    upload(client, ("a.png", png()), ("b.png", png((50, 50))), ("c.png", png((60, 40))))
    response = start(client, samples="2")
    assert response.status_code == 303
    report_id = int(re.search(r"/benchmarks/(\d+)/processing$", response.headers["Location"]).group(1))
    with psycopg.connect(database_url) as conn:
        runs = conn.execute(
            "SELECT model_id, image_id, sample_index, status FROM benchmark_runs WHERE report_id = %s", (report_id,)
        ).fetchall()
        jobs = conn.execute("SELECT task_name, args FROM procrastinate_jobs").fetchall()
        report = conn.execute(
            "SELECT status, prompt, samples_per_image, is_simulated, share_token FROM reports WHERE id = %s",
            (report_id,),
        ).fetchone()
        images = conn.execute("SELECT expected FROM report_images WHERE report_id = %s", (report_id,)).fetchall()
    assert len(runs) == 2 * 3 * 2 and {r[3] for r in runs} == {"pending"}
    assert len({r[:3] for r in runs}) == 12
    assert jobs == [("run_benchmark", {"report_id": report_id})]
    assert report[:4] == ("queued", PROMPT, 2, True) and len(report[4]) >= 22
    assert [i[0] for i in images] == [EXPECTED] * 3
    assert draft_image_ids(new_page(client)) == []


def test_autosave_keeps_the_draft_and_answers_with_the_estimate(client, logged_in):
    upload(client, ("a.png", png()))
    html = new_page(client)
    response = client.post("/benchmarks/new/draft", data=fields(html, samples="4", models=["openai/gpt-5"]))
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.startswith('<section id="estimate"')
    # 4 runs x $0.006875
    assert "$0.03" in fragment and "4 runs" in fragment
    assert 'value="4"' in new_page(client)


def test_preset_picks_its_models(client, logged_in):
    html = new_page(client)
    press(client, "/benchmarks/new/presets/best-value", models=[])
    html = new_page(client)
    checked = re.findall(r'name="models" value="([^"]+)" checked', html)
    assert checked == ["openai/gpt-5-nano", "google/gemini-2.0-flash-001", "openai/gpt-4.1-nano"]


def test_sample_receipts_fill_the_form(client, logged_in):
    html = new_page(client)
    response = client.post("/benchmarks/new/sample", data={"csrf_token": csrf_token(html)})
    assert response.status_code == 303
    html = new_page(client)
    assert len(draft_image_ids(html)) == 3
    assert re.search(r'name="models" value="[^"]+" checked', html)


def test_other_users_draft_images_are_not_served(client, auth):
    auth.signup("one@example.com")
    upload(client, ("a.png", png()))
    image_id = draft_image_ids(new_page(client))[0]
    auth.logout()
    auth.signup("two@example.com")
    assert client.get(f"/benchmarks/new/images/{image_id}").status_code == 404


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/benchmarks/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def _count(client, table: str) -> int:
    with psycopg.connect(client.application.config["DATABASE_URL"]) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
