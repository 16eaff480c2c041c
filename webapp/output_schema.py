"""A benchmark's output schema: inferred from the expected JSON of its images, editable by the
user, and sent to each model in the strongest way it supports (webapp/domain.OutputMode).

Pure functions over JSON values; JSON Schema validation is the `jsonschema` library's
(draft 2020-12).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from . import compare_rules

DIALECT = "https://json-schema.org/draft/2020-12/schema"
MAX_MESSAGES = 3  # per image: enough to fix it, not a wall of text

_TYPE_OF = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}
_TYPE_ORDER = ("object", "array", "string", "number", "integer", "boolean", "null")


class OutputSchemaError(ValueError):
    """The text is not a usable output schema; the message says why, for the form."""


def infer(examples: Iterable[object]) -> dict:
    """The narrowest schema every example satisfies: object keys with their types, arrays'
    item schemas, null where an example has null; a key missing from some examples is optional."""
    schema = _merge_all(list(examples))
    return {"$schema": DIALECT, **schema}


def _merge_all(values: list) -> dict:
    types: set[str] = set()
    objects, arrays = [], []
    for value in values:
        kind = _kind(value)
        types.add(kind)
        if kind == "object":
            objects.append(value)
        elif kind == "array":
            arrays.append(value)
    if {"integer", "number"} <= types:
        types.discard("integer")  # 8 and 8.5: a number
    schema: dict = {}
    if types:
        ordered = [t for t in _TYPE_ORDER if t in types]
        schema["type"] = ordered[0] if len(ordered) == 1 else ordered
    if objects:
        keys = list(dict.fromkeys(k for o in objects for k in o))
        schema["properties"] = {k: _merge_all([o[k] for o in objects if k in o]) for k in keys}
        schema["required"] = [k for k in keys if all(k in o for o in objects)]
        schema["additionalProperties"] = False
    if arrays:
        schema["items"] = _merge_all([item for a in arrays for item in a])
    return schema


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return _TYPE_OF.get(type(value), "string")


def parse(text: str) -> dict:
    """The schema in `text`, checked (see `check`)."""
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as e:
        message = f"The output schema is not valid JSON: {e.msg} (line {e.lineno}, column {e.colno})."
        raise OutputSchemaError(message) from None
    except (ValueError, RecursionError):
        raise OutputSchemaError("The output schema is not valid JSON.") from None
    return check(schema)


def check(schema: object) -> dict:
    """A schema the user typed, as parsed JSON: a valid JSON Schema that describes an object."""
    if not isinstance(schema, dict):
        raise OutputSchemaError('The output schema must be a JSON object, such as {"type": "object", ...}.')
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as e:
        where = "/".join(str(p) for p in e.path)
        raise OutputSchemaError(
            f"The output schema is not a valid JSON Schema{f' at {where}' if where else ''}: {e.message}"
        ) from None
    except RecursionError:
        raise OutputSchemaError("The output schema is nested too deeply.") from None
    if schema.get("type") not in ("object", ["object"]):
        raise OutputSchemaError('The output schema must describe an object: give it "type": "object".')
    for keyword, where in _keywords(schema, ""):
        if keyword in UNSUPPORTED:
            raise OutputSchemaError(
                f'The output schema uses "{keyword}"{f" at {where}" if where else ""}, which is not supported here: '
                f"{UNSUPPORTED[keyword]}"
            )
    rule_problems = compare_rules.problems(schema)
    if rule_problems:
        raise OutputSchemaError(f"The output schema's comparison rules: {rule_problems[0]}")
    return schema


# Refused in a typed schema. A regular expression is matched by Python's backtracking engine on
# every check of the expected JSON: one like ^(a+)+$ can take minutes. References can point
# nowhere or at themselves, and the inferred schema never needs them.
UNSUPPORTED = {
    "pattern": "describe the field by its type (and a comparison rule) instead.",
    "patternProperties": "name each property instead.",
    "$ref": "write the referenced schema out in full.",
    "$dynamicRef": "write the referenced schema out in full.",
    "$recursiveRef": "write the referenced schema out in full.",
}
_NAMED_SCHEMAS = ("properties", "$defs", "definitions", "dependentSchemas", "patternProperties")
_LISTED_SCHEMAS = ("allOf", "anyOf", "oneOf", "prefixItems")
_ONE_SCHEMA = (
    "items",
    "additionalItems",
    "additionalProperties",
    "unevaluatedItems",
    "unevaluatedProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
)


def _keywords(node: object, where: str):
    """(keyword, where) for every keyword of every subschema: property names are not keywords."""
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        yield key, where
        inner = f"{where}/{key}" if where else key
        if key in _NAMED_SCHEMAS and isinstance(value, dict):
            for name, sub in value.items():
                yield from _keywords(sub, f"{inner}/{name}")
        elif key in _LISTED_SCHEMAS and isinstance(value, list):
            for i, sub in enumerate(value):
                yield from _keywords(sub, f"{inner}/{i}")
        elif key in _ONE_SCHEMA:
            yield from _keywords(value, inner)


def mismatches(schema: dict, value: object, limit: int = MAX_MESSAGES) -> list[str]:
    """Why `value` does not satisfy `schema`, one short message per problem (at most `limit`)."""
    validator = Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.path)))
    return [f"{_path(e.path)}: {e.message}" for e in errors[:limit]]


def _path(parts) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(the whole JSON)"


def to_text(schema: dict) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False)


def same(text: str, schema: dict) -> bool:
    """Does the typed text hold exactly this schema (whatever its spacing)?"""
    try:
        return json.loads(text) == schema
    except (ValueError, RecursionError):
        return False


def for_models(schema: dict) -> dict:
    """The schema as a model sees it: without the vendor keywords (`x-compare`, any `x-...`)
    that say how answers are scored, which a provider may refuse and a model need not read."""
    return _without_vendor_keywords(schema)


def _without_vendor_keywords(node: Any) -> Any:
    # Keys of `properties` and `$defs` are names, not keywords: a property may be called "x-id".
    if isinstance(node, list):
        return [_without_vendor_keywords(item) for item in node]
    if not isinstance(node, dict):
        return node
    kept = {}
    for key, value in node.items():
        if str(key).startswith("x-"):
            continue
        if key in ("properties", "$defs", "definitions", "patternProperties") and isinstance(value, dict):
            kept[key] = {name: _without_vendor_keywords(sub) for name, sub in value.items()}
        elif key in ("const", "enum", "default", "examples"):
            kept[key] = value  # values, not schemas
        else:
            kept[key] = _without_vendor_keywords(value)
    return kept


def for_strict_mode(schema: dict) -> dict:
    """The schema as strict structured outputs accept it: every object lists all its
    properties as required and allows no others; a property that was optional may be null."""
    strict = copy.deepcopy(for_models(schema))
    strict.pop("$schema", None)
    _strict_node(strict)
    return strict


def _strict_node(node: object) -> None:
    if isinstance(node, list):
        for item in node:
            _strict_node(item)
        return
    if not isinstance(node, dict):
        return
    properties = node.get("properties")
    if isinstance(properties, dict):
        required = set(node.get("required") or [])
        for name, sub in properties.items():
            if name not in required and isinstance(sub, dict):
                _allow_null(sub)
        node["required"] = list(properties)
        node["additionalProperties"] = False
    for key, value in node.items():
        if key in ("properties", "$defs", "definitions") and isinstance(value, dict):
            for sub in value.values():
                _strict_node(sub)
        elif key in ("items", "anyOf", "oneOf", "allOf", "prefixItems"):
            _strict_node(value)


def _allow_null(node: dict) -> None:
    kind = node.get("type")
    if isinstance(kind, str) and kind != "null":
        node["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        node["type"] = [*kind, "null"]
