import json
import random
import time
from dataclasses import FrozenInstanceError

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.engine.json_extract import MAX_DEPTH, MAX_INPUT_CHARS, ParsedJSON, parse_lenient


def ok(value):
    return ParsedJSON(value, True, None)


def test_plain_json():
    assert parse_lenient('{"a": 1, "b": [true, null]}') == ok({"a": 1, "b": [True, None]})


def test_plain_json_with_surrounding_whitespace():
    assert parse_lenient('\n  {"a": 1}\n\n') == ok({"a": 1})


@pytest.mark.parametrize(
    "text",
    [
        '```json\n{"a": 1}\n```',
        '```JSON\n{"a": 1}\n```',
        '```\n{"a": 1}\n```',
        '```{"a": 1}```',
        'Here you go:\n\n```json\n{"a": 1}\n```\n\nLet me know if you need more.',
        '  ```json\r\n{"a": 1}\r\n  ```',
    ],
)
def test_fenced(text):
    assert parse_lenient(text) == ok({"a": 1})


def test_fence_whose_content_holds_backticks_falls_back_to_scanning():
    assert parse_lenient('```json\n{"code": "```"}\n```') == ok({"code": "```"})


def test_first_fenced_object_wins():
    text = '```\nnot json\n```\n```json\n{"a": 1}\n```\n```json\n{"a": 2}\n```'
    assert parse_lenient(text) == ok({"a": 1})


@pytest.mark.parametrize(
    "text",
    [
        'Sure! The extracted data is {"a": {"b": 1}} as requested.',
        'Result:\n{"a": {"b": 1}}',
        '{"a": {"b": 1}}\nI hope this helps.',
        'Fields {name, date} below: {"a": {"b": 1}} {"other": 2}',
    ],
)
def test_prose_around(text):
    assert parse_lenient(text) == ok({"a": {"b": 1}})


@pytest.mark.parametrize(
    "text",
    [
        '{"vendor": "Acme", "items": [{"price": 3}, {"price": 4}, {"pri',
        'Here is the JSON: {"items": [{"price": 3}, {"price": 4}]',
    ],
)
def test_truncated_object_is_not_replaced_by_an_inner_one(text):
    result = parse_lenient(text)
    assert not result.ok and result.error.startswith("no JSON object found (")


def test_object_quoted_as_a_json_string_is_found():
    assert parse_lenient('"{}"') == ok({})
    assert parse_lenient('"result: {\\"a\\": 1}"').error.startswith("no JSON object found (")


def test_raw_newline_inside_string_is_tolerated():
    assert parse_lenient('{"note": "line 1\nline 2"}') == ok({"note": "line 1\nline 2"})


@pytest.mark.parametrize("text", ['{"a": 1,}', "{'a': 1}", '{"a": 1', "Sorry, I cannot read this image."])
def test_invalid(text):
    result = parse_lenient(text)
    assert not result.ok and result.value is None
    assert result.error.startswith("no JSON object found")


def test_invalid_error_points_at_the_problem():
    assert parse_lenient('Here: {"a": 1,}').error == (
        "no JSON object found (Expecting property name enclosed in double quotes at line 1 column 15)"
    )


@pytest.mark.parametrize(
    "text", ['{"a": NaN}', 'Result: {"a": Infinity, "b": {"c": 1}}', '```json\n{"a": -Infinity}\n```']
)
def test_nan_and_infinity_are_not_json(text):
    result = parse_lenient(text)
    assert not result.ok and result.error.startswith("no JSON object found (")
    assert "is not valid JSON" in result.error


@pytest.mark.parametrize("text", ['[{"a": 1}]', '```json\n[{"a": 1}]\n```', 'Data: [{"a": 1}, {"a": 2}]'])
def test_array(text):
    assert parse_lenient(text) == ParsedJSON(None, False, "expected a JSON object, got an array")


@pytest.mark.parametrize(
    "text, kind", [("42", "a number"), ('"hi"', "a string"), ("null", "null"), ("true", "a boolean")]
)
def test_other_top_level_values(text, kind):
    assert parse_lenient(text).error == f"expected a JSON object, got {kind}"


@pytest.mark.parametrize("text", ["", "   \n\t", None])
def test_empty(text):
    assert parse_lenient(text) == ParsedJSON(None, False, "empty output")


def test_too_large():
    result = parse_lenient(" " * (MAX_INPUT_CHARS + 1))
    assert not result.ok and result.error.startswith("output too large")


@pytest.mark.parametrize("prefix, suffix", [("", ""), ("Here it is: ", " done"), ("```json\n", "\n```")])
def test_deep_nesting_1000_levels(prefix, suffix):
    text = prefix + '{"a": ' * 1000 + "1" + "}" * 1000 + suffix
    assert parse_lenient(text) == ParsedJSON(None, False, "JSON nested too deeply")


def test_nesting_just_over_the_limit_is_rejected_without_recursion_error():
    text = '{"a": ' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1)
    assert parse_lenient("Answer: " + text).error == "JSON nested too deeply"


def test_nesting_at_the_limit_is_fine():
    text = '{"a": ' * MAX_DEPTH + "1" + "}" * MAX_DEPTH
    assert parse_lenient(text).ok


@pytest.mark.parametrize(
    "make",
    [
        lambda: "{" * 1_000_000,
        lambda: "[" * 1_000_000,
        lambda: '{"a": ' * 200_000,
        lambda: '{"' + "x" * 1_000_000,
        lambda: "```\n" * 250_000,
        lambda: '{"a": [' * 100_000 + "1",
        lambda: "".join(random.Random(0).choices('{}[]":,x1 \n`', k=1_000_000)),
    ],
)
def test_huge_garbage_finishes_fast(make):
    text = make()
    started = time.perf_counter()
    result = parse_lenient(text)
    assert time.perf_counter() - started < 2.0
    assert isinstance(result, ParsedJSON)


def test_object_after_too_many_candidates_is_not_found():
    # Bounded work: only the first 200 `{` are tried.
    assert not parse_lenient("{" * 500 + '{"a": 1}').ok
    assert parse_lenient("{" * 50 + ' {"a": 1}').ok


# --- properties ----------------------------------------------------------------------

json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=10)
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)
json_objects = st.dictionaries(st.text(max_size=6), json_values, max_size=5)
# Prose without braces or brackets: with "[" ... "]" around it the output *is* an array.
prose = st.text(st.characters(blacklist_characters="{}[]"), max_size=40)


@settings(max_examples=300)
@given(json_objects, prose, prose, st.booleans(), st.sampled_from([None, 2]))
def test_object_in_prose_parses_back_equal(value, before, after, ascii_only, indent):
    text = before + json.dumps(value, ensure_ascii=ascii_only, indent=indent) + after
    assert parse_lenient(text) == ok(value)


@settings(max_examples=300)
@given(st.text(max_size=200))
def test_never_raises_and_ok_means_dict(text):
    result = parse_lenient(text)
    assert result.ok == isinstance(result.value, dict)
    assert result.ok == (result.error is None)


# --- the limits at their edges (written out: the constants themselves are what is checked) ----


def test_two_million_characters_are_read_and_one_more_is_too_many():
    text = '{"a": 1}' + " " * (2_000_000 - 8)  # 8 + 1,999,992 = 2,000,000 characters
    assert parse_lenient(text) == ok({"a": 1})
    assert parse_lenient(text + " ") == ParsedJSON(None, False, "output too large (more than 2,000,000 characters)")


def test_the_200th_brace_is_tried_and_the_201st_is_not():
    # 199 stray braces, then the object's: its `{` is the 200th candidate.
    assert parse_lenient("{" * 199 + '{"a": 1}') == ok({"a": 1})
    # 200 stray braces: the last one tried (index 199) fails on the `{` at index 200, column 201.
    assert parse_lenient("{" * 200 + '{"a": 1}') == ParsedJSON(
        None, False, "no JSON object found (Expecting property name enclosed in double quotes at line 1 column 201)"
    )


def test_100_levels_are_fine_and_101_too_deep():
    assert parse_lenient('{"a": ' * 100 + "1" + "}" * 100).ok
    assert parse_lenient('{"a": ' * 101 + "1" + "}" * 101) == ParsedJSON(None, False, "JSON nested too deeply")


def test_results_are_frozen():
    with pytest.raises(FrozenInstanceError):
        parse_lenient('{"a": 1}').ok = False


# --- arrays, braces and the error that explains a failure ---------------------------


def test_fenced_array_without_objects_is_an_array():
    assert parse_lenient("```json\n[1, 2]\n```") == ParsedJSON(None, False, "expected a JSON object, got an array")


@pytest.mark.parametrize("text", ['Data:\n[\n  {"a": 1}\n]', '[{"a": 1}]\nThat is the only item.'])
def test_pretty_printed_or_leading_array_is_an_array(text):
    # The `[` is found across the newline and indent before the `{`, or at the very first character.
    assert parse_lenient(text) == ParsedJSON(None, False, "expected a JSON object, got an array")


def test_an_array_that_never_closes_is_not_an_array():
    # Only a decodable array makes its first object "an array": truncated, the object is the answer.
    assert parse_lenient('Items: [{"a": 1}, {"a": 2') == ok({"a": 1})


def test_doubled_braces_yield_the_object_inside():
    # The `{` at index 6 fails on the `{` right after it (index 7), which is then tried and decodes.
    assert parse_lenient('Here: {{"a": 1}}') == ok({"a": 1})


def test_the_outer_attempt_explains_a_failure_at_the_same_place():
    # `\d` is no JSON escape. The object fails at the backslash (index 14, column 15) as an invalid
    # escape; the `{` inside the string fails there too, as a missing property name: the first
    # attempt to get that far is the one reported.
    assert parse_lenient('{"pattern": "{\\d+}"}') == ParsedJSON(
        None, False, "no JSON object found (Invalid \\escape at line 1 column 15)"
    )
