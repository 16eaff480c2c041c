"""The account page: personal API tokens, created (shown once), listed and revoked."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from .. import db
from . import api_tokens, queries
from .forms import ApiTokenForm

bp = Blueprint("account", __name__, url_prefix="/account")


def _page(form: ApiTokenForm, new_token: str | None = None, status: int = 200):
    tokens = queries.api_tokens(db.get(), current_user.id)
    response = render_template("auth/account.html", form=form, tokens=tokens, new_token=new_token)
    # The new token is in this page only: never kept by a cache, nor shown again by "back".
    return response, status, {"Cache-Control": "no-store"}


@bp.get("")
@login_required
def show():
    return _page(ApiTokenForm())


@bp.post("/tokens")
@login_required
def create_token():
    form = ApiTokenForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    token = api_tokens.create(db.get(), current_user.id, form.name.data)
    db.commit()
    return _page(ApiTokenForm(formdata=None), new_token=token, status=201)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    if not queries.delete_api_token(db.get(), current_user.id, token_id):
        abort(404)  # someone else's token and a missing one look the same
    db.commit()
    flash("The token was revoked. Anything using it is refused from now on.", "success")
    return redirect(url_for("account.show"), 303)
