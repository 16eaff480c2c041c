"""compare() under the output schema's per-field rules (webapp/compare_rules.py)."""

import json
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from webapp.compare_rules import FieldRule, Rules, from_schema
from webapp.field_paths import fold
from webapp.scoring import MAX_PAIRED_ITEMS, Comparison, FieldDiff, compare, flatten

MODES = ["strict", "relaxed"]


def rules(**by_path: FieldRule) -> Rules:
    return Rules({path.replace("__", "[]."): rule for path, rule in by_path.items()})


def score(result: Comparison) -> tuple:
    return result.exact, result.correct_fields, result.total_fields


CENT = FieldRule(tolerance=Decimal("0.01"))
HALF_PERCENT = FieldRule(relative_tolerance=Decimal("0.005"))
AS_DATE = FieldRule(date=True)
ANY_CASE = FieldRule(case_insensitive=True)
ANY_ORDER = FieldRule(unordered=True)


# --- numeric tolerance -----------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "actual, exact", [(12.51, True), (12.49, True), (12.5, True), (12.52, False), (12.511, False), (12.489, False)]
)
def test_absolute_tolerance_on_both_sides(mode, actual, exact):
    result = compare({"total": 12.50}, {"total": actual}, mode, rules(total=CENT))
    assert result.exact is exact
    assert result.diffs == ([] if exact else [FieldDiff("total", 12.5, actual, "different value")])


def test_tolerance_is_exact_in_decimal():
    # As floats 0.3 - 0.29 is 0.010000000000000009 > 0.01; the written numbers differ by 0.01.
    assert compare({"total": 0.3}, {"total": 0.29}, rules=rules(total=CENT)).exact
    assert compare({"n": 10**20}, {"n": 10**20 + 1}, rules=rules(n=FieldRule(tolerance=Decimal(1)))).exact
    assert not compare({"n": 10**20}, {"n": 10**20 + 2}, rules=rules(n=FieldRule(tolerance=Decimal(1)))).exact


def test_without_the_rule_a_cent_is_wrong():
    assert not compare({"total": 12.50}, {"total": 12.51}).exact
    assert not compare({"total": 12.50}, {"total": 12.51}, rules=rules(other=CENT)).exact


@pytest.mark.parametrize(
    "expected, actual, exact",
    [
        (1000, 1005, True),  # 0.5% of 1000 is 5
        (1000, 995, True),
        (1000, 1005.01, False),
        (995, 1000, False),  # relative to the expected value: 0.5% of 995 is 4.975
        (-200, -201, True),  # of its size
        (0, 0.0001, False),  # nothing is within a share of 0
        (0, 0, True),
    ],
)
def test_relative_tolerance_is_a_share_of_the_expected_value(expected, actual, exact):
    assert compare({"rate": expected}, {"rate": actual}, rules=rules(rate=HALF_PERCENT)).exact is exact


@pytest.mark.parametrize(
    "expected, actual, exact", [(100, 100.1, True), (100, 100.11, False), (1, 1.01, True), (1, 1.011, False)]
)
def test_either_tolerance_suffices(expected, actual, exact):
    # Within 0.01 or 0.1%: 0.1 around 100 (the share is larger), 0.01 around 1.
    both = FieldRule(tolerance=Decimal("0.01"), relative_tolerance=Decimal("0.001"))
    assert compare({"n": expected}, {"n": actual}, rules=rules(n=both)).exact is exact


def test_tolerance_and_numeric_text():
    # Strict: text is never a number. Relaxed: numeric text is, with the tolerance.
    result = compare({"total": 12.5}, {"total": "12.51"}, "strict", rules(total=CENT))
    assert result.diffs == [FieldDiff("total", 12.5, "12.51", "different type")]
    assert compare({"total": 12.5}, {"total": " 12.51 "}, "relaxed", rules(total=CENT)).exact
    assert compare({"total": "12.5"}, {"total": 12.51}, "relaxed", rules(total=CENT)).exact
    assert not compare({"total": 12.5}, {"total": "12.52"}, "relaxed", rules(total=CENT)).exact
    # Text against text stays text, as without rules.
    assert not compare({"total": "12.50"}, {"total": "12.51"}, "relaxed", rules(total=CENT)).exact


@pytest.mark.parametrize("mode", MODES)
def test_tolerance_leaves_other_types_alone(mode):
    assert not compare({"paid": True}, {"paid": 1}, mode, rules(paid=CENT)).exact
    assert not compare({"paid": True}, {"paid": False}, mode, rules(paid=FieldRule(tolerance=Decimal(5)))).exact
    assert not compare({"n": None}, {"n": 0}, mode, rules(n=CENT)).exact
    assert not compare({"n": 1}, {"n": "abc"}, mode, rules(n=FieldRule(tolerance=Decimal(5)))).exact


def test_tolerance_and_values_that_are_not_finite():
    wide = rules(n=FieldRule(tolerance=Decimal(10) ** 400))
    nan, inf = float("nan"), float("inf")
    assert not compare({"n": nan}, {"n": 5}, rules=wide).exact
    assert not compare({"n": 5}, {"n": nan}, rules=wide).exact
    assert not compare({"n": inf}, {"n": 1e308}, rules=wide).exact
    assert compare({"n": inf}, {"n": inf}, rules=wide).exact
    assert compare({"n": nan}, {"n": nan}, rules=wide).exact
    assert not compare({"n": 5}, {"n": "1e999999999"}, "relaxed", rules(n=CENT)).exact


def test_tolerance_on_every_item_by_folded_path():
    expected = {"items": [{"price": 3.5}, {"price": 2.25}]}
    result = compare(expected, {"items": [{"price": 3.51}, {"price": 2.27}]}, rules=rules(items__price=CENT))
    assert (result.correct_fields, result.total_fields) == (1, 2)
    assert result.diffs == [FieldDiff("items[1].price", 2.25, 2.27, "different value")]


# --- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "actual", ["2024-03-01", "2024/3/1", "01/03/2024", "1.3.2024", "March 1, 2024", "1st Mar 2024", "01-Mar-2024"]
)
def test_dates_are_compared_as_days(actual):
    assert compare({"date": "2024-03-01"}, {"date": actual}, rules=rules(date=AS_DATE)).exact
    assert compare({"date": "March 1, 2024"}, {"date": actual}, rules=rules(date=AS_DATE)).exact


@pytest.mark.parametrize(
    "actual", ["03/01/2024", "2024-03-02", "2024-01-03", "February 29, 2024", "2024-02-30", "soon"]
)
def test_other_days_and_non_dates_are_wrong(actual):
    result = compare({"date": "2024-03-01"}, {"date": actual}, rules=rules(date=AS_DATE))
    assert result.diffs == [FieldDiff("date", "2024-03-01", actual, "different value")]


def test_month_first_reads_the_us_way():
    month_first = rules(date=FieldRule(date=True, month_first=True))
    assert compare({"date": "2024-03-01"}, {"date": "03/01/2024"}, rules=month_first).exact
    assert not compare({"date": "2024-03-01"}, {"date": "01/03/2024"}, rules=month_first).exact


def test_without_the_rule_dates_are_text():
    assert not compare({"date": "2024-03-01"}, {"date": "March 1, 2024"}).exact
    assert not compare({"date": "2024-03-01"}, {"date": "March 1, 2024"}, rules=from_schema({"type": "object"})).exact


def test_a_date_field_that_is_not_a_date_is_compared_as_text():
    assert compare({"date": "unknown"}, {"date": " unknown "}, rules=rules(date=AS_DATE)).exact
    assert not compare({"date": "unknown"}, {"date": "Unknown"}, rules=rules(date=AS_DATE)).exact
    assert compare(
        {"date": "unknown"}, {"date": "Unknown"}, rules=rules(date=FieldRule(date=True, case_insensitive=True))
    ).exact
    assert not compare({"date": None}, {"date": "2024-03-01"}, rules=rules(date=AS_DATE)).exact
    # One side a date, the other text that only case folding turns into the same words (the
    # "st" ligature): equal as text, as the case rule says.
    any_case_date = rules(date=FieldRule(date=True, case_insensitive=True))
    assert compare({"date": "1st March 2024"}, {"date": "1\ufb06 MARCH 2024"}, rules=any_case_date).exact
    assert not compare({"date": "1st March 2024"}, {"date": "1\ufb06 MARCH 2024"}, rules=rules(date=AS_DATE)).exact


# --- case ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_case_insensitive_text(mode):
    assert compare({"vendor": "Blue Bean Café"}, {"vendor": "BLUE BEAN CAFÉ"}, mode, rules(vendor=ANY_CASE)).exact
    assert compare({"vendor": "Straße"}, {"vendor": "STRASSE"}, mode, rules(vendor=ANY_CASE)).exact  # casefold
    result = compare(
        {"vendor": "Acme", "city": "Paris"}, {"vendor": "ACME", "city": "PARIS"}, mode, rules(vendor=ANY_CASE)
    )
    assert result.diffs == [FieldDiff("city", "Paris", "PARIS", "different value")]
    assert not compare({"vendor": "Acme"}, {"vendor": "ACME Inc"}, mode, rules(vendor=ANY_CASE)).exact


def test_case_rule_keeps_the_modes_whitespace():
    assert not compare({"v": "Acme Corp"}, {"v": "ACME  CORP"}, "strict", rules(v=ANY_CASE)).exact
    assert compare({"v": "Acme Corp"}, {"v": " ACME  CORP "}, "relaxed", rules(v=ANY_CASE)).exact


# --- arrays in any order ----------------------------------------------------------------

COFFEE, BAGEL, JUICE = {"name": "Coffee", "price": 3.5}, {"name": "Bagel", "price": 2.25}, {"name": "Juice", "price": 4}
LINES = {"items": [COFFEE, BAGEL, JUICE]}


def test_items_in_another_order_are_paired_with_their_own():
    actual = {"items": [JUICE, COFFEE, {"name": "Bagel", "price": 2.5}]}
    # In order every pair differs in both fields: 0 of 6 right.
    assert score(compare(LINES, actual)) == (False, 0, 6)
    # Paired: Coffee and Juice right, Bagel's price wrong: 5 of 6, named by the expected position.
    result = compare(LINES, actual, rules=rules(items=ANY_ORDER))
    assert score(result) == (False, 5, 6)
    assert result.diffs == [FieldDiff("items[1].price", 2.25, 2.5, "different value")]
    assert compare(LINES, {"items": [JUICE, BAGEL, COFFEE]}, rules=rules(items=ANY_ORDER)).exact


def test_a_missing_item_and_an_extra_item():
    result = compare(LINES, {"items": [JUICE, COFFEE]}, rules=rules(items=ANY_ORDER))
    assert score(result) == (False, 4, 6)
    assert result.diffs == [
        FieldDiff("items[1].name", "Bagel", None, "missing"),
        FieldDiff("items[1].price", 2.25, None, "missing"),
    ]
    tip = {"name": "Tip", "price": 1}
    result = compare(LINES, {"items": [tip, JUICE, BAGEL, COFFEE]}, rules=rules(items=ANY_ORDER))
    assert score(result) == (False, 6, 8)
    assert result.diffs == [
        FieldDiff("items[3].name", None, "Tip", "unexpected"),
        FieldDiff("items[3].price", None, 1, "unexpected"),
    ]


def test_the_pairing_leaves_the_fewest_wrong_fields():
    # Greedy would give the first expected item its best match (the second output item, 2 of 3
    # right) and leave the second expected item 0 of 3; the best pairing gets 2 + 2.
    expected = {"items": [{"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 2, "c": 9}]}
    actual = {"items": [{"a": 1, "b": 0, "c": 3}, {"a": 1, "b": 2, "c": 0}]}
    result = compare(expected, actual, rules=rules(items=ANY_ORDER))
    assert score(result) == (False, 4, 6)


def test_then_the_most_right_fields():
    # Both pairings leave 4 fields wrong. With {"a": 1, "c": 1}: b missing and c unexpected, a
    # right, then the unpaired {"a": 2, "b": 2} 2 wrong: 1 of 5 right. With {"a": 2, "b": 2}: a and
    # b wrong, then the unpaired other 2 wrong: 0 of 4. The first is taken, whatever the order.
    expected = {"items": [{"a": 1, "b": 1}]}
    for actual in ([{"a": 1, "c": 1}, {"a": 2, "b": 2}], [{"a": 2, "b": 2}, {"a": 1, "c": 1}]):
        result = compare(expected, {"items": actual}, rules=rules(items=ANY_ORDER))
        assert score(result) == (False, 1, 5)


def test_arrays_of_scalars_and_nested_order_free_arrays():
    assert compare({"tags": ["a", "b", "c"]}, {"tags": ["c", "a", "b"]}, rules=rules(tags=ANY_ORDER)).exact
    result = compare({"tags": ["a", "b", "c"]}, {"tags": ["c", "a", "x"]}, rules=rules(tags=ANY_ORDER))
    assert result.diffs == [FieldDiff("tags[1]", "b", "x", "different value")]
    expected = {"groups": [{"name": "g1", "tags": ["a", "b"]}, {"name": "g2", "tags": ["c"]}]}
    actual = {"groups": [{"name": "g2", "tags": ["c"]}, {"name": "g1", "tags": ["b", "a"]}]}
    both = rules(groups=ANY_ORDER, groups__tags=ANY_ORDER)
    assert compare(expected, actual, rules=both).exact
    # Only the outer array order-free: g1's tags in another order are 2 wrong of 5.
    assert score(compare(expected, actual, rules=rules(groups=ANY_ORDER))) == (False, 3, 5)
    # Only the inner one: the groups in order pair g1 with g2.
    assert not compare(expected, actual, rules=rules(groups__tags=ANY_ORDER)).exact


def test_pairing_applies_the_items_rules():
    expected = {"items": [{"price": 10.0}, {"price": 20.0}]}
    assert compare(
        expected, {"items": [{"price": 20.004}, {"price": 9.996}]}, rules=rules(items=ANY_ORDER, items__price=CENT)
    ).exact


def test_an_order_free_array_against_something_else():
    assert score(compare(LINES, {"items": []}, rules=rules(items=ANY_ORDER))) == (False, 0, 7)
    assert score(compare({"items": []}, {"items": [COFFEE]}, rules=rules(items=ANY_ORDER))) == (False, 0, 3)
    assert score(compare(LINES, {"items": "none"}, rules=rules(items=ANY_ORDER))) == (False, 0, 7)
    assert score(compare(LINES, {"other": 1}, rules=rules(items=ANY_ORDER))) == (False, 0, 7)


def test_arrays_below_an_ordered_array_are_paired_too():
    expected = {"pages": [{"lines": ["a", "b"]}, {"lines": ["c", "d"]}]}
    actual = {"pages": [{"lines": ["b", "a"]}, {"lines": ["d", "c"]}, {"lines": ["e"]}]}
    result = compare(expected, actual, rules=rules(pages__lines=ANY_ORDER))
    assert score(result) == (False, 4, 5)
    assert result.diffs == [FieldDiff("pages[2].lines[0]", None, "e", "unexpected")]


def test_up_to_the_limit_the_pairing_is_the_best_one():
    expected = {"items": [{"n": i} for i in range(MAX_PAIRED_ITEMS)]}
    actual = {"items": [{"n": 1000}] + [{"n": i} for i in reversed(range(1, MAX_PAIRED_ITEMS))]}
    result = compare(expected, actual, rules=rules(items=ANY_ORDER))
    assert result.diffs == [FieldDiff("items[0].n", 0, 1000, "different value")]


def test_beyond_the_limit_items_are_paired_in_sorted_order():
    count = MAX_PAIRED_ITEMS + 1
    expected = {"items": [{"n": i} for i in range(count)]}
    assert compare(expected, {"items": list(reversed(expected["items"]))}, rules=rules(items=ANY_ORDER)).exact
    # Equal items are paired first: the one near miss is the one wrong field.
    actual = {"items": [{"n": 5.5}] + [{"n": i} for i in reversed(range(1, count))]}
    result = compare(expected, actual, rules=rules(items=ANY_ORDER))
    assert result.diffs == [FieldDiff("items[0].n", 0, 5.5, "different value")]
    # The rest in sorted order of their JSON text: "0" before "9", "0.5" before "9.5" (a
    # near miss each way round would do as well), "10" with "10".
    expected = {"items": [{"n": i} for i in range(count)]}
    actual = {"items": [{"n": 9.5}, {"n": 0.5}] + [{"n": i} for i in range(1, count) if i != 9]}
    result = compare(expected, actual, rules=rules(items=ANY_ORDER))
    assert [(d.path, d.actual) for d in result.diffs] == [("items[0].n", 0.5), ("items[9].n", 9.5)]
    # Fewer items than expected beyond the limit: the unpaired expected items are missing.
    result = compare(expected, {"items": expected["items"][1:]}, rules=rules(items=ANY_ORDER))
    assert (result.correct_fields, result.total_fields) == (count - 1, count)
    extra = {"items": [*expected["items"], {"n": -1}]}
    assert score(compare(expected, extra, rules=rules(items=ANY_ORDER))) == (False, count, count + 1)


# --- properties ----------------------------------------------------------------------------

dates = st.sampled_from(["2024-03-01", "01/03/2024", "March 1, 2024", "03/15/2024", "2024-02-30", "Mar 1 2024"])
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-1000, 1000)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
    | dates
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from("abcd"), children, max_size=3),
    max_leaves=16,
)
json_objects = st.dictionaries(st.sampled_from("abcdef"), json_values, max_size=4)
field_rules = st.builds(
    FieldRule,
    tolerance=st.none() | st.decimals(0, 10, places=2),
    relative_tolerance=st.none() | st.decimals(0, 1, places=3),
    date=st.booleans(),
    month_first=st.booleans(),
    case_insensitive=st.booleans(),
    unordered=st.booleans(),
)


def node_paths(value, path=""):
    """Every folded path of the value, containers included."""
    yield fold(path)
    if isinstance(value, dict):
        for key, child in value.items():
            yield from node_paths(child, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for child in value:
            yield from node_paths(child, f"{path}[]")


def everywhere(rule: FieldRule, *values) -> Rules:
    return Rules({p: rule for value in values for p in node_paths(value) if p})


@settings(max_examples=300)
@given(json_objects, field_rules, st.sampled_from(MODES))
def test_any_object_scored_against_itself_is_exact_under_any_rule(value, rule, mode):
    for actual in (value, json.loads(json.dumps(value)), json.dumps(value)):
        result = compare(value, actual, mode, everywhere(rule, value))
        assert result == Comparison(True, 1.0, len(flatten(value)), len(flatten(value)), [])


@settings(max_examples=300)
@given(
    json_objects,
    st.lists(json_values, max_size=5),
    st.lists(json_values, max_size=5),
    field_rules,
    st.randoms(),
    st.sampled_from(MODES),
)
def test_permuting_an_order_free_array_never_changes_the_score(base, expected_items, actual_items, rule, random, mode):
    order_free = FieldRule(**{**rule.__dict__, "unordered": True})
    expected = {**base, "items": expected_items}
    actual = {**base, "items": actual_items}
    rules_ = everywhere(order_free, expected, actual)
    before = score(compare(expected, actual, mode, rules_))
    random.shuffle(actual_items)
    assert score(compare(expected, {**base, "items": actual_items}, mode, rules_)) == before
    random.shuffle(expected_items)
    assert score(compare({**base, "items": expected_items}, {**base, "items": actual_items}, mode, rules_)) == before


@settings(max_examples=300)
@given(json_objects, json_objects, field_rules, st.data(), st.sampled_from(MODES))
def test_adding_a_wrong_field_never_raises_the_score(expected, actual, rule, data, mode):
    rules_ = everywhere(rule, expected, actual)
    before = compare(expected, actual, mode, rules_)
    # Somewhere in the output, an object gains a key that no expected object has.
    objects = [node for node in _nodes(actual) if isinstance(node, dict)]
    target = data.draw(st.sampled_from(objects))
    target["wrong"] = data.draw(json_scalars.filter(lambda v: v is not None))
    assume("wrong" not in json.dumps(expected))
    after = compare(expected, actual, mode, rules_)
    assert not after.exact
    assert after.field_accuracy <= before.field_accuracy
    assert after.correct_fields <= before.correct_fields


def _nodes(value):
    yield value
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    for child in children:
        yield from _nodes(child)


def test_order_free_arrays_nested_in_each_other_are_still_paired_past_the_exact_budget():
    # 40 rows of 40 cells, both reversed: 1,600 row pairs, each pairing 40 cells (2.6 million
    # item comparisons exactly). Past the budget the sorted-order pairing takes over: equal
    # items still find each other, so the reversed output is still exact.
    cells = [{"n": i, "v": i * 2} for i in range(40)]
    expected = {"rows": [{"id": k, "cells": cells} for k in range(40)]}
    actual = {"rows": [{"id": k, "cells": cells[::-1]} for k in reversed(range(40))]}
    cell = {"type": "object", "properties": {"n": {"type": "integer"}, "v": {"type": "integer"}}}
    row = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "cells": {"type": "array", "x-compare": {"unordered": True}, "items": cell},
        },
    }
    schema = {
        "type": "object",
        "properties": {"rows": {"type": "array", "x-compare": {"unordered": True}, "items": row}},
    }
    result = compare(expected, actual, "strict", from_schema(schema))
    assert result.exact and result.total_fields == 40 * (1 + 40 * 2)


# --- the limit of the exact pairing, and what the alignment meets on its way -----------------


def near_misses(count):
    """`count` items: two near misses that the sorted order pairs wrongly, then equal fillers.

    Best pairing: {"a": 1, "b": 1} with {"a": 9, "b": 1} and {"a": 2, "b": 2} with
    {"a": 0, "b": 2}, one wrong field each. Sorted order of the JSON text pairs the expected
    "a": 1 with the output "a": 0 and "a": 2 with "a": 9, both fields wrong in each.
    """
    fillers = [{"a": 100 + i, "b": 100 + i} for i in range(count - 2)]
    expected = {"items": [{"a": 1, "b": 1}, {"a": 2, "b": 2}, *fillers]}
    actual = {"items": [{"a": 9, "b": 1}, {"a": 0, "b": 2}, *reversed(fillers)]}
    return expected, actual


def test_the_documented_limit_of_sixty_items():
    # docs/comparison-rules.md: the best pairing for up to 60 items, the sorted order beyond.
    result = compare(*near_misses(60), rules=rules(items=ANY_ORDER))
    assert [(d.path, d.expected, d.actual) for d in result.diffs] == [("items[0].a", 1, 9), ("items[1].a", 2, 0)]
    result = compare(*near_misses(61), rules=rules(items=ANY_ORDER))
    assert [(d.path, d.expected, d.actual) for d in result.diffs] == [
        ("items[0].a", 1, 0),
        ("items[0].b", 1, 2),
        ("items[1].a", 2, 9),
        ("items[1].b", 2, 1),
    ]


def test_beyond_the_limit_equal_items_are_found_whatever_their_key_order():
    # "a" ascends where "b" descends: were the keys not sorted, the text order of "b" first
    # would pair item i with item 60 - i, and only the middle one would be right.
    expected = {"items": [{"b": 200 - i, "a": 100 + i} for i in range(61)]}
    actual = {"items": [{"b": 200 - i, "a": 100 + i} for i in reversed(range(61))]}
    assert compare(expected, actual, rules=rules(items=ANY_ORDER)).exact


def test_an_order_free_array_only_in_the_output():
    result = compare({"total": 1}, {"total": 1, "items": [COFFEE]}, rules=rules(items=ANY_ORDER))
    assert score(result) == (False, 1, 3)
    assert [d.reason for d in result.diffs] == ["unexpected", "unexpected"]


def test_an_object_holding_an_order_free_array_against_something_else():
    expected = {"order": {"items": ["a", "b"]}}
    for actual in ("none", ["b", "a"], None):
        result = compare(expected, {"order": actual}, rules=Rules({"order.items": ANY_ORDER}))
        # Both expected items missing, then whatever the output holds at "order" unexpected.
        assert [(d.path, d.reason) for d in result.diffs][:2] == [
            ("order.items[0]", "missing"),
            ("order.items[1]", "missing"),
        ]
        assert {d.reason for d in result.diffs[2:]} == {"unexpected"}


def test_items_as_good_in_any_order_keep_their_own():
    # Each output item has "a" right and one extra key, whichever expected item it meets.
    result = compare(
        {"items": [{"a": 1}, {"a": 1}]}, {"items": [{"a": 1, "x": 1}, {"a": 1, "y": 2}]}, rules=rules(items=ANY_ORDER)
    )
    assert [(d.path, d.actual) for d in result.diffs] == [("items[0].x", 1), ("items[1].y", 2)]
