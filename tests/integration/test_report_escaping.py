"""Markup in anything a user or a model wrote is shown as text: HTML, attributes and SVG."""

import re

import psycopg
import pytest

from tests.support.hostile import ESCAPED, HOSTILE_MODEL, PAYLOAD, RAW_MARKERS, hostile_outcome
from tests.support.reports import MODELS, make_report, share_token, user_id


@pytest.fixture
def hostile(logged_in, database_url):
    report_id = make_report(
        database_url,
        user_id(database_url),
        models=[MODELS[0], HOSTILE_MODEL],
        outcome=hostile_outcome,
        prompt=f"Extract it all {PAYLOAD}",
        expected={"merchant": PAYLOAD, PAYLOAD: "key", "total": 12.5},
    )
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE reports SET title = %s WHERE id = %s", (f"Receipts {PAYLOAD}", report_id))
        conn.execute("UPDATE report_images SET filename = %s WHERE report_id = %s", (f"{PAYLOAD}.png", report_id))
    return report_id, share_token(database_url, report_id)


def assert_escaped(html: str, where: str) -> None:
    for marker in RAW_MARKERS:
        assert marker not in html, f"{marker!r} unescaped in {where}"


def test_report_page_and_fragments_escape_everything(client, hostile):
    _, token = hostile
    urls = [
        f"/r/{token}",
        f"/r/{token}?image=2&sort=cost",
        f"/r/{token}/ranking?sort=model",
        f"/r/{token}/calculator?docs=100",
        f"/r/{token}/runs?status=failed",
        f"/r/{token}/image?image=1",
        f"/r/{token}/delete",
        "/dashboard",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_escaped(response.get_data(as_text=True), url)
    html = client.get(f"/r/{token}").get_data(as_text=True)
    # Shown, as text, where each one belongs
    assert html.count(ESCAPED) >= 6  # title, prompt, filename, expected JSON, output, error, patterns
    assert "&lt;svg onload=alert(3)&gt;x" in html


def test_charts_escape_model_names_inside_svg(client, hostile):
    _, token = hostile
    html = client.get(f"/r/{token}").get_data(as_text=True)
    charts = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    assert len(charts) == 3
    for svg in charts:
        assert "&lt;svg onload=alert(3)&gt;x" in svg
        assert_escaped(svg, "chart")


def test_exports_are_not_html(client, hostile):
    _, token = hostile
    for path, mimetype in (("runs.csv", "text/csv"), ("report.json", "application/json")):
        response = client.get(f"/r/{token}/{path}")
        assert response.mimetype == mimetype and response.headers["X-Content-Type-Options"] == "nosniff"
        assert "attachment" in response.headers["Content-Disposition"]
        assert "<script>alert(1)</script>" in response.get_data(as_text=True)  # data, kept as it was
