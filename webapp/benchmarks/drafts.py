"""Applying a POST of the new-benchmark form to the owner's draft: fields, expected JSON, uploads
(images one by one, or a dataset ZIP)."""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.datastructures import FileStorage

from .. import db
from . import limits, queries
from .dataset_zip import DatasetZip, ZipRejected, plan
from .forms import NewBenchmarkForm, new_benchmark_form
from .spec import DraftForm
from .uploads import ImageRejected, check_image, clean_filename


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
    for upload in (f for f in files if isinstance(f, FileStorage) and f.filename):  # a text field is no file
        data = upload.stream.read(10 * 1024 * 1024 + 1)
        try:
            image = check_image(upload.filename, data)
        except ImageRejected as e:
            problems.append(str(e))
            continue
        problem = _add_image(conn, owner_id, image)
        if problem:
            problems.append(problem)
        db.commit()  # the image, or the end of the transaction and its lock
    return problems


def _add_image(conn, owner_id: int, image, expected_text: str = "") -> str | None:
    """The image added to the draft, or why it does not fit (then nothing is added)."""
    full = limits.may_store(conn, owner_id, image.filename, image.data)
    if full:
        return full
    queries.add_draft_image(conn, owner_id, image, expected_text)
    return None


def save_dataset(owner_id: int, upload) -> tuple[int, list[str]]:
    """All images of a ZIP with their expected JSON, in one commit; or, when any file has a
    problem, nothing at all and a message per problem (docs/datasets.md). Every image is
    inserted, even after a problem, so that the limits count them all; the rollback undoes it."""
    if not isinstance(upload, FileStorage) or not upload.filename:
        return 0, ["Choose a ZIP file of images and their expected JSON."]
    try:
        archive = DatasetZip(upload.stream)
    except ZipRejected as e:
        return 0, [f"{clean_filename(upload.filename)}: {e}"]
    found = plan(archive)
    problems = list(found.problems)
    if not found.pairs and not problems:
        problems.append(f"{clean_filename(upload.filename)} holds no images.")
    conn = db.get()
    for pair in found.pairs:
        try:
            image = archive.image(pair)
        except ImageRejected as e:
            problems.append(str(e))
            continue
        problem = _add_image(conn, owner_id, image, pair.expected_text)
        if problem:
            problems.append(problem)
    if problems:
        conn.rollback()
        return 0, problems
    db.commit()
    return len(found.pairs), []
