"""The expected JSON a user types for each image: must parse, be an object, stay small, and be
storable by PostgreSQL's json types (which, unlike Python's parser, refuse NaN, Infinity,
numbers beyond a double's range, NUL characters and unpaired surrogates)."""

from __future__ import annotations

import json
import math

from ..text_input import problem_in_json

MAX_EXPECTED_CHARS = 100_000
MAX_DEPTH = 20


class ExpectedJSONError(ValueError):
    """str(e) is a message for the user."""


def _depth(value, limit: int) -> int:
    # Iterative, so a hostile document cannot exhaust the stack.
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def _bracket_depth(text: str) -> int:
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _no_constant(name: str) -> float:
    raise ExpectedJSONError(f"{{subject}} has {name}, which is not a JSON number; write a number or null.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ExpectedJSONError(f"{{subject}} has a number too large to store ({text[:40]}).")
    return value


def load_storable_json(
    text: str,
    subject: str,
    invalid: str = "This is not valid JSON",
    max_chars: int = MAX_EXPECTED_CHARS,
    max_depth: int = MAX_DEPTH,
):
    """JSON typed by a user, parsed and checked that PostgreSQL can store it; the messages name
    `subject` ("The expected JSON"). Any JSON value: the caller checks its shape."""
    text = (text or "").strip()
    if len(text) > max_chars:
        raise ExpectedJSONError(f"{subject} is {len(text):,} characters; at most {max_chars:,} are allowed.")
    # Checked before parsing: json.loads recurses and would fail on very deep input.
    if _bracket_depth(text) > max_depth:
        raise ExpectedJSONError(f"{subject} is nested more than {max_depth} levels deep.")
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except json.JSONDecodeError as e:
        raise ExpectedJSONError(f"{invalid}: {e.msg} (line {e.lineno}, column {e.colno}).") from None
    except ValueError as e:  # from the hooks above, or an integer past Python's digit limit
        message = (
            str(e).replace("{subject}", subject)
            if isinstance(e, ExpectedJSONError)
            else f"{subject} has an integer with too many digits to store; use fewer than 4,300."
        )
        raise ExpectedJSONError(message) from None
    found = problem_in_json(value)
    if found:
        raise ExpectedJSONError(f"{subject} {found}; remove it.")
    if _depth(value, max_depth) > max_depth:
        raise ExpectedJSONError(f"{subject} is nested more than {max_depth} levels deep.")
    return value


def parse_expected(text: str | None) -> dict:
    if not (text or "").strip():
        raise ExpectedJSONError("Enter the JSON you expect for this image.")
    value = load_storable_json(text or "", "The expected JSON")
    if not isinstance(value, dict):
        kind = {list: "an array", str: "a string", bool: "true/false", type(None): "null"}.get(type(value), "a number")
        raise ExpectedJSONError(f"The expected JSON must be an object ({{ … }}), not {kind}.")
    return value
