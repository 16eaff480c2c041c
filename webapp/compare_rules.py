"""Per-field comparison rules, read from a benchmark's output schema.

A property's schema can say how its values are compared (webapp/scoring.py applies it):

    "total":  {"type": "number", "x-compare": {"tolerance": 0.01}}            within 0.01
    "rate":   {"type": "number", "x-compare": {"relative_tolerance": 0.005}}  within 0.5% of expected
    "date":   {"type": "string", "format": "date"}                            the same day, any format
    "vendor": {"type": "string", "x-compare": {"case_insensitive": true}}
    "items":  {"type": "array", "x-compare": {"unordered": true}, "items": {...}}  any order

`x-compare` is a vendor keyword: JSON Schema validators ignore it, and it is taken out of the
schema before a model sees it (webapp/output_schema.for_models). Rules are found under
`properties`, `items`, `prefixItems` and `anyOf`/`oneOf`/`allOf`; `$ref` is not followed.

Dates (`format: "date"`): year first (2024-03-01, 2024/3/1, 2024.03.01); day, month and year
with / . or - (01/03/2024), read day first as in most of the world unless the rule says
`"month_first": true`, and the other way when only that reading is a real date (03/15/2024);
or an English month name, full or short, before or after the day ("March 1, 2024",
"1 Mar 2024", "1st March 2024", "01-Mar-2024"). Years have four digits. Two dates are equal
when they name the same day; a value that is not such a date is compared as text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .field_paths import fold, key_path

KEYWORD = "x-compare"
_FLAGS = ("case_insensitive", "unordered", "month_first")
_AMOUNTS = ("tolerance", "relative_tolerance")
_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf")


@dataclass(frozen=True)
class FieldRule:
    tolerance: Decimal | None = None  # absolute: |actual - expected| <= tolerance
    relative_tolerance: Decimal | None = None  # |actual - expected| <= this x |expected|
    date: bool = False
    month_first: bool = False  # how 01/03/2024 is read under `date`
    case_insensitive: bool = False
    unordered: bool = False  # an array whose items may come in any order

    def describe(self, path: str) -> str:
        parts = []
        within = [str(self.tolerance)] if self.tolerance is not None else []
        if self.relative_tolerance is not None:
            within.append(f"{self.relative_tolerance * 100:f}".rstrip("0").rstrip(".") + "%")
        if within:
            parts.append("within " + " or ".join(within))
        if self.date:
            parts.append("as a date" + (" (month first)" if self.month_first else ""))
        if self.case_insensitive:
            parts.append("in any case")
        if self.unordered:
            parts.append("in any order")
        return f"{path} {', '.join(parts)}"


@dataclass(frozen=True)
class Rules:
    """Rules by folded field path (`items[].price`). Empty: plain strict or relaxed scoring."""

    fields: Mapping[str, FieldRule] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.fields)

    def at(self, path: str) -> FieldRule | None:
        return self.fields.get(fold(path))

    def leads_to_unordered(self, path: str) -> bool:
        """Is there an order-free array at this path or below it?"""
        folded = fold(path)
        return any(rule.unordered and name.startswith(folded) for name, rule in self.fields.items())

    def describe(self) -> list[str]:
        """One phrase per field, in schema order: "total within 0.01", "items in any order"."""
        return [rule.describe(path) for path, rule in self.fields.items()]


NO_RULES = Rules()


def from_schema(schema: object) -> Rules:
    """The rules an output schema carries (none for no schema). Assumes a checked schema:
    values `problems` would reject are ignored."""
    settings: dict[str, dict] = {}
    for path, node in _subschemas(schema):
        found = _settings(node)
        if found and path:
            settings.setdefault(path, {}).update(found)
    return Rules({path: FieldRule(**values) for path, values in settings.items()})


def problems(schema: object) -> list[str]:
    """What is wrong with the schema's comparison rules, one message each."""
    messages = []
    for path, node in _subschemas(schema):
        where = path or "the whole object"
        options = node.get(KEYWORD)
        if options is None:
            continue
        if not isinstance(options, dict):
            messages.append(f'{where}: "{KEYWORD}" must be an object such as {{"tolerance": 0.01}}.')
            continue
        for name, value in options.items():
            if name in _AMOUNTS:
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
                    messages.append(f'{where}: "{name}" must be a number, 0 or more.')
            elif name in _FLAGS:
                if not isinstance(value, bool):
                    messages.append(f'{where}: "{name}" must be true or false.')
            else:
                known = ", ".join(_AMOUNTS + _FLAGS)
                messages.append(f'{where}: "{KEYWORD}" has no rule "{name}" (rules: {known}).')
        if options.get("unordered") is True and "array" not in _types(node):
            messages.append(f'{where}: "unordered" applies to arrays; give it "type": "array".')
    return messages


def _subschemas(schema: object):
    """(folded path, schema node) for every node that describes a field, in document order."""
    stack = [("", schema)]
    while stack:
        path, node = stack.pop()
        if not isinstance(node, dict):
            continue
        yield path, node
        children = []
        properties = node.get("properties")
        if isinstance(properties, dict):
            children += [(fold(key_path(path, str(name))), sub) for name, sub in properties.items()]
        items = node.get("items")
        children += [(f"{path}[]", items)]
        prefix_items = node.get("prefixItems")
        if isinstance(prefix_items, list):
            children += [(f"{path}[]", sub) for sub in prefix_items]
        for keyword in _SUBSCHEMA_LISTS:
            branches = node.get(keyword)
            if isinstance(branches, list):
                children += [(path, sub) for sub in branches]
        stack.extend(reversed(children))


def _settings(node: dict) -> dict:
    found: dict = {}
    options = node.get(KEYWORD)
    if isinstance(options, dict):
        for name in _AMOUNTS:
            value = options.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
                found[name] = Decimal(repr(value))
        found.update({name: True for name in _FLAGS if options.get(name) is True})
    if node.get("format") == "date":
        found["date"] = True
    return found


def _types(node: dict) -> list:
    kind = node.get("type")
    return kind if isinstance(kind, list) else [kind]


# Dates --------------------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
# ASCII digits only: \d would also read other scripts' digits, which no one means here.
_YEAR_FIRST = re.compile(r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})")
_YEAR_LAST = re.compile(r"([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4})")
_DAY = re.compile(r"([0-9]{1,2})(?:st|nd|rd|th)?")
_YEAR = re.compile(r"[0-9]{4}")
_WORD = re.compile(r"[^\s,.\-/]+")


def parse_date(text: str, month_first: bool = False) -> date | None:
    """The day a date written in one of the accepted formats names (module docstring), or None."""
    text = text.strip()
    if match := _YEAR_FIRST.fullmatch(text):
        year, month, day = map(int, match.groups())
        return _date(year, month, day)
    if match := _YEAR_LAST.fullmatch(text):
        first, second, year = map(int, match.groups())
        day, month = (second, first) if month_first else (first, second)
        return _date(year, month, day) or _date(year, day, month)
    return _named(text.lower())


def _named(text: str) -> date | None:
    words = _WORD.findall(text)
    if len(words) != 3:
        return None
    if words[0] in _MONTHS:
        month, day, year = words
    else:
        day, month, year = words
    day_match = _DAY.fullmatch(day)
    if month not in _MONTHS or not day_match or not _YEAR.fullmatch(year):
        return None
    return _date(int(year), _MONTHS[month], int(day_match.group(1)))


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
