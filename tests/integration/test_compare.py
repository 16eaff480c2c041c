"""/compare of two reports: hand-computed differences, the images they share, and who may see it."""

import psycopg

from tests.support.forms import AuthActions, csrf_token
from tests.support.html import table_rows
from tests.support.images import png
from tests.support.reports import EXPECTED, complete, default_outcome, make_report, share_token, user_id

NANO, FLASH = "openai/gpt-5-nano", "google/gemini-2.5-flash"
WRONG_TOTAL = [{"path": "total", "expected": 12.5, "actual": 21.5, "reason": "different value"}]


def nano_wrong_total(model_id, position, sample):
    """Nano reads every total wrong (3 of 4 fields), dearer and slower; Flash as before."""
    if model_id != NANO:
        return default_outcome(model_id, position, sample)
    return complete(
        {**EXPECTED, "total": 21.5}, latency=900, cost="0.0006", accuracy=0.75, correct=3, diffs=WRONG_TOTAL
    )


def page(client, a, b, status=200):
    response = client.get(f"/compare?a={a}&b={b}")
    assert response.status_code == status
    return " ".join(response.get_data(as_text=True).split())  # sentences as read, whatever the line breaks


def test_differences_per_model_with_noise_and_the_fields_that_changed(client, logged_in, database_url):
    owner = user_id(database_url)
    # Three images, one sample each. A: both models right everywhere; Nano 800/810/820 ms, $0.0004.
    a = make_report(database_url, owner, models=[NANO, FLASH], images=3, samples=1)
    b = make_report(database_url, owner, models=[NANO, FLASH], images=3, samples=1, outcome=nano_wrong_total)
    html = page(client, share_token(database_url, a), share_token(database_url, b))
    assert "Both reports are over the same 3 images with the same expected JSON." in html
    rows = table_rows(html, "compare")[1:]  # after the second header row
    # Nano: 100% -> 75% on every image, so every resample of the images moves it -25 points:
    # beyond noise; $0.0004 -> $0.0006 per run; median 810 ms -> 900 ms.
    assert rows[0] == [
        "GPT-5 Nano",
        "100.0%",
        "75.0%",
        "−25.0 pts",
        "beyond noise (95%: −25.0 pts to −25.0 pts)",
        "$0.000400",
        "$0.000600",
        "+$0.000200",
        "810 ms",
        "900 ms",
        "+90 ms",
    ]
    # Flash: the same runs in both: no change, and none beyond noise.
    assert rows[1] == [
        "Gemini 2.5 Flash",
        "100.0%",
        "100.0%",
        "0.0 pts",
        "within noise (95%: 0.0 pts to 0.0 pts)",
        "$0.001200",
        "$0.001200",
        "$0.00",
        "1.50 s",
        "1.50 s",
        "0 ms",
    ]
    # Field by field: Nano's total was right 3 of 3 times, now 0 of 3; nothing got better.
    assert table_rows(html, "compare-fields") == [["total", "GPT-5 Nano", "100%", "0%", "−100.0 pts"]]
    assert "Better in B" not in html and "Worse in B" in html


def test_reports_sharing_some_images_are_measured_on_those_only(client, logged_in, database_url):
    owner = user_id(database_url)
    a = make_report(database_url, owner, models=[NANO], images=2, samples=1)  # receipt-0 and receipt-1

    def wrong_on_the_new_image(model_id, position, sample):
        return nano_wrong_total(model_id, position, sample) if position == 1 else default_outcome(model_id, 0, 0)

    files = [("receipt-0.png", png((40, 30))), ("new.png", png((70, 50)))]
    b = make_report(database_url, owner, models=[NANO], samples=1, files=files, outcome=wrong_on_the_new_image)
    html = page(client, share_token(database_url, a), share_token(database_url, b))
    assert "they share 1 (A has 2, B has 2). Both are measured on the 1 shared image only." in html
    # B is 87.5% over its own two images, but 100% on the one it shares with A.
    row = table_rows(html, "compare")[1]
    assert row[:5] == ["GPT-5 Nano", "100.0%", "100.0%", "0.0 pts", "within noise"]
    assert "with fewer than two such images there is no interval" in html

    c = make_report(database_url, owner, models=[NANO], samples=1, files=[("other.png", png((90, 20)))])
    html = page(client, share_token(database_url, a), share_token(database_url, c))
    assert "none of A's 2 images is among B's 1. Each report is measured on its own images" in html


def test_a_changed_expected_json_is_said(client, logged_in, database_url):
    owner = user_id(database_url)
    a = make_report(database_url, owner, models=[NANO], images=2, samples=1)
    b = make_report(database_url, owner, models=[NANO], images=2, samples=1, expected={**EXPECTED, "total": 13})
    html = page(client, share_token(database_url, a), share_token(database_url, b))
    assert "The expected JSON differs on 2 of the shared images: each report is scored against its own." in html
    # A changed truth is not a change of the model: no noise interval is drawn from it.
    assert "with fewer than two such images there is no interval" in html
    assert "beyond noise" not in table_rows(html, "compare")[1]


def test_who_may_compare(app, client, logged_in, database_url):
    owner = user_id(database_url)
    a = share_token(database_url, make_report(database_url, owner, models=[NANO], images=2, samples=1))
    b = share_token(database_url, make_report(database_url, owner, models=[NANO], images=2, samples=1))
    eve = app.test_client()
    AuthActions(eve).signup("eve@example.com")
    eves = share_token(
        database_url, make_report(database_url, user_id(database_url, "eve@example.com"), models=[NANO], images=2)
    )
    anonymous = app.test_client()
    page(eve, a, b)  # anyone holding both links
    page(anonymous, a, b)
    page(client, a, eves)  # Eve's link is live: shared with whoever has it
    page(client, a, "no-such-link-at-all-0000000000", 404)
    page(client, a, "", 404)

    html = client.get(f"/r/{b}").get_data(as_text=True)
    client.post(f"/r/{b}/share/revoke", data={"csrf_token": csrf_token(html)})
    page(client, a, b)  # the owner still may
    for viewer in (eve, anonymous):
        assert "Test benchmark" not in page(viewer, a, b, 404)
        assert "Test benchmark" not in page(viewer, b, a, 404)
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE reports SET share_revoked_at = now() WHERE share_token = %s", (eves,))
    page(client, a, eves, 404)  # another user's report, its link turned off


def test_the_dashboard_form_picks_two(client, logged_in, database_url):
    owner = user_id(database_url)
    older = share_token(database_url, make_report(database_url, owner, models=[NANO], images=1))
    newer = share_token(database_url, make_report(database_url, owner, models=[NANO], images=1))
    html = client.get("/dashboard").get_data(as_text=True)
    assert f'<input type="checkbox" name="r" value="{newer}" form="compare"' in html
    response = client.get(f"/compare?r={newer}&r={older}")
    assert response.status_code == 303 and response.headers["Location"] == f"/compare?a={older}&b={newer}"
    for query in (f"r={older}", f"r={older}&r={older}", f"r={older}&r={newer}&r={older}", "r=x&r=y", ""):
        response = client.get(f"/compare?{query}", follow_redirects=True)
        assert "Select exactly two benchmarks to compare." in response.get_data(as_text=True), query
