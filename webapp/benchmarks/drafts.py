"""Applying a POST of the new-benchmark form to the owner's draft: fields, expected JSON, uploads."""

from __future__ import annotations

from dataclasses import dataclass

from .. import db
from . import limits, queries
from .forms import NewBenchmarkForm, new_benchmark_form
from .spec import DraftForm
from .uploads import ImageRejected, check_image


class UnstorableInput(Exception):
    """A field holds text that cannot be stored: nothing was saved; the form has the messages."""

    def __init__(self, form: NewBenchmarkForm):
        super().__init__("unstorable input")
        self.form = form


@dataclass
class SavedPost:
    form: NewBenchmarkForm
    draft: DraftForm
    images: list[queries.DraftImage]
    problems: list[str]  # one message per refused upload


def save_posted_form(owner_id: int, with_uploads: bool = True) -> SavedPost:
    """Whatever button was pressed, what was typed and the files chosen are kept first. (The
    autosave while typing keeps the typing only: picking files submits the form by itself.)"""
    conn = db.get()
    images = queries.draft_images(conn, owner_id)
    form = new_benchmark_form(images)
    if not form.validate():
        raise UnstorableInput(form)
    draft = form.draft()
    queries.save_draft_form(conn, owner_id, draft)
    queries.save_expected_texts(conn, owner_id, form.expected_texts())
    db.commit()
    problems = save_uploads(owner_id, form.images.data or []) if with_uploads else []
    added = queries.draft_images(conn, owner_id)
    if len(added) != len(images):
        form = new_benchmark_form(added)  # with a field for each new image's expected JSON
    return SavedPost(form, draft, added, problems)


def save_uploads(owner_id: int, files) -> list[str]:
    """Store every acceptable uploaded image in the draft; return a message per refused one.
    Each image is its own commit: one bad file never costs the good ones."""
    problems = []
    conn = db.get()
    for upload in (f for f in files if f and f.filename):
        data = upload.stream.read(10 * 1024 * 1024 + 1)
        try:
            image = check_image(upload.filename, data)
        except ImageRejected as e:
            problems.append(str(e))
            continue
        full = limits.may_store(conn, owner_id, image.filename, image.data)
        if full:
            problems.append(full)
            db.commit()  # ends the transaction and its lock
            continue
        queries.add_draft_image(conn, owner_id, image)
        db.commit()
    return problems
