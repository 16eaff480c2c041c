from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import db
from ..urls import is_local_path
from . import end_session, queries
from .accounts import Refused, log_in, sign_up
from .forms import LoginForm, SignupForm

bp = Blueprint("auth", __name__)


def _next_url() -> str:
    target = request.args.get("next") or request.form.get("next") or ""
    return target if is_local_path(target) else url_for("reports.dashboard")


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("reports.dashboard"))
    form, status = SignupForm(), 200
    if form.validate_on_submit():
        try:
            sign_up(form.email.data.strip(), form.password.data, request.remote_addr)
        except queries.EmailTaken:
            form.email.errors.append("An account with this email already exists. Log in instead?")
        except Refused as e:
            form.email.errors.append(str(e))
            status = e.status
        else:
            flash("Welcome! Your account is ready.", "success")
            return redirect(_next_url())
    return render_template("auth/signup.html", form=form, next=request.args.get("next", "")), max(
        status, 400 if form.errors else 200
    )


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_next_url())
    form, status = LoginForm(), 200
    if form.validate_on_submit():
        try:
            log_in(form.email.data.strip(), form.password.data, request.remote_addr)
        except Refused as e:
            form.password.errors.append(str(e))
            status = e.status
        else:
            return redirect(_next_url())
    return render_template("auth/login.html", form=form, next=request.args.get("next", "")), max(
        status, 400 if form.errors else 200
    )


@bp.post("/logout")
@login_required
def logout():
    end_session(db.get(), current_user._get_current_object())
    db.commit()
    flash("You have been logged out.", "info")
    return redirect(url_for("auth.login"))
