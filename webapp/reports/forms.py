"""The owner's forms on a finished report: fix an image's expected JSON, switch the comparison.
Both rescore every run from its stored output (rescore.py)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, TextAreaField

from ..benchmarks.expected_json import MAX_EXPECTED_CHARS
from ..domain import COMPARE_MODES
from ..text_input import StorableText


class ExpectedJSONForm(FlaskForm):
    expected = TextAreaField("Expected JSON", validators=[StorableText(MAX_EXPECTED_CHARS)])


class CompareModeForm(FlaskForm):
    mode = RadioField(
        "Comparison", choices=[SelectChoice(k, v) for k, v in COMPARE_MODES.items()], validate_choice=True
    )
