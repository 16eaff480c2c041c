import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.scoring import INVALID, Comparison, FieldDiff, compare, flatten

MODES = ["strict", "relaxed"]


def paths(result: Comparison) -> list[str]:
    return [d.path for d in result.diffs]


# --- numbers -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_numbers_compare_by_value(mode):
    result = compare({"total": 8.0}, {"total": 8}, mode)
    assert result.exact and result.field_accuracy == 1.0


@pytest.mark.parametrize("mode", MODES)
def test_bool_is_not_a_number(mode):
    result = compare({"flag": True}, {"flag": 1}, mode)
    assert not result.exact
    assert result.diffs == [FieldDiff("flag", True, 1, "different type")]


def test_strict_numeric_string_differs_from_number():
    result = compare({"n": 1}, {"n": "1"}, "strict")
    assert not result.exact
    assert result.diffs == [FieldDiff("n", 1, "1", "different type")]


@pytest.mark.parametrize(
    "text, number",
    [
        ("1", 1),
        ("8.00", 8),
        (" 8.00 ", 8.0),
        ("0.1", 0.1),
        ("-3", -3),
        ("1e3", 1000),
        (".5", 0.5),
        ("12345678901234567890", 12345678901234567890),
    ],
)
def test_relaxed_numeric_string_equals_number(text, number):
    assert compare({"n": number}, {"n": text}, "relaxed").exact
    assert compare({"n": text}, {"n": number}, "relaxed").exact


@pytest.mark.parametrize(
    "text, number",
    [
        ("8.01", 8),
        ("nan", float("nan")),
        ("inf", float("inf")),
        ("1_000", 1000),
        ("1,234.50", 1234.5),
        ("", 0),
        ("12345678901234567891", 12345678901234567890),
    ],
)
def test_relaxed_non_matching_or_non_numeric_strings_differ(text, number):
    assert not compare({"n": number}, {"n": text}, "relaxed").exact


def test_relaxed_numeric_strings_are_still_compared_as_strings():
    assert not compare({"n": "8"}, {"n": "8.00"}, "relaxed").exact


# --- null versus missing -------------------------------------------------------------


def test_strict_null_differs_from_missing_key():
    result = compare({"a": 1, "b": None}, {"a": 1}, "strict")
    assert not result.exact
    assert result.diffs == [FieldDiff("b", None, None, "missing")]
    assert (result.correct_fields, result.total_fields) == (1, 2)


def test_strict_unexpected_null_is_wrong():
    result = compare({"a": 1}, {"a": 1, "b": None}, "strict")
    assert result.diffs == [FieldDiff("b", None, None, "unexpected")]


def test_relaxed_null_equals_missing_key_both_ways():
    assert compare({"a": 1, "b": None}, {"a": 1}, "relaxed").exact
    result = compare({"a": 1}, {"a": 1, "b": None}, "relaxed")
    assert result.exact and result.total_fields == 2 and result.correct_fields == 2


def test_relaxed_missing_non_null_is_still_wrong():
    result = compare({"a": 1, "b": 2}, {"a": 1}, "relaxed")
    assert result.diffs == [FieldDiff("b", 2, None, "missing")]


@pytest.mark.parametrize("mode", MODES)
def test_null_differs_from_a_value(mode):
    assert not compare({"a": None}, {"a": 0}, mode).exact
    assert not compare({"a": None}, {"a": ""}, mode).exact


# --- strings -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_strings_are_trimmed(mode):
    assert compare({"name": "Acme"}, {"name": "  Acme\n"}, mode).exact


def test_strict_keeps_inner_whitespace():
    assert not compare({"name": "Acme Corp"}, {"name": "Acme  Corp"}, "strict").exact


def test_relaxed_collapses_inner_whitespace():
    assert compare({"name": "Acme Corp"}, {"name": " Acme \t\n Corp "}, "relaxed").exact


@pytest.mark.parametrize("mode", MODES)
def test_case_matters(mode):
    result = compare({"name": "Acme"}, {"name": "ACME"}, mode)
    assert result.diffs == [FieldDiff("name", "Acme", "ACME", "different value")]


# --- structure -----------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_key_order_is_ignored(mode):
    assert compare({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"d": 3, "c": 2}, "a": 1}, mode).exact


@pytest.mark.parametrize("mode", MODES)
def test_array_order_matters(mode):
    result = compare({"tags": ["a", "b"]}, {"tags": ["b", "a"]}, mode)
    assert not result.exact
    assert paths(result) == ["tags[0]", "tags[1]"]


def test_one_sided_fields_count_in_the_union():
    result = compare({"a": 1, "b": 2}, {"a": 1, "c": 3}, "strict")
    assert (result.correct_fields, result.total_fields) == (1, 3)
    assert result.field_accuracy == pytest.approx(1 / 3)
    assert result.diffs == [FieldDiff("b", 2, None, "missing"), FieldDiff("c", None, 3, "unexpected")]


def test_extra_field_alone_breaks_exact():
    result = compare({"a": 1}, {"a": 1, "extra": "x"}, "strict")
    assert not result.exact and result.field_accuracy == 0.5


def test_array_length_mismatch():
    result = compare({"items": [1, 2, 3]}, {"items": [1, 2]}, "strict")
    assert result.diffs == [FieldDiff("items[2]", 3, None, "missing")]


@pytest.mark.parametrize("mode", MODES)
def test_empty_top_level_objects_are_exact(mode):
    result = compare({}, {}, mode)
    assert result == Comparison(True, 1.0, 0, 0, [])


def test_nested_empty_containers_are_leaves():
    assert flatten({"a": {}, "b": [], "c": {"d": []}}) == {"a": {}, "b": [], "c.d": []}
    assert compare({"a": {}, "b": []}, {"a": {}, "b": []}, "strict").exact
    result = compare({"a": {}, "b": []}, {"a": [], "b": ["x"]}, "strict")
    assert result.diffs == [
        FieldDiff("a", {}, [], "different type"),
        FieldDiff("b", [], None, "missing"),
        FieldDiff("b[0]", None, "x", "unexpected"),
    ]


def test_object_replaced_by_scalar():
    result = compare({"address": {"city": "Paris"}}, {"address": "Paris"}, "strict")
    assert result.diffs == [
        FieldDiff("address.city", "Paris", None, "missing"),
        FieldDiff("address", None, "Paris", "unexpected"),
    ]


# --- paths ---------------------------------------------------------------------------


def test_paths_use_dots_and_indexes():
    value = {"address": {"city": "Paris"}, "items": [{"price": 3}, {"price": 4, "sku": "x"}]}
    assert list(flatten(value)) == ["address.city", "items[0].price", "items[1].price", "items[1].sku"]


def test_diff_paths_for_nested_fields():
    expected = {"address": {"city": "Paris"}, "items": [{"price": 3}]}
    result = compare(expected, {"address": {"city": "Lyon"}, "items": [{"price": 4}]}, "strict")
    assert paths(result) == ["address.city", "items[0].price"]


def test_odd_keys_are_quoted():
    value = {"odd key": 1, "a": {"b.c": 2, "x-y": {"z": 3}, "": 4, "0": 5, "é": 6, 'q"': 7}}
    assert list(flatten(value)) == ['["odd key"]', 'a["b.c"]', 'a["x-y"].z', 'a[""]', 'a["0"]', 'a["é"]', 'a["q\\""]']


def test_dotted_key_does_not_collide_with_nesting():
    assert flatten({"a.b": 1}).keys() != flatten({"a": {"b": 1}}).keys()


def test_flatten_scalar_and_arrays():
    assert flatten(5) == {"$": 5}
    assert flatten([1, [2]]) == {"[0]": 1, "[1][0]": 2}
    assert flatten({}) == {} and flatten([]) == {}


def test_flatten_deep_object_does_not_recurse():
    value = leaf = {}
    for _ in range(5000):
        leaf["a"] = leaf = {}
    leaf["a"] = 1
    assert list(flatten(value).values()) == [1]


# --- unusable output -----------------------------------------------------------------


@pytest.mark.parametrize("actual", ["not json {", None, INVALID])
def test_invalid_json(actual):
    result = compare({"a": 1, "b": {"c": 2}}, actual, "strict")
    assert not result.exact
    assert (result.field_accuracy, result.correct_fields, result.total_fields) == (0.0, 0, 2)
    assert [(d.path, d.reason) for d in result.diffs] == [("$", "not valid JSON")]


def test_invalid_json_keeps_raw_text():
    assert compare({"a": 1}, "oops", "strict").diffs[0].actual == "oops"


@pytest.mark.parametrize(
    "actual, name", [([1, 2], "list"), ("[1, 2]", "list"), ("5", "int"), ('"x"', "str"), (3.5, "float")]
)
def test_non_object_actual(actual, name):
    result = compare({"a": 1}, actual, "relaxed")
    assert not result.exact and result.field_accuracy == 0.0 and result.total_fields == 1
    assert [(d.path, d.reason) for d in result.diffs] == [("$", f"not an object (got {name})")]


def test_invalid_with_empty_expected_is_not_exact():
    result = compare({}, None)
    assert not result.exact and result.field_accuracy == 0.0 and result.total_fields == 0


def test_actual_string_is_parsed():
    assert compare({"a": 1}, '{"a": 1.0}').exact


def test_deeply_nested_actual_string_is_not_valid_json():
    deep = "[" * 100_000 + "]" * 100_000
    assert compare({"a": 1}, '{"a": ' + deep + "}").diffs[0].reason == "not valid JSON"


def test_unknown_mode_and_bad_expected_raise():
    with pytest.raises(ValueError):
        compare({}, {}, "fuzzy")
    with pytest.raises(TypeError):
        compare([1], {})


def test_results_are_frozen():
    result = compare({"a": 1}, {"a": 2})
    with pytest.raises(AttributeError):
        result.exact = True
    with pytest.raises(AttributeError):
        result.diffs[0].path = "b"


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


@settings(max_examples=200)
@given(json_objects, st.sampled_from(MODES))
def test_any_object_equals_itself(value, mode):
    for actual in (value, json.loads(json.dumps(value)), json.dumps(value)):
        result = compare(value, actual, mode)
        assert result.exact and result.field_accuracy == 1.0 and result.diffs == []
        assert result.total_fields == len(flatten(value))


@settings(max_examples=300)
# Strings are left out of `actual`: compare() would parse them as raw model output.
@given(json_objects, json_objects | json_values.filter(lambda v: not isinstance(v, str)), st.sampled_from(MODES))
def test_scores_are_consistent_for_any_pair(expected, actual, mode):
    result = compare(expected, actual, mode)
    assert 0.0 <= result.field_accuracy <= 1.0
    assert 0 <= result.correct_fields <= result.total_fields
    assert result.exact == (result.correct_fields == result.total_fields and isinstance(actual, dict))
    if isinstance(actual, dict):
        assert len(result.diffs) == result.total_fields - result.correct_fields
        assert result.total_fields == len(flatten(expected).keys() | flatten(actual).keys())


@given(json_objects)
def test_flatten_paths_are_unique_and_leaves_counted(value):
    def count(node, top=False):
        if isinstance(node, (dict, list)) and (node or top):
            children = node.values() if isinstance(node, dict) else node
            return sum(count(child) for child in children)
        return 1

    assert len(flatten(value)) == count(value, top=True)


# --- values a wrong comparison would get wrong ---------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_true_differs_from_false(mode):
    # Same JSON type (boolean), different value: 0 of 1 field right, both ways round.
    result = compare({"paid": True}, {"paid": False}, mode)
    assert result == Comparison(False, 0.0, 1, 0, [FieldDiff("paid", True, False, "different value")])
    assert compare({"paid": False}, {"paid": True}, mode).diffs == [FieldDiff("paid", False, True, "different value")]
    assert compare({"paid": False}, {"paid": False}, mode).exact


@pytest.mark.parametrize("mode", MODES)
def test_nan_equals_only_nan(mode):
    nan = float("nan")
    # Python's json reads NaN: a value equals itself, even NaN (which != itself as a float).
    result = compare({"total": nan, "n": 1}, '{"total": NaN, "n": 1}', mode)
    assert (result.exact, result.correct_fields, result.total_fields) == (True, 2, 2)
    # NaN against a number is wrong either way round: 1 of 2 fields right.
    result = compare({"total": nan, "n": 1}, {"total": 12.5, "n": 1}, mode)
    assert (result.exact, result.field_accuracy) == (False, 0.5)
    assert [(d.path, d.actual, d.reason) for d in result.diffs] == [("total", 12.5, "different value")]
    result = compare({"total": 12.5}, {"total": nan}, mode)
    assert (result.exact, result.field_accuracy, paths(result)) == (False, 0.0, ["total"])


@pytest.mark.parametrize("mode", MODES)
def test_a_tuple_is_an_array(mode):
    # flatten() walks tuples like lists, so an empty tuple is the empty-array leaf.
    assert compare({"tags": [], "n": 1}, {"tags": (), "n": 1}, mode).exact
    assert compare({"tags": ["a"]}, {"tags": ("a",)}, mode).exact
    result = compare({"tags": {}}, {"tags": ()}, mode)
    assert result.diffs == [FieldDiff("tags", {}, (), "different type")]


def test_relaxed_null_is_not_matched_by_an_object_or_array_answer():
    # Null equals a missing field, but a field answered with a container is not missing: "a" is
    # the wrong type and "a.b" is unexpected, 0 of 2 (before, the null counted as right: 1 of 2).
    result = compare({"a": None}, {"a": {"b": 1}}, "relaxed")
    assert (result.correct_fields, result.total_fields) == (0, 2)
    assert [(d.path, d.reason) for d in result.diffs] == [("a", "different type"), ("a.b", "unexpected")]
    assert compare({"a": None}, {"a": [1]}, "relaxed").diffs[0].actual == []
    assert compare({"a": None}, {}, "relaxed").exact  # missing is still null
