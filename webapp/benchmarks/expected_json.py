"""The expected JSON a user types for each image: must parse, be an object, and stay small."""
from __future__ import annotations

import json

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


def parse_expected(text: str | None) -> dict:
    text = (text or "").strip()
    if not text:
        raise ExpectedJSONError("Enter the JSON you expect for this image.")
    if len(text) > MAX_EXPECTED_CHARS:
        raise ExpectedJSONError(f"The expected JSON is {len(text):,} characters; at most "
                                f"{MAX_EXPECTED_CHARS:,} are allowed.")
    # Checked before parsing: json.loads recurses and would fail on very deep input.
    if _bracket_depth(text) > MAX_DEPTH:
        raise ExpectedJSONError(f"The expected JSON is nested more than {MAX_DEPTH} levels deep.")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise ExpectedJSONError(f"This is not valid JSON: {e.msg} (line {e.lineno}, column {e.colno}).") from None
    if not isinstance(value, dict):
        kind = {list: "an array", str: "a string", bool: "true/false", type(None): "null"}.get(type(value), "a number")
        raise ExpectedJSONError(f"The expected JSON must be an object ({{ … }}), not {kind}.")
    if _depth(value, MAX_DEPTH) > MAX_DEPTH:
        raise ExpectedJSONError(f"The expected JSON is nested more than {MAX_DEPTH} levels deep.")
    return value
