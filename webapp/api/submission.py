"""A benchmark posted to the API as multipart: the fields of the new-benchmark form, the images
as `images` files, and each image's expected JSON as an `expected` file of the same name ending
in `.json` (receipt-1.png and receipt-1.json), the layout `visionbench run` uploads a folder in.

Every rule is the form's: the same form class checks the text is storable, `check_image` checks
each image, and `spec.validate` (called by the view) decides the rest."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath

from flask import request

from ..benchmarks.forms import NewBenchmarkForm
from ..benchmarks.spec import DraftForm
from ..benchmarks.uploads import MAX_IMAGE_BYTES, CheckedImage, ImageRejected, check_image, clean_filename

# The form's fields that the API takes as they are; any not sent takes the form's default.
SETTINGS = ("title", "compare_mode", "samples", "priorities", "budget", "output_schema", "output_mode_choice")


@dataclass
class PostedImage:
    """What the rules read of an image (as of a draft image), and the checked image itself."""

    id: int
    filename: str
    expected_text: str
    checked: CheckedImage


@dataclass
class Submission:
    draft: DraftForm
    images: list[PostedImage]
    problems: list[tuple[str | None, str]] = field(default_factory=list)  # (field, message)


def expected_field(filename: str) -> str:
    return f"expected[{filename}]"


def read_submission() -> Submission:
    form = NewBenchmarkForm(meta={"csrf": False})
    if not form.validate():  # only the text rule: what cannot be stored goes no further
        problems = [(name, messages[0]) for name, messages in form.errors.items()]
        return Submission(DraftForm(), [], problems)
    submission = Submission(_draft(form), [])
    _read_images(submission)
    return submission


def _draft(form: NewBenchmarkForm) -> DraftForm:
    typed = form.draft()
    defaults = DraftForm(prompt="")  # the prompt has no default here: a CI job names its own
    draft = DraftForm(
        prompt=typed.prompt,
        # Repeated fields or comma-separated, as is handier in a shell.
        models=[m.strip() for value in typed.models for m in value.split(",") if m.strip()],
    )
    for name in SETTINGS:
        setattr(draft, name, getattr(typed if name in request.form else defaults, name))
    return draft


def _read_images(submission: Submission) -> None:
    problems = submission.problems
    images: dict[str, CheckedImage] = {}
    for upload in request.files.getlist("images"):
        try:
            image = check_image(upload.filename, upload.stream.read(MAX_IMAGE_BYTES + 1))
        except ImageRejected as e:
            problems.append(("images", str(e)))
            continue
        stem = PurePath(image.filename).stem
        if stem in images:
            problems.append(("images", f"Two images are named {stem}; give each image its own name."))
            continue
        images[stem] = image
    expected: dict[str, str] = {}
    for upload in request.files.getlist("expected"):
        name = clean_filename(upload.filename)
        stem = PurePath(name).stem
        if stem not in images:
            problems.append((expected_field(name), f"{name} has no image of the same name."))
            continue
        try:
            expected[stem] = upload.stream.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            problems.append((expected_field(images[stem].filename), f"{name} is not UTF-8 text."))
    submission.images = [
        PostedImage(n, image.filename, expected.get(stem, ""), image)
        for n, (stem, image) in enumerate(images.items(), start=1)
    ]
