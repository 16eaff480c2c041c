"""Score a model's JSON output against the JSON the user expected, field by field.

Why field level: one wrong digit in a 40-field invoice should not count the same as
garbage, so besides `exact` we report the share of leaf fields that match. Leaves are
named by readable paths (`items[0].price`) so reports can show which fields go wrong.

Two modes:
- strict: key order ignored, strings trimmed, numbers by value (8.0 == 8, but
  True != 1 and "1" != 1), null differs from a missing key, array order matters.
- relaxed: also numeric strings equal numbers ("8.00" == 8), whitespace runs inside
  strings collapse, and null equals a missing key. Case always matters.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal

from .domain import COMPARE_MODES, RELAXED, STRICT

# Pass as `actual` (or pass None) when the model output could not be parsed at all.
INVALID = object()

ROOT = "$"
MISSING = "missing"  # in expected only
UNEXPECTED = "unexpected"  # in actual only
DIFFERENT_VALUE = "different value"  # same JSON type, different value
DIFFERENT_TYPE = "different type"  # e.g. "1" vs 1, or a number vs an object
NOT_JSON = "not valid JSON"

_ABSENT = object()  # internal: path not present on one side
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Plain decimal notation only: float() would also accept "nan", "inf", "1_000" and
# non-ASCII digits, none of which a user means as a number.
_NUMERIC = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")


@dataclass(frozen=True)
class FieldDiff:
    """One wrong field. A side where the field is absent holds None; `reason` says which."""

    path: str
    expected: object
    actual: object
    reason: str = DIFFERENT_VALUE


@dataclass(frozen=True)
class Comparison:
    exact: bool
    field_accuracy: float  # correct_fields / total_fields, 0..1
    total_fields: int  # leaf paths in the union of both sides
    correct_fields: int
    diffs: list[FieldDiff] = field(default_factory=list)


def flatten(value: object) -> dict[str, object]:
    """Map every leaf path to its value, in document order.

    Non-empty objects and arrays are descended into; scalars and *nested* empty
    objects/arrays are leaves (so `{"tags": []}` vs `{"tags": ["a"]}` is visible).
    A top-level empty container has no leaves; a top-level scalar is the leaf "$".
    Iterative, so deeply nested input cannot exhaust the Python stack.
    """
    if not isinstance(value, (dict, list, tuple)):
        return {ROOT: value}
    leaves: dict[str, object] = {}
    stack = list(reversed(_children("", value)))
    while stack:
        path, node = stack.pop()
        if isinstance(node, (dict, list, tuple)) and node:
            stack.extend(reversed(_children(path, node)))
        else:
            leaves[path] = node
    return leaves


def _children(path: str, node: dict[object, object] | list[object] | tuple[object, ...]) -> list[tuple[str, object]]:
    if isinstance(node, dict):
        return [(_key_path(path, str(key)), child) for key, child in node.items()]
    return [(f"{path}[{index}]", child) for index, child in enumerate(node)]


def _key_path(parent: str, key: str) -> str:
    # Quoting odd keys keeps paths unambiguous: {"a.b": 1} is `["a.b"]`, not `a.b`.
    if _IDENTIFIER.match(key):
        return f"{parent}.{key}" if parent else key
    return f"{parent}[{json.dumps(key, ensure_ascii=False)}]"


def compare(expected: dict[str, object], actual: object, mode: str = STRICT) -> Comparison:
    """Compare `expected` (a parsed JSON object) with a model's `actual` output.

    `actual` may be a parsed dict, raw text (a str, parsed here with json.loads), or
    None / INVALID meaning the output could not be parsed. Output that is not a JSON
    object scores 0 with a single diff at "$" saying why.
    """
    if mode not in COMPARE_MODES:
        raise ValueError(f"unknown compare mode {mode!r}; expected one of {tuple(COMPARE_MODES)}")
    if not isinstance(expected, dict):
        raise TypeError(f"expected must be a JSON object (dict), got {type(expected).__name__}")
    expected_leaves = flatten(expected)
    actual, problem = _as_object(actual)
    if problem:
        diff = FieldDiff(ROOT, expected, actual, problem)
        return Comparison(False, 0.0, len(expected_leaves), 0, [diff])

    actual_leaves = flatten(actual)
    paths = list(expected_leaves) + [p for p in actual_leaves if p not in expected_leaves]
    diffs: list[FieldDiff] = []
    for path in paths:
        leaf = _leaf_diff(path, expected_leaves.get(path, _ABSENT), actual_leaves.get(path, _ABSENT), mode)
        if leaf is not None:
            diffs.append(leaf)
    total = len(paths)
    correct = total - len(diffs)
    # A one-sided path is always a diff, so "no diffs" also means "no one-sided paths"
    # in strict mode (relaxed forgives only null-vs-missing).
    return Comparison(
        exact=not diffs,
        field_accuracy=correct / total if total else 1.0,
        total_fields=total,
        correct_fields=correct,
        diffs=diffs,
    )


def _as_object(actual: object) -> tuple[object, str | None]:
    """Return (value, None) for a usable object, else (what to show, why it is unusable)."""
    if actual is None or actual is INVALID:
        return None, NOT_JSON
    if isinstance(actual, str):
        try:
            parsed = json.loads(actual)
        except (ValueError, RecursionError):
            return actual, NOT_JSON
        actual = parsed
    if not isinstance(actual, dict):
        return actual, f"not an object (got {type(actual).__name__})"
    return actual, None


def _leaf_diff(path: str, expected: object, actual: object, mode: str) -> FieldDiff | None:
    if expected is _ABSENT or actual is _ABSENT:
        present = actual if expected is _ABSENT else expected
        if mode == RELAXED and present is None:
            return None  # relaxed: null and a missing key mean the same thing
        if expected is _ABSENT:
            return FieldDiff(path, None, actual, UNEXPECTED)
        return FieldDiff(path, expected, None, MISSING)
    if _equal(expected, actual, mode):
        return None
    same_type = _json_type(expected) == _json_type(actual)
    return FieldDiff(path, expected, actual, DIFFERENT_VALUE if same_type else DIFFERENT_TYPE)


def _equal(a: object, b: object, mode: str) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return _clean(a, mode) == _clean(b, mode)
    type_a, type_b = _json_type(a), _json_type(b)
    if type_a == type_b == "number":
        return bool(a == b or (a != a and b != b))  # NaN equals NaN, so any value equals itself
    if mode == RELAXED and {type_a, type_b} == {"string", "number"}:
        text, number = (a, b) if isinstance(a, str) else (b, a)
        return isinstance(text, str) and isinstance(number, (int, float)) and _numeric_text_equals(text, number)
    if type_a != type_b:
        return False
    # Container leaves are always empty, so same type means equal.
    return type_a in ("object", "array") or a == b


def _json_type(value: object) -> str:
    # bool first: it is a subclass of int, but True is not the number 1.
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__


def _clean(text: str, mode: str) -> str:
    return " ".join(text.split()) if mode == RELAXED else text.strip()


def _numeric_text_equals(text: str, number: int | float) -> bool:
    """Relaxed number-vs-string: "8.00" == 8 and "0.1" == 0.1, compared exactly via Decimal.

    Floats go through repr() (the shortest round-tripping form), so "0.1" matches the
    float 0.1 rather than its binary expansion; ints compare exactly at any size.
    """
    text = text.strip()
    if not _NUMERIC.match(text):
        return False
    value = Decimal(repr(number)) if isinstance(number, float) else Decimal(number)
    return Decimal(text) == value
