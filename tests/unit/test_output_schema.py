import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from webapp.output_schema import DIALECT, OutputSchemaError, for_models, for_strict_mode, infer, mismatches, parse, same

RECEIPT_A = {"merchant": "Blue Bean Café", "total": 12.5, "paid": True, "items": [{"name": "Tea", "qty": 2}]}
RECEIPT_B = {"merchant": "Kiosk", "total": 8, "paid": False, "items": [], "tip": None}


def test_infers_keys_types_items_and_which_keys_are_optional():
    assert infer([RECEIPT_A, RECEIPT_B]) == {
        "$schema": DIALECT,
        "type": "object",
        "properties": {
            "merchant": {"type": "string"},
            "total": {"type": "number"},  # 12.5 and 8: a number, not an integer
            "paid": {"type": "boolean"},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, "qty": {"type": "integer"}},
                    "required": ["name", "qty"],
                    "additionalProperties": False,
                },
            },
            "tip": {"type": "null"},
        },
        "required": ["merchant", "total", "paid", "items"],  # tip is in one image only
        "additionalProperties": False,
    }


def test_null_in_one_image_and_a_value_in_another_allows_both():
    schema = infer([{"due": "2024-03-01"}, {"due": None}])
    assert schema["properties"]["due"] == {"type": ["string", "null"]}


def test_integers_alone_stay_integers():
    assert infer([{"n": 1}, {"n": 2}])["properties"]["n"] == {"type": "integer"}


@given(
    st.lists(
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
            lambda children: (
                st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
            ),
            max_leaves=10,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_every_example_satisfies_the_inferred_schema(examples):
    schema = infer(examples)
    Draft202012Validator.check_schema(schema)
    for example in examples:
        assert mismatches(schema, example) == []


def test_parse_accepts_a_valid_object_schema():
    text = json.dumps(infer([RECEIPT_A]))
    assert parse(text) == infer([RECEIPT_A])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"type": "object",', "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"type": "objekt"}', "not a valid JSON Schema"),
        ('{"type": "object", "properties": {"a": {"minimum": "zero"}}}', "at properties/a/minimum"),
        ('{"type": "array"}', 'give it "type": "object"'),
        ("NaN", "must be a JSON object"),
        (
            '{"type": "object", "properties": {"total": {"x-compare": {"tolerance": "1 cent"}}}}',
            r"^The output schema's comparison rules: total: \"tolerance\" must be a number, 0 or more\.$",
        ),
    ],
)
def test_parse_says_what_is_wrong(text, message):
    with pytest.raises(OutputSchemaError, match=message):
        parse(text)


def test_mismatches_name_the_field_and_the_problem():
    schema = infer([RECEIPT_A])
    wrong = {**RECEIPT_A, "total": "12.50", "items": [{"name": "Tea", "qty": 2, "size": "L"}]}
    assert mismatches(schema, wrong) == [
        "items[0]: Additional properties are not allowed ('size' was unexpected)",
        "total: '12.50' is not of type 'number'",
    ]
    assert mismatches(schema, {}, limit=2) == [
        "(the whole JSON): 'merchant' is a required property",
        "(the whole JSON): 'total' is a required property",
    ]


def test_same_ignores_spacing_only():
    schema = infer([RECEIPT_A])
    assert same(json.dumps(schema), schema)
    assert same(json.dumps(schema, indent=4), schema)
    assert not same(json.dumps({**schema, "required": []}), schema)
    assert not same("not json", schema)


def test_strict_mode_requires_every_property_and_lets_optional_ones_be_null():
    strict = for_strict_mode(infer([RECEIPT_A, RECEIPT_B]))
    assert "$schema" not in strict
    assert strict["required"] == ["merchant", "total", "paid", "items", "tip"]
    assert strict["properties"]["tip"] == {"type": "null"}
    assert strict["properties"]["merchant"] == {"type": "string"}  # required already: unchanged
    user_schema = {"type": "object", "properties": {"note": {"type": "string"}, "n": {"type": ["integer"]}}}
    strict = for_strict_mode(user_schema)
    assert strict == {
        "type": "object",
        "properties": {"note": {"type": ["string", "null"]}, "n": {"type": ["integer", "null"]}},
        "required": ["note", "n"],
        "additionalProperties": False,
    }
    assert user_schema["properties"]["note"] == {"type": "string"}  # the original is untouched


RULED = {
    "type": "object",
    "x-note": "kept out",
    "properties": {
        "total": {"type": "number", "x-compare": {"tolerance": 0.01}},
        "x-id": {"type": "string", "format": "date", "const": {"x-compare": "a value, kept"}},
        "items": {
            "type": "array",
            "x-compare": {"unordered": True},
            "items": {"anyOf": [{"type": "string", "x-compare": {}}]},
        },
    },
    "$defs": {"x-def": {"type": "string", "x-compare": {"case_insensitive": True}}},
}


def test_models_never_see_the_comparison_rules():
    assert parse(json.dumps(RULED)) == RULED  # valid: the rules are the scorer's
    assert for_models(RULED) == {
        "type": "object",
        "properties": {
            "total": {"type": "number"},
            "x-id": {"type": "string", "format": "date", "const": {"x-compare": "a value, kept"}},  # a name, a value
            "items": {"type": "array", "items": {"anyOf": [{"type": "string"}]}},
        },
        "$defs": {"x-def": {"type": "string"}},
    }
    assert "x-compare" in RULED["properties"]["total"]  # the original is untouched
    strict = for_strict_mode(RULED)
    assert strict["properties"]["total"] == {"type": ["number", "null"]}
    assert strict["properties"]["items"] == {"type": ["array", "null"], "items": {"anyOf": [{"type": "string"}]}}
    assert "x-note" not in strict


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (
            {"type": "object", "properties": {"code": {"type": "string", "pattern": "^(a+)+$"}}},
            'uses "pattern" at properties/code, which is not supported here',
        ),
        ({"type": "object", "patternProperties": {"^x": {}}}, 'uses "patternProperties"'),
        ({"type": "object", "$ref": "#/nope"}, 'uses "$ref"'),
        (
            {"type": "object", "properties": {"a": {"type": "array", "items": {"$ref": "#"}}}},
            'uses "$ref" at properties/a/items',
        ),
    ],
)
def test_keywords_that_could_hang_or_fail_a_check_are_refused(schema, message):
    with pytest.raises(OutputSchemaError, match=re.escape(message)):
        parse(json.dumps(schema))


def test_a_property_may_be_named_like_a_refused_keyword():
    schema = {"type": "object", "properties": {"pattern": {"type": "string"}, "$ref": {"type": "string"}}}
    assert parse(json.dumps(schema)) == schema
