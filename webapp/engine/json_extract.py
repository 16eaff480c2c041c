"""Pull the JSON object out of a vision model's raw text output.

Models wrap answers in Markdown code fences or chat around them ("Here is the JSON:
..."), and a plain json.loads would fail outputs whose content is fine. So we try, in
order: the whole text, each fenced block, then the first `{` from which a JSON object
decodes. Model output is untrusted and may be huge or hostile, so every step is
bounded: input size, number of `{` candidates tried, and nesting depth.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

MAX_INPUT_CHARS = 2_000_000
MAX_CANDIDATES = 200  # `{` positions tried; keeps 1 MB of "{{{{" linear, not quadratic
MAX_DEPTH = 100  # far deeper than any real extraction; deeper is an attack or a loop

EMPTY_OUTPUT = "empty output"
NO_OBJECT = "no JSON object found"
GOT_ARRAY = "expected a JSON object, got an array"
TOO_DEEP = "JSON nested too deeply"
TOO_LARGE = f"output too large (more than {MAX_INPUT_CHARS:,} characters)"

# A fence opens at the start of a line (optionally indented), with an optional language
# tag. Requiring line start means a "```" inside a serialised JSON string (which can
# hold no raw newline) never opens a fence.
_FENCE = re.compile(r"^[ \t]*```[A-Za-z0-9_+.-]*[ \t]*\r?\n?(.*?)```", re.MULTILINE | re.DOTALL)


class _NotFinite(ValueError):
    pass


def _reject_constant(name: str):
    # NaN/Infinity are not JSON, and PostgreSQL jsonb cannot store them.
    raise _NotFinite(f"{name} is not valid JSON")


# strict=False: a raw tab or newline inside a string is a common, harmless model slip.
_DECODER = json.JSONDecoder(strict=False, parse_constant=_reject_constant)
_NOTHING = object()


@dataclass(frozen=True)
class ParsedJSON:
    """ok is True exactly when value is a dict; otherwise value is None and error says why."""

    value: object | None
    ok: bool
    error: str | None


class _TooDeep(Exception):
    pass


def parse_lenient(text: str | None) -> ParsedJSON:
    """Find the JSON object in `text`. Never raises on any string input."""
    if text is None:
        return _fail(EMPTY_OUTPUT)
    if len(text) > MAX_INPUT_CHARS:
        return _fail(TOO_LARGE)
    if not text.strip():
        return _fail(EMPTY_OUTPUT)
    try:
        return _parse(text)
    except (_TooDeep, RecursionError):
        # json's C decoder recurses per nesting level and raises RecursionError.
        return _fail(TOO_DEEP)


def _parse(text: str) -> ParsedJSON:
    whole = _decode(text.strip())
    # The whole output is JSON: it is the answer, object or not. Except a string with a
    # "{" in it ("{}" in quotes, say), which is searched like prose below.
    if whole is not _NOTHING and (not isinstance(whole, str) or "{" not in whole):
        return _accept(whole)

    saw_array = False
    for match in _FENCE.finditer(text):
        value = _decode(match.group(1).strip())
        if isinstance(value, dict):
            return _accept(value)
        saw_array = saw_array or isinstance(value, list)
    if saw_array:
        return _fail(GOT_ARRAY)

    return _scan_for_object(text)


def _scan_for_object(text: str) -> ParsedJSON:
    """Decode from each `{` in turn (at most MAX_CANDIDATES); the first object wins.

    Scanning left to right returns the outermost object. Two exceptions, so the result
    says what the model actually produced: an object inside an earlier `{...}` that
    broke after it (typically output truncated at the token limit) is not the answer,
    and an object that is the first element of a decodable array is reported as an
    array, as it would be had the array been the whole output.
    """
    furthest: json.JSONDecodeError | None = None
    start = text.find("{")
    for _ in range(MAX_CANDIDATES):
        if start < 0:
            break
        try:
            value, _end = _DECODER.raw_decode(text, start)
        except json.JSONDecodeError as e:
            if furthest is None or e.pos > furthest.pos:
                furthest = e  # the attempt that got furthest best explains the failure
        except _NotFinite as e:
            return _fail(f"{NO_OBJECT} ({e})")  # deliberate JSON, so no inner object instead
        else:
            if furthest is not None and furthest.pos > start:
                break  # nested in a broken object
            return _fail(GOT_ARRAY) if _opens_array(text, start) else _accept(value)
        start = text.find("{", start + 1)
    if furthest is None:
        return _fail(NO_OBJECT)
    at = " " if furthest.msg.endswith(" at") else " at "  # "Unterminated string starting at"
    return _fail(f"{NO_OBJECT} ({furthest.msg}{at}line {furthest.lineno} column {furthest.colno})")


def _opens_array(text: str, start: int) -> bool:
    before = start - 1
    while before >= 0 and text[before].isspace():
        before -= 1
    if before < 0 or text[before] != "[":
        return False
    try:
        value, _end = _DECODER.raw_decode(text, before)
    except ValueError:
        return False
    return isinstance(value, list)


def _decode(text: str):
    try:
        return _DECODER.decode(text)
    except ValueError:
        return _NOTHING


def _accept(value) -> ParsedJSON:
    if isinstance(value, dict):
        if _too_deep(value):
            raise _TooDeep
        return ParsedJSON(value, True, None)
    if isinstance(value, list):
        return _fail(GOT_ARRAY)
    kind = {type(None): "null", bool: "a boolean", str: "a string"}.get(type(value), "a number")
    return _fail(f"expected a JSON object, got {kind}")


def _too_deep(value) -> bool:
    # Iterative: the value already exists, walking it must not recurse either.
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _fail(error: str) -> ParsedJSON:
    return ParsedJSON(None, False, error)
