from dataclasses import FrozenInstanceError
from datetime import date
from decimal import Decimal

import pytest

from webapp.compare_rules import NO_RULES, FieldRule, Rules, from_schema, parse_date, problems

RECEIPT_SCHEMA = {
    "type": "object",
    "properties": {
        "total": {"type": "number", "x-compare": {"tolerance": 0.01}},
        "date": {"type": ["string", "null"], "format": "date"},
        "vendor": {"type": "string", "x-compare": {"case_insensitive": True}},
        "items": {
            "type": "array",
            "x-compare": {"unordered": True},
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "price": {"type": "number", "x-compare": {"tolerance": 0.01, "relative_tolerance": 0.005}},
                },
            },
        },
        "odd key": {"type": "string", "format": "date", "x-compare": {"month_first": True}},
    },
}


def test_rules_are_read_by_folded_path_in_schema_order():
    rules = from_schema(RECEIPT_SCHEMA)
    assert rules.fields == {
        "total": FieldRule(tolerance=Decimal("0.01")),
        "date": FieldRule(date=True),
        "vendor": FieldRule(case_insensitive=True),
        "items": FieldRule(unordered=True),
        "items[].price": FieldRule(tolerance=Decimal("0.01"), relative_tolerance=Decimal("0.005")),
        '["odd key"]': FieldRule(date=True, month_first=True),
    }
    assert rules.at("items[3].price") == FieldRule(tolerance=Decimal("0.01"), relative_tolerance=Decimal("0.005"))
    assert rules.at("items[3].name") is None


def test_the_report_phrases():
    assert from_schema(RECEIPT_SCHEMA).describe() == [
        "total within 0.01",
        "date as a date",
        "vendor in any case",
        "items in any order",
        "items[].price within 0.01 or 0.5%",
        '["odd key"] as a date (month first)',
    ]
    both = FieldRule(relative_tolerance=Decimal("0.1"), case_insensitive=True, date=True, unordered=True)
    assert both.describe("x") == "x within 10%, as a date, in any case, in any order"
    assert FieldRule(relative_tolerance=Decimal("0.0125")).describe("x") == "x within 1.25%"


def test_no_schema_and_a_schema_without_rules_have_no_rules():
    assert not from_schema(None)
    assert not from_schema({"type": "object", "properties": {"a": {"type": "string", "format": "email"}}})
    assert from_schema({"type": "object", "properties": {"a": {"type": "string"}}}).describe() == []
    assert Rules({"a": FieldRule(case_insensitive=True)})


def test_rules_cannot_be_changed_once_read():
    # NO_RULES is every comparison's default, and one schema's rules serve a whole run.
    with pytest.raises(FrozenInstanceError):
        NO_RULES.fields = {"total": FieldRule(tolerance=Decimal(1))}  # type: ignore[misc]
    rule = FieldRule(unordered=True)
    with pytest.raises(FrozenInstanceError):
        rule.unordered = False  # type: ignore[misc]
    assert {rule, FieldRule(unordered=True)} == {rule}  # frozen, so hashable


def test_rules_under_items_prefix_items_and_branches():
    schema = {
        "type": "object",
        "properties": {
            "rows": {
                "type": "array",
                "items": {"type": "array", "items": {"type": "number", "x-compare": {"tolerance": 1}}},
            },
            "pair": {"type": "array", "prefixItems": [{"type": "string", "x-compare": {"case_insensitive": True}}]},
            "when": {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]},
            "who": {"allOf": [{"x-compare": {"case_insensitive": True}}, {"x-compare": {"tolerance": 0}}]},
        },
    }
    assert from_schema(schema).fields == {
        "rows[][]": FieldRule(tolerance=Decimal("1")),
        "pair[]": FieldRule(case_insensitive=True),
        "when": FieldRule(date=True),
        "who": FieldRule(tolerance=Decimal("0"), case_insensitive=True),  # both branches' rules
    }


def test_a_rule_on_the_whole_object_and_unusable_values_are_ignored():
    schema = {
        "type": "object",
        "x-compare": {"case_insensitive": True},
        "properties": {"a": {"x-compare": {"tolerance": -1, "unordered": "yes", "relative_tolerance": True}}},
    }
    assert not from_schema(schema)


def test_leads_to_unordered():
    rules = from_schema(RECEIPT_SCHEMA)
    assert rules.leads_to_unordered("") and rules.leads_to_unordered("items")
    assert not rules.leads_to_unordered("items[2]") and not rules.leads_to_unordered("total")
    nested = Rules({"groups[].tags": FieldRule(unordered=True), "groups": FieldRule(case_insensitive=True)})
    assert nested.leads_to_unordered("groups[0]") and not nested.leads_to_unordered("groups[0].name")


def test_problems_say_where_and_what():
    schema = {
        "type": "object",
        "x-compare": [1],
        "properties": {
            "total": {"type": "number", "x-compare": {"tolerance": -0.01, "relative_tolerance": "1%"}},
            "paid": {"type": "boolean", "x-compare": {"tolerance": True, "case_insensitive": "yes"}},
            "items": {"type": "object", "x-compare": {"unordered": True, "fuzzy": 1}},
            "tags": {"type": ["array", "null"], "x-compare": {"unordered": True, "month_first": False}},
        },
    }
    assert problems(schema) == [
        'the whole object: "x-compare" must be an object such as {"tolerance": 0.01}.',
        'total: "tolerance" must be a number, 0 or more.',
        'total: "relative_tolerance" must be a number, 0 or more.',
        'paid: "tolerance" must be a number, 0 or more.',
        'paid: "case_insensitive" must be true or false.',
        'items: "x-compare" has no rule "fuzzy" (rules: tolerance, relative_tolerance, case_insensitive, unordered, month_first).',
        'items: "unordered" applies to arrays; give it "type": "array".',
    ]
    assert problems(RECEIPT_SCHEMA) == []
    assert problems({"type": "object", "properties": {"a": {"x-compare": {"tolerance": 0, "unordered": False}}}}) == []
    assert problems({"type": "object", "properties": {"n": {"x-compare": {"tolerance": float("nan")}}}}) == [
        'n: "tolerance" must be a number, 0 or more.'
    ]


MARCH_1 = date(2024, 3, 1)


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-01",
        "2024-3-1",
        "2024/03/01",
        "2024.03.01",
        " 2024-03-01\n",
        "01/03/2024",  # day first
        "1.3.2024",
        "01-03-2024",
        "March 1, 2024",
        "march 1 2024",
        "Mar 1, 2024",
        "Mar. 1, 2024",
        "March 1st, 2024",
        "1 March 2024",
        "1st March 2024",
        "01-Mar-2024",
        "1 MAR 2024",
    ],
)
def test_dates_in_the_accepted_formats(text):
    assert parse_date(text) == MARCH_1


def test_day_and_month_are_read_day_first_unless_the_rule_says_month_first():
    assert parse_date("03/01/2024") == date(2024, 1, 3)
    assert parse_date("03/01/2024", month_first=True) == MARCH_1
    assert parse_date("01/03/2024", month_first=True) == date(2024, 1, 3)
    # Only one reading is a real date: that one, whatever the rule.
    assert parse_date("03/15/2024") == date(2024, 3, 15)
    assert parse_date("15/03/2024", month_first=True) == date(2024, 3, 15)
    # Year first is never ambiguous.
    assert parse_date("2024-01-03", month_first=True) == date(2024, 1, 3)


def test_every_month_name():
    names = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    full = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ]
    for month, (short, long) in enumerate(zip(names, full), start=1):
        assert parse_date(f"2 {short} 2023") == parse_date(f"{long} 2, 2023") == date(2023, month, 2)
    assert parse_date("Sept 30, 2023") == date(2023, 9, 30)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "n/a",
        "2024-13-01",
        "2024-02-30",
        "32/01/2024",
        "13/13/2024",
        "March 32, 2024",
        "Smarch 1, 2024",
        "1 March 24",
        "01/03/24",
        "March 2024",
        "1 2 March 2024",
        "2024-03-01T10:00",
        "12024-03-01",
        "1 March 2024 extra",
        "March 1th2, 2024",
        "١/٣/٢٠٢٤",
    ],
)
def test_what_is_not_a_date(text):
    assert parse_date(text) is None
