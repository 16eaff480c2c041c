"""Applying a POST of the new-benchmark form to the draft: fields, expected JSON, uploads."""
from __future__ import annotations

from .. import db
from . import queries
from .spec import DraftForm
from .uploads import MAX_IMAGES, ImageRejected, check_image

EXPECTED_PREFIX = "expected-"


def expected_texts(form) -> dict[int, str]:
    texts = {}
    for key, value in form.items():
        if key.startswith(EXPECTED_PREFIX) and key[len(EXPECTED_PREFIX):].isdigit():
            texts[int(key[len(EXPECTED_PREFIX):])] = value[:2_000_000]
    return texts


def save_fields(conn, owner_id: int, form) -> DraftForm:
    draft = DraftForm.from_request(form)
    queries.save_draft_form(conn, owner_id, draft)
    queries.save_expected_texts(conn, owner_id, expected_texts(form))
    return draft


def save_uploads(owner_id: int, files) -> list[str]:
    """Store every acceptable uploaded image in the draft; return a message per refused one.
    Each image is its own commit: one bad file never costs the good ones."""
    problems = []
    uploads = [f for f in files if f and f.filename]
    for upload in uploads:
        data = upload.stream.read(10 * 1024 * 1024 + 1)
        try:
            image = check_image(upload.filename, data)
        except ImageRejected as e:
            problems.append(str(e))
            continue
        conn = db.get()
        if len(queries.draft_images(conn, owner_id)) >= MAX_IMAGES:
            problems.append(f"{image.filename} was not added: a benchmark takes at most {MAX_IMAGES} images.")
            continue
        queries.add_draft_image(conn, owner_id, image)
        db.commit()
    return problems
