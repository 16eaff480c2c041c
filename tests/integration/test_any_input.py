"""No input answers 500: arbitrary text and JSON, raw bytes included, posted into every field of
every form and every query parameter a page reads (hypothesis). Examples per case: the
`HYPOTHESIS_EXAMPLES` environment variable (default 40; `docs/security.md` has a run of 10,000)."""

import json
import os
from urllib.parse import quote_from_bytes

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.datasets import zip_of
from tests.support.forms import csrf_token
from tests.support.images import png
from tests.support.new_benchmark import draft_image_ids, new_page, upload, upload_dataset
from tests.support.reports import make_report, share_token, user_id

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "40"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text a browser would never send but a client can: any bytes, NUL, broken UTF-8, lone
# surrogates written as CESU bytes, control characters, very long values.
NASTY = [b"\x00", b"a\x00b", b"\xed\xa0\x80", b"\xff\xfe", b"\r\n", "\u202e".encode(), b"x" * 5000, b"%00"]
raw_values = st.one_of(
    st.sampled_from(NASTY),
    st.binary(max_size=300),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
)
# JSON as typed: valid documents, and what Python's parser accepts that PostgreSQL's refuses.
JSON_EDGES = [
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    '{"a": NaN}',
    '{"a": 1e999}',
    '{"a": "\\u0000"}',
    '{"a": "\\ud800"}',
    '{"\\u0000": 1}',
    '{"a": ' + "9" * 5000 + "}",
    '{"a": -' + "9" * 5000 + "}",
    '{"a": 1.5e308}',
    '{"a": [' * 30 + "]" * 30 + "}",
]
json_texts = st.one_of(
    st.sampled_from(JSON_EDGES),
    st.recursive(
        st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=20),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
        max_leaves=20,
    ).map(json.dumps),
    raw_values.map(lambda b: b.decode("utf-8", "replace")),
)


def encoded(fields: dict[str, bytes | str | list]) -> bytes:
    """An application/x-www-form-urlencoded body, byte for byte (the test client would refuse
    to encode some of these)."""
    pairs = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            item = item if isinstance(item, bytes) else item.encode("utf-8", "surrogatepass")
            pairs.append(f"{name}={quote_from_bytes(item)}")
    return "&".join(pairs).encode()


def post(client, path: str, fields: dict) -> int:
    response = client.post(path, data=encoded(fields), content_type="application/x-www-form-urlencoded")
    return response.status_code


@given(field=st.sampled_from(["email", "password", "confirm", "next"]), value=raw_values)
@SETTINGS
def test_sign_up_with_any_field(app, field, value):
    client = app.test_client()  # a visitor each time: a successful sign-up logs in
    fields = {
        "csrf_token": csrf_token(client.get("/signup").get_data(as_text=True)),
        "email": "a@example.com",
        "password": "correct horse battery",
        "confirm": "correct horse battery",
        field: value,
    }
    assert post(client, "/signup", fields) < 500


@given(field=st.sampled_from(["email", "password", "next"]), value=raw_values)
@SETTINGS
def test_log_in_with_any_field(app, field, value):
    client = app.test_client()
    fields = {
        "csrf_token": csrf_token(client.get("/login").get_data(as_text=True)),
        "email": "a@example.com",
        "password": "correct horse battery",
        field: value,
    }
    assert post(client, "/login", fields) < 500


NEW_BENCHMARK_FIELDS = [
    "title",
    "prompt",
    "compare_mode",
    "samples",
    "priorities",
    "budget",
    "models",
    "output_schema",
    "schema_shown",
    "output_mode_choice",
]
BUTTONS = [
    "/benchmarks/new",
    "/benchmarks/new/draft",
    "/benchmarks/new/start",
    "/benchmarks/new/images",
    "/benchmarks/new/presets/best-value",
]


@pytest.fixture
def with_image(client, logged_in):
    upload(client, ("a.png", png()))
    return draft_image_ids(new_page(client))[0]


def benchmark_fields(client, image_id: int, **overrides) -> dict:
    """A new-benchmark form that would start, with the CSRF token of a fresh page."""
    return {
        "csrf_token": csrf_token(new_page(client)),
        "prompt": "Extract the receipt as JSON please.",
        "samples": "1",
        "budget": "1",
        "models": ["openai/gpt-5-nano"],
        f"expected-{image_id}": '{"total": 1}',
        **overrides,
    }


@given(field=st.sampled_from(NEW_BENCHMARK_FIELDS), value=raw_values, button=st.sampled_from(BUTTONS))
@SETTINGS
def test_new_benchmark_with_any_field(client, with_image, field, value, button):
    fields = benchmark_fields(client, with_image, title="t", compare_mode="strict", priorities="accuracy-cost-speed")
    assert post(client, button, {**fields, field: value}) < 500


@given(text=json_texts)
@SETTINGS
def test_new_benchmark_with_any_expected_json(client, with_image, text):
    fields = benchmark_fields(client, with_image, **{f"expected-{with_image}": text})
    assert post(client, "/benchmarks/new/start", fields) < 500  # where the JSON is parsed and stored


@given(text=json_texts)
@SETTINGS
def test_new_benchmark_with_any_output_schema(client, with_image, text):
    fields = benchmark_fields(client, with_image, output_schema=text)
    assert post(client, "/benchmarks/new/start", fields) < 500


@pytest.fixture
def report_token(logged_in, database_url):
    return share_token(database_url, make_report(database_url, user_id(database_url)))


# ZIPs: any bytes, and real archives holding any bytes under any name.
zip_contents = st.one_of(
    raw_values,
    st.dictionaries(
        st.text(min_size=1, max_size=30).filter(lambda n: "\x00" not in n),
        st.one_of(raw_values, json_texts, st.just(png())),
        max_size=5,
    ).map(zip_of),
)


@given(content=zip_contents)
@SETTINGS
def test_dataset_zip_of_any_content(client, logged_in, content):
    assert upload_dataset(client, content).status_code in (303, 400)


@given(
    param=st.sampled_from(["sort", "dir", "docs", "model", "status", "page", "image"]),
    value=raw_values,
    fragment=st.sampled_from(["", "/ranking", "/calculator", "/runs", "/image"]),
)
@SETTINGS
def test_report_with_any_query(client, report_token, param, value, fragment):
    assert client.get(f"/r/{report_token}{fragment}?{param}={quote_from_bytes(value)}").status_code < 500


@given(
    params=st.lists(st.tuples(st.sampled_from(["a", "b", "r"]), st.one_of(raw_values, st.just(b"<token>"))), max_size=4)
)
@SETTINGS
def test_compare_with_any_query(client, report_token, params):
    """`<token>` stands for the real share token: a real report beside any value."""
    query = "&".join(
        f"{name}={report_token if value == b'<token>' else quote_from_bytes(value)}" for name, value in params
    )
    assert client.get(f"/compare?{query}").status_code < 500


@given(token=raw_values)
@SETTINGS
def test_any_share_token(client, token):
    status = client.get("/r/" + quote_from_bytes(token, safe="")).status_code
    assert status in (404, 308, 301) or status < 400, status


@given(value=raw_values)
@SETTINGS
def test_login_next_parameter(client, value):
    assert client.get("/login?next=" + quote_from_bytes(value)).status_code < 500


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"a": NaN}', "NaN"),
        ('{"a": Infinity}', "Infinity"),
        ('{"a": -Infinity}', "Infinity"),
        ('{"a": 1e999}', "too large"),
        ('{"a": "\\u0000"}', "NUL"),
        ('{"\\u0000": 1}', "NUL"),
        ('{"a": "\\ud800"}', "unpaired surrogate"),
        ('{"a": ' + "9" * 5000 + "}", "digits"),
    ],
)
def test_json_that_postgres_cannot_store_is_refused_with_its_reason(client, with_image, database_url, text, message):
    fields = benchmark_fields(client, with_image, **{f"expected-{with_image}": text})
    response = client.post(
        "/benchmarks/new/start", data=encoded(fields), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page, page[page.find("error-summary") :][:600]
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM reports").fetchone()[0] == 0


def test_a_nul_in_a_field_is_refused_on_that_field_and_nothing_is_saved(client, with_image, database_url):
    fields = {
        "csrf_token": csrf_token(new_page(client)),
        "title": b"Receipts\x00",
        "prompt": "A prompt kept as typed.",
        f"expected-{with_image}": '{"total": 1}',
    }
    response = client.post("/benchmarks/new", data=encoded(fields), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "Name contains a NUL character, which cannot be stored. Remove it and try again." in response.get_data(
        as_text=True
    )
    assert "A prompt kept as typed." not in new_page(client)  # nothing of that post was saved


@pytest.mark.parametrize(
    "path, fields, message",
    [
        ("/login", {"email": b"ada\x00@example.com", "password": "correct horse battery"}, "Email contains a NUL"),
        (
            "/signup",
            {
                "email": b"ada@example.com",
                "password": b"correct horse\x00battery",
                "confirm": b"correct horse\x00battery",
            },
            "Password contains a NUL",
        ),
    ],
)
def test_a_nul_in_an_account_form_gets_its_message(app, path, fields, message):
    client = app.test_client()
    fields = {"csrf_token": csrf_token(client.get(path).get_data(as_text=True)), **fields}
    response = client.post(path, data=encoded(fields), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and message in response.get_data(as_text=True)
