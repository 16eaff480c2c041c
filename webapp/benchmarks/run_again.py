""" "Run again": the new-benchmark draft filled from a report (its images, expected JSON, prompt
and settings), to change the models or the prompt before starting. The images are not copied:
the draft points at the same stored bytes as the report (migration 0012)."""

from __future__ import annotations

from .. import output_schema
from ..domain import OUTPUT_MODE_CHOICES, STRONGEST
from . import queries
from .spec import DEFAULT_PROMPT, TITLE_MAX, DraftForm

AGAIN = " (again)"


def draft_from_report(report, images, catalog) -> tuple[DraftForm, list[str]]:
    """The draft, and the report's models that the catalog no longer has (left out)."""
    expected = [i.expected for i in images]
    schema = report.output_schema
    # Kept empty while it is the inferred one, as the form does: it then follows edits of the JSON.
    follows_images = schema is None or (expected and schema == output_schema.infer(expected))
    gone = [m for m in report.model_ids if m not in catalog]
    title = report.title[: TITLE_MAX - len(AGAIN)] + AGAIN
    return DraftForm(
        title=title,
        prompt=report.prompt,
        compare_mode=report.compare_mode,
        samples=str(report.samples_per_image),
        priorities="-".join(report.priorities),
        budget=f"{report.budget_usd:.2f}",
        models=[m for m in report.model_ids if m not in gone],
        output_schema="" if follows_images else output_schema.to_text(schema),
        output_mode_choice=report.output_mode_choice if report.output_mode_choice in OUTPUT_MODE_CHOICES else STRONGEST,
    ), gone


def draft_in_progress(form: DraftForm, images) -> bool:
    """Would replacing the draft lose work: images, models or text the user chose?"""
    return bool(images or form.models or form.title.strip() or form.prompt.strip() not in ("", DEFAULT_PROMPT))


def replace_draft(conn, owner_id: int, report_id: int, form: DraftForm) -> None:
    """The owner's draft becomes the report's setup, pointing at the report's stored images."""
    queries.lock_owner(conn, owner_id, "start")  # never under a start that is copying the draft
    queries.fill_draft_from_report(conn, owner_id, report_id, form)
