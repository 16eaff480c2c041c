"""The new-benchmark form's "Output schema": inferred from the images' expected JSON until the
user edits it. The draft keeps an empty text while the schema is the inferred one, so that it
follows the images as they change; the page shows the inferred schema in that case."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .. import output_schema
from .expected_json import ExpectedJSONError, load_storable_json, parse_expected

SCHEMA_MAX = 200_000  # characters of a typed output schema


def inferred(expected_texts: Iterable[str]) -> dict | None:
    """The schema of the expected JSON that parses (None when none does yet)."""
    values = []
    for text in expected_texts:
        try:
            values.append(parse_expected(text))
        except ExpectedJSONError:
            continue
    return output_schema.infer(values) if values else None


def kept_text(posted: str, shown: str) -> str:
    """What the draft keeps of the posted schema: "" while it is still the one the page showed
    (inferred), so that it goes on following the images; the user's text once edited."""
    if not posted.strip():
        return ""
    try:
        unchanged = output_schema.same(posted, output_schema.parse(shown))
    except output_schema.OutputSchemaError:
        unchanged = False
    return "" if unchanged else posted


@dataclass
class SchemaState:
    """What the page shows in the "Output schema" section."""

    text: str  # the textarea's content
    is_inferred: bool
    schema: dict | None  # None: no schema yet (no expected JSON), or the typed one is invalid
    error: str | None = None
    warnings: list[str] = field(default_factory=list)  # images whose expected JSON does not fit


def state(typed: str, images) -> SchemaState:
    if not typed.strip():
        schema = inferred(i.expected_text for i in images)
        text = output_schema.to_text(schema) if schema else ""
        return SchemaState(text, True, schema)
    try:
        loaded = load_storable_json(typed, "The output schema", "The output schema is not valid JSON", SCHEMA_MAX, 64)
        schema = output_schema.check(loaded)
    except (ExpectedJSONError, output_schema.OutputSchemaError) as e:
        return SchemaState(typed, False, None, str(e))
    warnings = []
    for image in images:
        try:
            expected = parse_expected(image.expected_text)
        except ExpectedJSONError:
            continue  # its own field says what is wrong
        for problem in output_schema.mismatches(schema, expected):
            warnings.append(f"{image.filename}: {problem}")
    return SchemaState(typed, False, schema, None, warnings)
