"""Score a model's JSON output against the JSON the user expected, field by field.

Why field level: one wrong digit in a 40-field invoice should not count the same as
garbage, so besides `exact` we report the share of leaf fields that match. Leaves are
named by readable paths (`items[0].price`) so reports can show which fields go wrong.

Two modes:
- strict: key order ignored, strings trimmed, numbers by value (8.0 == 8, but
  True != 1 and "1" != 1), null differs from a missing key, array order matters.
- relaxed: also numeric strings equal numbers ("8.00" == 8), whitespace runs inside
  strings collapse, and null equals a missing key. Case matters unless a rule says otherwise.

On top of either mode, the output schema can carry per-field rules (webapp/compare_rules.py):
a numeric tolerance, dates compared as dates, case-insensitive text, and arrays whose items may
come in any order. An order-free array is paired item by item with the expected one in the way
that leaves the fewest wrong fields (then the most right ones): the assignment problem, solved
exactly (webapp/pairing.py) for arrays of up to MAX_PAIRED_ITEMS items; in longer ones equal
items are paired, then the others in the sorted order of their JSON text (near misses may then
meet the wrong partner, but the score still does not depend on the order). Paths
then name the expected item's position: `items[2].price` is the price of the model's item
paired with the third expected one; its unpaired items follow the expected ones.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal

from .compare_rules import NO_RULES, FieldRule, Rules, parse_date
from .domain import COMPARE_MODES, RELAXED, STRICT
from .field_paths import key_path
from .pairing import best_pairing

# Pass as `actual` (or pass None) when the model output could not be parsed at all.
INVALID = object()

ROOT = "$"
MISSING = "missing"  # in expected only
UNEXPECTED = "unexpected"  # in actual only
DIFFERENT_VALUE = "different value"  # same JSON type, different value
DIFFERENT_TYPE = "different type"  # e.g. "1" vs 1, or a number vs an object
NOT_JSON = "not valid JSON"

_ABSENT = object()  # internal: path not present on one side (also an unpaired array slot)
MAX_PAIRED_ITEMS = 60  # the assignment is O(n³) over n² item comparisons
# Item comparisons one score may spend on exact pairings: order-free arrays nested in each
# other multiply them (40 items of 40 is 2.6 million). Past it, the sorted-order pairing.
MAX_ITEM_COMPARISONS = 100_000
_comparisons_left: ContextVar[list[int]] = ContextVar("comparisons_left")
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
    return _walk(_children("", value))


def _leaves_at(path: str, value: object) -> dict[str, object]:
    """The leaves of a value nested at `path` (an array item: a scalar item is itself a leaf)."""
    return _walk([(path, value)])


def _walk(nodes: list[tuple[str, object]]) -> dict[str, object]:
    leaves: dict[str, object] = {}
    stack = list(reversed(nodes))
    while stack:
        path, node = stack.pop()
        if isinstance(node, (dict, list, tuple)) and node:
            stack.extend(reversed(_children(path, node)))
        elif node is not _ABSENT:  # an expected item no output item was paired with
            leaves[path] = node
    return leaves


def _children(path: str, node: dict[object, object] | list[object] | tuple[object, ...]) -> list[tuple[str, object]]:
    if isinstance(node, dict):
        return [(key_path(path, str(key)), child) for key, child in node.items()]
    return [(f"{path}[{index}]", child) for index, child in enumerate(node)]


def compare(expected: dict[str, object], actual: object, mode: str = STRICT, rules: Rules | None = None) -> Comparison:
    """Compare `expected` (a parsed JSON object) with a model's `actual` output.

    `actual` may be a parsed dict, raw text (a str, parsed here with json.loads), or
    None / INVALID meaning the output could not be parsed. Output that is not a JSON
    object scores 0 with a single diff at "$" saying why. `rules` are the per-field
    comparison rules of the output schema (webapp/compare_rules.from_schema).
    """
    if mode not in COMPARE_MODES:
        raise ValueError(f"unknown compare mode {mode!r}; expected one of {tuple(COMPARE_MODES)}")
    if not isinstance(expected, dict):
        raise TypeError(f"expected must be a JSON object (dict), got {type(expected).__name__}")
    rules = rules or NO_RULES
    expected_leaves = flatten(expected)
    actual, problem = _as_object(actual)
    if problem:
        diff = FieldDiff(ROOT, expected, actual, problem)
        return Comparison(False, 0.0, len(expected_leaves), 0, [diff])

    if rules.leads_to_unordered(""):
        budget = _comparisons_left.set([MAX_ITEM_COMPARISONS])
        try:
            actual = _aligned(expected, actual, "", mode, rules)
        finally:
            _comparisons_left.reset(budget)
    diffs, total = _score(expected_leaves, flatten(actual), mode, rules)
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


def _score(
    expected: dict[str, object], actual: dict[str, object], mode: str, rules: Rules
) -> tuple[list[FieldDiff], int]:
    """The wrong leaves, and how many leaf paths the two sides have together."""
    paths = list(expected) + [p for p in actual if p not in expected]
    # In relaxed mode null equals a missing field, but not a field that is there as an object or
    # an array (its leaves are deeper): that is a null answered with a container.
    containers = _containers(actual) if mode == RELAXED else {}
    diffs: list[FieldDiff] = []
    for path in paths:
        rule = rules.at(path) if rules else None
        answered = actual.get(path, _ABSENT)
        if answered is _ABSENT and expected.get(path) is None and path in containers:
            answered = containers[path]
        leaf = _leaf_diff(path, expected.get(path, _ABSENT), answered, mode, rule)
        if leaf is not None:
            diffs.append(leaf)
    return diffs, len(paths)


def _aligned(expected: object, actual: object, path: str, mode: str, rules: Rules) -> object:
    """`actual` with each order-free array at or below `path` in the order of its best pairing
    with the expected one. Descends only towards such arrays, so its depth is the schema's."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        aligned = {}
        for key, value in actual.items():
            child = key_path(path, str(key))
            if key in expected and rules.leads_to_unordered(child):
                value = _aligned(expected[key], value, child, mode, rules)
            aligned[key] = value
        return aligned
    if isinstance(expected, (list, tuple)) and isinstance(actual, (list, tuple)):
        rule = rules.at(path)
        if rule is not None and rule.unordered and expected and actual:
            return _paired(expected, actual, f"{path}[]", mode, rules)
        if rules.leads_to_unordered(f"{path}[]"):
            return [_aligned(e, a, f"{path}[{i}]", mode, rules) for i, (e, a) in enumerate(zip(expected, actual))] + [
                *actual[len(expected) :]
            ]
    return actual


def _paired(expected: Sequence[object], actual: Sequence[object], item: str, mode: str, rules: Rules) -> list[object]:
    """The output items placed at the positions of the expected items they are paired with
    (_ABSENT where an expected item has no partner), followed by the unpaired output items."""
    size = max(len(expected), len(actual))
    left = _comparisons_left.get([0])
    if size > MAX_PAIRED_ITEMS or left[0] < size * size:
        return _paired_in_sorted_order(expected, actual)
    left[0] -= size * size
    expected_items = [*expected] + [_ABSENT] * (size - len(expected))
    actual_items = [*actual] + [_ABSENT] * (size - len(actual))
    aligned = [[_aligned(e, a, item, mode, rules) for a in actual_items] for e in expected_items]
    expected_leaves = [_leaves_at(item, e) for e in expected_items]
    # Fewest wrong fields first, then most right expected fields, then fewest fields in all (in
    # relaxed mode a null pairs with a missing field: crossing items must not invent matches).
    # `weight` makes each criterion outweigh everything the next one can add up to.
    weight = 1 + sum(map(len, expected_leaves)) + sum(len(_leaves_at(item, a)) for a in actual_items)
    costs: list[list[int]] = []
    for i, row in enumerate(aligned):
        costs.append([])
        for candidate in row:
            diffs, total = _score(expected_leaves[i], _leaves_at(item, candidate), mode, rules)
            wrong = {d.path for d in diffs}
            right = sum(1 for path in expected_leaves[i] if path not in wrong)
            costs[i].append((len(diffs) * weight - right) * weight + total)
    partner = best_pairing(costs)
    placed = [aligned[i][partner[i]] for i in range(len(expected))]
    return placed + [actual[j] for j in sorted(partner[len(expected) :])]


def _paired_in_sorted_order(expected: Sequence[object], actual: Sequence[object]) -> list[object]:
    """Equal items with each other, then the rest in the sorted order of their JSON text."""
    text = [json.dumps(item, sort_keys=True, default=repr) for item in actual]
    equal: dict[str, list[int]] = {}
    for j in sorted(range(len(actual)), key=text.__getitem__):
        equal.setdefault(text[j], []).append(j)
    placed: list[object] = [_ABSENT] * len(expected)
    unpaired = []
    for i, item in enumerate(expected):
        key = json.dumps(item, sort_keys=True, default=repr)
        if equal.get(key):
            placed[i] = actual[equal[key].pop()]
        else:
            unpaired.append((key, i))
    rest = [j for same in equal.values() for j in same]
    for (_, i), j in zip(sorted(unpaired), rest):
        placed[i] = actual[j]
    return placed + [actual[j] for j in sorted(rest[len(unpaired) :])]


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


def _containers(leaves: dict[str, object]) -> dict[str, object]:
    """The paths that hold an object or an array of these leaves, each with an empty one of its
    kind ("a" -> {} for "a.b", "a.b" -> [] for "a.b[0]")."""
    found: dict[str, object] = {}
    for path in leaves:
        for i, ch in enumerate(path):
            if i and ch in ".[" and path[:i] not in found:
                found[path[:i]] = {} if ch == "." else []
    return found


def _leaf_diff(path: str, expected: object, actual: object, mode: str, rule: FieldRule | None) -> FieldDiff | None:
    if expected is _ABSENT or actual is _ABSENT:
        present = actual if expected is _ABSENT else expected
        if mode == RELAXED and present is None:
            return None  # relaxed: null and a missing key mean the same thing
        if expected is _ABSENT:
            return FieldDiff(path, None, actual, UNEXPECTED)
        return FieldDiff(path, expected, None, MISSING)
    if _equal(expected, actual, mode, rule):
        return None
    same_type = _json_type(expected) == _json_type(actual)
    return FieldDiff(path, expected, actual, DIFFERENT_VALUE if same_type else DIFFERENT_TYPE)


def _equal(a: object, b: object, mode: str, rule: FieldRule | None = None) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return _same_text(a, b, mode, rule)
    type_a, type_b = _json_type(a), _json_type(b)
    if type_a == type_b == "number":
        # NaN equals NaN, so any value equals itself
        return bool(a == b or (a != a and b != b)) or _within(a, b, rule)
    if mode == RELAXED and {type_a, type_b} == {"string", "number"}:
        return _within(a, b, rule)  # "8.00" == 8, compared exactly (see _decimal)
    if type_a != type_b:
        return False
    # Container leaves are always empty, so same type means equal.
    return type_a in ("object", "array") or a == b


def _same_text(a: str, b: str, mode: str, rule: FieldRule | None) -> bool:
    if rule is not None and rule.date:
        day_a, day_b = parse_date(a, rule.month_first), parse_date(b, rule.month_first)
        if day_a is not None and day_b is not None:
            return day_a == day_b
    a, b = _clean(a, mode), _clean(b, mode)
    if rule is not None and rule.case_insensitive:
        return a.casefold() == b.casefold()
    return a == b


def _within(expected: object, actual: object, rule: FieldRule | None) -> bool:
    """Equal as numbers, or as close as the rule allows (absolute, or relative to `expected`)."""
    e, a = _decimal(expected), _decimal(actual)
    if e is None or a is None:
        return False
    allowed = Decimal(0)
    try:
        if rule is not None:
            allowed = max(rule.tolerance or allowed, (rule.relative_tolerance or allowed) * abs(e))
        return a == e or abs(a - e) <= allowed  # 28 significant digits, plenty for a document
    except ArithmeticError:  # 1e999999999 - 5 overflows: no tolerance covers that
        return False


def _decimal(value: object) -> Decimal | None:
    """A finite number, or numeric text (relaxed), as an exact Decimal: "8.00" == 8, and floats
    through repr() (the shortest round-tripping form) so "0.1" is the float 0.1 rather than its
    binary expansion; ints compare exactly at any size."""
    if isinstance(value, str):
        text = value.strip()
        number = Decimal(text) if _NUMERIC.match(text) else None
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        number = Decimal(value) if isinstance(value, int) else None
    return number if number is not None and number.is_finite() else None


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
