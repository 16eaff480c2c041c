"""The new-benchmark form on Flask-WTF, like the auth forms: fields kept as typed, rendered by
the one field macro, errors shown on their fields and in the one error summary.

The rules that decide whether a benchmark may start are the domain's (`spec.validate`, which
needs the catalog, the images and the budget): `attach_errors` puts its messages on the fields
they concern. One expected-JSON field per draft image is added per request, WTForms' way of
composing a form whose fields depend on data.
"""

from __future__ import annotations

from dataclasses import asdict

from flask_wtf import FlaskForm
from wtforms import (
    FileField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)

from ..domain import COMPARE_MODES, DEFAULT_PRIORITY_ORDER, OUTPUT_MODE_CHOICES, PRIORITY_ORDERS, STRICT, STRONGEST
from ..text_input import StorableText
from . import schema_field
from .schema_field import SCHEMA_MAX
from .spec import PROMPT_MAX, TITLE_MAX, DraftForm

EXPECTED_PREFIX = "expected-"
EXPECTED_MAX = 2_000_000  # characters kept of one expected JSON; the parser refuses far less


class NewBenchmarkForm(FlaskForm):
    # Only the text rule is checked on every post: the draft keeps anything storable as typed.
    title = StringField("Name", validators=[StorableText(TITLE_MAX * 2)])
    prompt = TextAreaField("Extraction prompt", validators=[StorableText(PROMPT_MAX * 2)])
    compare_mode = RadioField(
        "Comparison",
        choices=[SelectChoice(k, v) for k, v in COMPARE_MODES.items()],
        default=STRICT,
        validate_choice=False,
        validators=[StorableText(20)],
    )
    samples = StringField("Samples per image", validators=[StorableText(20)])
    priorities = SelectField(
        "What matters most",
        choices=[SelectChoice(k, v) for k, v in PRIORITY_ORDERS.items()],
        default=DEFAULT_PRIORITY_ORDER,
        validate_choice=False,
        validators=[StorableText(40)],
    )
    budget = StringField("Budget ceiling (USD)", validators=[StorableText(20)])
    models = SelectMultipleField(
        "Models",
        choices=[],
        validate_choice=False,  # drawn by tier in the page
        validators=[StorableText(200, max_items=100)],
    )
    images = MultipleFileField("Images")
    dataset = FileField("Dataset (ZIP)")
    output_schema = TextAreaField("JSON Schema", validators=[StorableText(SCHEMA_MAX)])
    schema_shown = HiddenField(validators=[StorableText(SCHEMA_MAX)])  # the inferred schema the page showed
    output_mode_choice = RadioField(
        "How each model is asked for it",
        choices=[SelectChoice(k, v) for k, v in OUTPUT_MODE_CHOICES.items()],
        default=STRONGEST,
        validate_choice=False,
        validators=[StorableText(20)],
    )

    def draft(self) -> DraftForm:
        """What was entered, as the draft keeps it: strings as typed (validated: storable, and
        within the text rule's limits)."""
        return DraftForm(
            title=self.title.data or "",
            prompt=self.prompt.data or "",
            compare_mode=self.compare_mode.data or STRICT,
            samples=self.samples.data or "",
            priorities=self.priorities.data or "",
            budget=self.budget.data or "",
            models=list(self.models.data or []),
            output_schema=schema_field.kept_text(self.output_schema.data or "", self.schema_shown.data or ""),
            output_mode_choice=self.output_mode_choice.data or STRONGEST,
        )

    def expected_texts(self) -> dict[int, str]:
        """Draft image id -> the expected JSON typed for it."""
        return {int(f.name[len(EXPECTED_PREFIX) :]): f.data or "" for f in self if f.name.startswith(EXPECTED_PREFIX)}

    def expected_field(self, image_id: int):
        return self[f"{EXPECTED_PREFIX}{image_id}"]

    def attach_errors(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            self[name].errors = [message]


def new_benchmark_form(
    images, draft: DraftForm | None = None, schema: schema_field.SchemaState | None = None
) -> NewBenchmarkForm:
    """The form for these draft images: bound to the request's data when it was posted,
    else filled from the saved draft (`schema`: its output schema's state, when known)."""

    class Form(NewBenchmarkForm):
        pass

    for image in images:
        setattr(
            Form,
            f"{EXPECTED_PREFIX}{image.id}",
            TextAreaField(f"Expected JSON for {image.filename}", validators=[StorableText(EXPECTED_MAX)]),
        )
    data = None
    if draft is not None:
        data = {**asdict(draft), **{f"{EXPECTED_PREFIX}{i.id}": i.expected_text for i in images}}
        schema = schema or schema_field.state(draft.output_schema, images)
        data["output_schema"] = schema.text
        data["schema_shown"] = schema.text if schema.is_inferred else ""
    return Form(data=data)
