"""The one rule for text that comes in from a form or a URL: only what PostgreSQL and UTF-8 can
hold (no NUL character, no unpaired surrogate), and never longer than a field's hard limit.
Every form's text fields use `StorableText`; parsed JSON is checked with `problem_in_json`.

The limits here stop abuse; the friendlier limits of each field (a prompt of at most 4,000
characters...) are checked where the field is used, with their own messages.
"""

from __future__ import annotations

from typing import Any

from wtforms.validators import StopValidation


def problem(text: str) -> str | None:
    """Why `text` cannot be stored, or None."""
    if "\x00" in text:
        return "contains a NUL character, which cannot be stored"
    if any("\ud800" <= c <= "\udfff" for c in text):
        return "contains a broken character (an unpaired surrogate), which cannot be stored"
    return None


def problem_in_json(value: Any) -> str | None:
    """The first string (key or value) of a parsed JSON document that cannot be stored."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            found = problem(node)
            if found:
                return found
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return None


class StorableText:
    """A WTForms validator: each value of the field (one, or a list) obeys the rule, and the
    field holds at most `max_length` characters (`max_items` values for a list)."""

    def __init__(self, max_length: int, max_items: int = 100):
        self.max_length = max_length
        self.max_items = max_items

    def __call__(self, form: Any, field: Any) -> None:
        values = field.data if isinstance(field.data, list) else [field.data]
        if len(values) > self.max_items:
            raise StopValidation(f"{field.label.text}: at most {self.max_items} choices can be sent.")
        for value in values:
            if not isinstance(value, str):
                continue
            found = problem(value)
            if found:
                raise StopValidation(f"{field.label.text} {found}. Remove it and try again.")
            if len(value) > self.max_length:
                raise StopValidation(
                    f"{field.label.text} is {len(value):,} characters long; at most {self.max_length:,} are allowed."
                )
