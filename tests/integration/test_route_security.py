"""Every route from the URL map: state changes need a CSRF token, report routes answer another
user exactly as they answer for a report that does not exist."""

import psycopg
import pytest
from flask import url_for

from tests.support.forms import AuthActions, csrf_token
from tests.support.reports import make_report, share_token, user_id

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# Refused with close code 1008 for anyone but the owner: tests/integration/test_live_access.py
WEBSOCKET_ENDPOINTS = {"realtime.live"}
# The JSON API takes no CSRF token: it takes a bearer token and nothing else, so a browser's
# cookies answer 401 (another user's token answers 404: tests/integration/test_api_tokens.py).
API_BLUEPRINT = "api."
# Share-link routes: anyone with the link may read; only the owner may change.
OWNER_ONLY_TOKEN_ENDPOINTS = {
    "reports.rotate_link",
    "reports.revoke_link",
    "reports.delete",
    "reports.edit_expected",
    "reports.switch_compare_mode",
    "iterate.run_again",
}


def rules(app, argument=None):
    return sorted(
        (r for r in app.url_map.iter_rules() if argument is None or argument in r.arguments), key=lambda r: r.rule
    )


def build(app, rule, **values) -> str:
    with app.test_request_context():
        return url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})


@pytest.fixture
def world(app, client, logged_in, database_url):
    """Ada (logged in on `client`) owns a finished and a running report."""
    owner = user_id(database_url)
    finished = make_report(database_url, owner)
    running = make_report(database_url, owner, status="running")
    with psycopg.connect(database_url) as conn:
        (image_id,) = conn.execute("SELECT min(id) FROM report_images WHERE report_id = %s", (finished,)).fetchone()
    return {
        "finished": finished,
        "running": running,
        "image_id": image_id,
        "token": share_token(database_url, finished),
    }


def snapshot(url: str):
    with psycopg.connect(url) as conn:
        return conn.execute("""SELECT id, status, share_token, share_revoked_at FROM reports ORDER BY id""").fetchall()


def test_every_state_changing_route_refuses_a_request_without_a_token(app, client, world, database_url):
    checked = []
    before = snapshot(database_url)
    for rule in rules(app):
        for method in sorted(rule.methods & STATE_CHANGING):
            report_id = world["running"] if rule.endpoint == "benchmarks.cancel" else world["finished"]
            url = build(
                app,
                rule,
                report_id=report_id,
                token=world["token"],
                image_id=world["image_id"],
                key="best-value",
                token_id=1,
            )
            response = client.open(url, method=method, data={"title": "x"})
            if rule.endpoint.startswith(API_BLUEPRINT):
                assert response.status_code == 401, (method, url, response.status_code)
                continue
            assert response.status_code == 400, (method, url, response.status_code)
            assert "Form expired" in response.get_data(as_text=True), url
            checked.append(rule.endpoint)
    assert snapshot(database_url) == before
    assert client.get("/dashboard").status_code == 200  # still logged in: logout was refused too
    # The map really was walked: every form of the app is in it
    assert {
        "auth.signup",
        "auth.login",
        "auth.logout",
        "benchmarks.save_draft",
        "benchmarks.add_images",
        "benchmarks.remove_image",
        "benchmarks.apply_preset",
        "benchmarks.start",
        "benchmarks.autosave",
        "benchmarks.use_samples",
        "benchmarks.cancel",
        "reports.rotate_link",
        "reports.revoke_link",
        "reports.delete",
        "account.create_token",
        "account.revoke_token",
    } <= set(checked)


def answer(client, app, rule, report_id, image_id):
    url = build(app, rule, report_id=report_id, image_id=image_id)
    if rule.methods & STATE_CHANGING:
        token = csrf_token(client.get("/benchmarks/new").get_data(as_text=True))
        response = client.post(url, data={"csrf_token": token})
    else:
        response = client.get(url)
    return response.status_code, response.headers.get("Location"), response.get_data(as_text=True)


def test_every_report_id_route_answers_another_user_as_if_the_report_did_not_exist(app, world, database_url):
    eve = app.test_client()
    AuthActions(eve).signup("eve@example.com")
    endpoints = set()
    for report in ("finished", "running"):
        for rule in rules(app, "report_id"):
            if rule.endpoint in WEBSOCKET_ENDPOINTS:
                continue
            theirs = answer(eve, app, rule, world[report], world["image_id"])
            missing = answer(eve, app, rule, 987_654, world["image_id"])
            assert theirs[:2] == missing[:2], (rule.rule, report)
            assert theirs[0] in ((401,) if rule.endpoint.startswith(API_BLUEPRINT) else (302, 303, 404)), rule.rule
            assert "Test benchmark" not in theirs[2], rule.rule
            endpoints.add(rule.endpoint)
    # A new route that takes a report id must be added here (or to the websocket tests) to pass
    assert endpoints | WEBSOCKET_ENDPOINTS == {r.endpoint for r in rules(app, "report_id")}
    assert endpoints == {
        "benchmarks.processing",
        "benchmarks.progress_fragment",
        "benchmarks.done",
        "benchmarks.cancel",
        "benchmarks.report_image",
        "api.benchmark_status",
        "api.benchmark_report",
    }
    assert snapshot(database_url)[1][1] == "running"  # Eve's cancel did nothing


def test_owner_only_share_link_routes_answer_another_user_like_an_unknown_link(app, world):
    eve = app.test_client()
    AuthActions(eve).signup("eve@example.com")
    token = csrf_token(eve.get("/dashboard").get_data(as_text=True))
    for rule in rules(app, "token"):
        if rule.endpoint not in OWNER_ONLY_TOKEN_ENDPOINTS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            real = eve.open(
                build(app, rule, token=world["token"], image_id=world["image_id"]),
                method=method,
                data={"csrf_token": token},
            )
            fake = eve.open(
                build(app, rule, token="no-such-link", image_id=world["image_id"]),
                method=method,
                data={"csrf_token": token},
            )
            assert real.status_code == fake.status_code == 404, (method, rule.rule)
    # The rest of the share-link routes are read-only GETs, by design open to anyone with the link
    for rule in rules(app, "token"):
        if rule.endpoint not in OWNER_ONLY_TOKEN_ENDPOINTS:
            assert rule.methods - {"HEAD", "OPTIONS"} == {"GET"}, rule.rule


def test_anonymous_visitors_are_sent_to_log_in_for_every_report_id_route(app, world):
    anonymous = app.test_client()
    for rule in rules(app, "report_id"):
        if rule.endpoint in WEBSOCKET_ENDPOINTS or rule.methods & STATE_CHANGING:
            continue
        response = anonymous.get(build(app, rule, report_id=world["finished"], image_id=world["image_id"]))
        assert response.status_code in (302, 401), rule.rule
        if response.status_code == 302:
            assert "/login" in response.headers["Location"], rule.rule
