"""Pretty-printed JSON as lines, each leaf line knowing its field path, so a template can mark
the fields a model got wrong. Paths are the scorer's (`items[0].price`)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..field_paths import key_path  # the scorer's own path syntax, so the two can never disagree

MAX_DEPTH = 40  # deeper than any real document; beyond it the rest is shown on one line


@dataclass
class Line:
    indent: int
    text: str
    wrong: bool = False


def json_lines(value, wrong_paths: set[str] | frozenset = frozenset()) -> list[Line]:
    lines: list[Line] = []
    _emit(lines, value, "", 0, prefix="", suffix="", wrong_paths=wrong_paths)
    return lines


def _dump(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _emit(lines, value, path, depth, prefix, suffix, wrong_paths) -> None:
    if isinstance(value, dict) and value and depth < MAX_DEPTH:
        lines.append(Line(depth, prefix + "{"))
        items = list(value.items())
        for i, (key, child) in enumerate(items):
            _emit(
                lines,
                child,
                key_path(path, str(key)),
                depth + 1,
                prefix=_dump(str(key)) + ": ",
                suffix="," if i < len(items) - 1 else "",
                wrong_paths=wrong_paths,
            )
        lines.append(Line(depth, "}" + suffix))
    elif isinstance(value, list) and value and depth < MAX_DEPTH:
        lines.append(Line(depth, prefix + "["))
        for i, child in enumerate(value):
            _emit(
                lines,
                child,
                f"{path}[{i}]",
                depth + 1,
                prefix="",
                suffix="," if i < len(value) - 1 else "",
                wrong_paths=wrong_paths,
            )
        lines.append(Line(depth, "]" + suffix))
    else:
        leaf_path = path or "$"
        lines.append(Line(depth, prefix + _dump(value) + suffix, leaf_path in wrong_paths))


def pretty(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)
