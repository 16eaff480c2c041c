from decimal import Decimal

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from .. import db
from ..catalog import presets
from ..domain import SIMULATED, expected_tokens, image_response, provider_for_new_benchmarks
from ..reports import queries as report_queries
from . import limits, queries, schema_field
from .dataset_export import write_dataset
from .drafts import UnstorableInput, save_dataset, save_posted_form
from .estimate import estimate_draft
from .forms import new_benchmark_form
from .progress import load_progress
from .samples import PROMPT as SAMPLE_PROMPT
from .samples import sample_receipts
from .spec import validate
from .uploads import clean_filename, max_images

bp = Blueprint("benchmarks", __name__, url_prefix="/benchmarks")


def _catalog():
    return current_app.extensions["catalog"]


def _hard_ceiling() -> Decimal:
    return Decimal(str(current_app.config["BUDGET_CEILING_USD"]))


def _token_history(model_ids: list[str]):
    """Mean tokens per run of these models' earlier runs, on the provider a start runs on now."""
    return queries.tokens_per_run(db.get(), provider_for_new_benchmarks(current_app.config), model_ids)


def _estimate_for(draft, images, history=None):
    provider = provider_for_new_benchmarks(current_app.config)
    return estimate_draft(db.get(), _catalog(), provider, draft, len(images), history)


def _render_new(form, draft, images, status=200, schema=None, **context):
    catalog = _catalog()
    history = _token_history([m.id for m in catalog])  # the picker shows each model's cost per run
    return render_template(
        "benchmarks/new.html",
        form=form,
        images=images,
        catalog=catalog,
        presets=presets(catalog),
        cost_per_run={m.id: m.estimated_cost_per_run(expected_tokens(history, m.id)) for m in catalog},
        estimate=_estimate_for(draft, images, history),
        schema=schema or schema_field.state(draft.output_schema, images),
        hard_ceiling=_hard_ceiling(),
        simulated=provider_for_new_benchmarks(current_app.config) == SIMULATED,
        max_images=max_images(),
        **context,
    ), status


@bp.errorhandler(UnstorableInput)
def unstorable_input(e: UnstorableInput):
    """The posted form again, with its messages; the draft as it was saved before."""
    draft, images = queries.load_draft(db.get(), current_user.id)
    return _render_new(e.form, draft, images, 400)


def _back_to_form(section: str = ""):
    if request.headers.get("HX-Request"):  # an upload sent by htmx, to show its progress
        # No #section: a URL that differs from the page's by its fragment only would not reload it.
        return Response(status=200, headers={"HX-Redirect": url_for("benchmarks.new")})
    return redirect(url_for("benchmarks.new") + (f"#{section}" if section else ""), 303)


@bp.get("/new")
@login_required
def new():
    draft, images = queries.load_draft(db.get(), current_user.id)
    schema = schema_field.state(draft.output_schema, images)  # every expected JSON parsed once
    return _render_new(new_benchmark_form(images, draft, schema), draft, images, schema=schema)


# Every button of the form posts the whole form to its own route (formaction): what was typed is
# saved first, then the button does its one thing.


def _saved():
    """The posted form saved to the draft, each refused upload flashed."""
    saved = save_posted_form(current_user.id)
    for problem in saved.problems:
        flash(problem, "error")
    return saved


@bp.post("/new")
@login_required
def save_draft():
    _saved()
    return _back_to_form()


@bp.post("/new/images")
@login_required
def add_images():
    _saved()
    return _back_to_form("images")


@bp.post("/new/dataset")
@login_required
def add_dataset():
    """A ZIP of images with their expected JSON: all of it is added, or nothing and every problem."""
    saved = _saved()
    upload = saved.form.dataset.data
    added, problems = save_dataset(current_user.id, upload)
    if problems:
        # Shown on the page, not flashed: a hundred messages would not fit in the session cookie.
        name = clean_filename(getattr(upload, "filename", None) or "the ZIP")
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        saved.form.dataset.errors = [f"Nothing from {name} was added: fix the {count} below and upload it again."]
        draft, images = queries.load_draft(db.get(), current_user.id)
        return _render_new(saved.form, draft, images, 400, dataset_problems=problems)
    flash(f"Added {added} image{'s' if added > 1 else ''} with their expected JSON.", "success")
    return _back_to_form("images")


@bp.get("/new/dataset.zip")
@login_required
def download_draft_dataset():
    files = queries.dataset_files(db.get(), current_user.id)
    return send_file(write_dataset(files), "application/zip", as_attachment=True, download_name="dataset.zip")


@bp.post("/new/images/<int:image_id>/remove")
@login_required
def remove_image(image_id: int):
    _saved()
    conn = db.get()
    queries.lock_owner(conn, current_user.id, "start")  # never under a start that is copying the draft
    queries.remove_draft_image(conn, current_user.id, image_id)
    db.commit()
    return _back_to_form("images")


@bp.post("/new/presets/<key>")
@login_required
def apply_preset(key: str):
    chosen = next((p for p in presets(_catalog()) if p.key == key), None)
    if chosen is None:
        abort(404)
    draft = _saved().draft
    draft.models = list(chosen.model_ids)
    queries.save_draft_form(db.get(), current_user.id, draft)
    db.commit()
    return _back_to_form("models")


@bp.post("/new/start")
@login_required
def start():
    saved = _saved()
    draft, images = saved.draft, saved.images
    estimated = _estimate_for(draft, images).total
    spec, errors = validate(draft, images, _catalog(), _hard_ceiling(), estimated)
    if spec is None:
        saved.form.attach_errors(errors)
        return _render_new(saved.form, draft, images, 400)
    conn = db.get()
    refusal = limits.may_start(conn, current_user.id)  # from here on, the user's other starts wait
    if refusal:
        db.commit()
        saved.form.form_errors.append(refusal)
        return _render_new(saved.form, draft, images, 429)
    if {i.id for i in queries.draft_images(conn, current_user.id)} != set(spec.expected):
        db.commit()  # the draft was started meanwhile: a second click, or another tab
        flash("That benchmark was already started.", "info")
        return redirect(url_for("reports.dashboard"), 303)
    provider = provider_for_new_benchmarks(current_app.config)
    modes = _catalog().output_modes(spec.model_ids, spec.output_mode_choice)
    report_id = queries.create_report(
        conn, current_user.id, spec, provider, provider == SIMULATED, modes, estimated_cost=estimated
    )
    queries.record_start(conn, current_user.id)
    db.commit()
    return redirect(url_for("benchmarks.processing", report_id=report_id), 303)


@bp.post("/new/draft")
@login_required
def autosave():
    """htmx: keeps the draft as the user types, and answers with the updated estimate."""
    saved = save_posted_form(current_user.id, with_uploads=False)
    return render_template("benchmarks/_estimate.html", estimate=_estimate_for(saved.draft, saved.images))


@bp.post("/new/sample")
@login_required
def use_samples():
    conn = db.get()
    queries.lock_owner(conn, current_user.id, "start")  # never under a start that is copying the draft
    form, images = queries.load_draft(conn, current_user.id)
    for image in images:
        queries.remove_draft_image(conn, current_user.id, image.id)
    for sample, expected_text in sample_receipts():
        queries.add_draft_image(conn, current_user.id, sample, expected_text)
    form.prompt = SAMPLE_PROMPT
    if not form.models:
        form.models = list(presets(_catalog())[0].model_ids)
    queries.save_draft_form(conn, current_user.id, form)
    queries.forget_rerun(conn, current_user.id)
    db.commit()
    flash("Three sample receipts with their expected JSON are ready. Pick models and start.", "success")
    return redirect(url_for("benchmarks.new"), 303)


@bp.get("/new/images/<int:image_id>")
@login_required
def draft_image(image_id: int):
    image = queries.draft_image_data(db.get(), current_user.id, image_id)
    if image is None:
        abort(404)
    return image_response(image)


def _owned_or_redirect(report_id: int):
    """The owner's report, or None: another user's report and a missing one look the same."""
    return queries.owned_report(db.get(), report_id, current_user.id)


def _not_found_redirect():
    flash("That benchmark does not exist, or it is not yours.", "error")
    return redirect(url_for("reports.dashboard"))


@bp.get("/<int:report_id>/processing")
@login_required
def processing(report_id: int):
    if _owned_or_redirect(report_id) is None:
        return _not_found_redirect()
    p = load_progress(db.get(), report_id, _catalog())
    if p is None:  # deleted meanwhile
        return _not_found_redirect()
    if p.status.is_complete:
        return redirect(url_for("reports.show", token=p.share_token))
    response = make_response(render_template("benchmarks/processing.html", p=p))
    # Never shown from a cache (back/forward included): the page is the state at one moment.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:report_id>/progress")
@login_required
def progress_fragment(report_id: int):
    if _owned_or_redirect(report_id) is None:
        abort(404)
    p = load_progress(db.get(), report_id, _catalog())
    return render_template("benchmarks/_progress.html", p=p)


@bp.get("/<int:report_id>/done")
@login_required
def done(report_id: int):
    report = _owned_or_redirect(report_id)
    if report is None:
        abort(404)
    target = (
        url_for("reports.show", token=report.share_token)
        if report.status.is_complete
        else url_for("benchmarks.processing", report_id=report_id)
    )
    if request.headers.get("HX-Request"):
        return Response(status=200, headers={"HX-Redirect": target})
    return redirect(target, 303)


@bp.post("/<int:report_id>/cancel")
@login_required
def cancel(report_id: int):
    cancelled = queries.cancel_report(db.get(), report_id, current_user.id)
    db.commit()
    if not cancelled and _owned_or_redirect(report_id) is None:
        return _not_found_redirect()
    flash("The benchmark was cancelled." if cancelled else "The benchmark had already finished.", "info")
    return redirect(url_for("benchmarks.processing", report_id=report_id), 303)


@bp.get("/<int:report_id>/images/<int:image_id>")
@login_required
def report_image(report_id: int, image_id: int):
    if _owned_or_redirect(report_id) is None:
        abort(404)
    image = report_queries.image_data(db.get(), report_id, image_id)
    if image is None:
        abort(404)
    return image_response(image)
