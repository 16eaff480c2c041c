"""Readable names of the fields of a JSON document, shared by scoring, its rules and the report.

A path names a leaf the way one would write it in code: `address.city`, `items[0].price`;
a key that is not an identifier is quoted (`["odd key"]`) so paths stay unambiguous. Folding
drops array positions (`items[].price`) so one name stands for that field of every item.
"""

from __future__ import annotations

import json
import re

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_INDEX = re.compile(r"\[\d+\]")


def key_path(parent: str, key: str) -> str:
    # Quoting odd keys keeps paths unambiguous: {"a.b": 1} is `["a.b"]`, not `a.b`.
    if _IDENTIFIER.match(key):
        return f"{parent}.{key}" if parent else key
    return f"{parent}[{json.dumps(key, ensure_ascii=False)}]"


def fold(path: str) -> str:
    """`items[2].price` -> `items[].price`: one name for a field of every item."""
    return _INDEX.sub("[]", path)
