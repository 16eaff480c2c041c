from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import db
from ..urls import is_local_path
from . import end_session, queries, start_session, throttle
from .forms import LoginForm, SignupForm
from .passwords import hash_password, needs_rehash, verify_password

bp = Blueprint("auth", __name__)


def _next_url() -> str:
    target = request.args.get("next") or request.form.get("next")
    return target if is_local_path(target) else url_for("reports.dashboard")


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("reports.dashboard"))
    form = SignupForm()
    if form.validate_on_submit():
        email = form.email.data.strip()
        try:
            conn = db.get()
            user = queries.create_user(conn, email, hash_password(form.password.data))
            start_session(conn, user)
            db.commit()
        except queries.EmailTaken:
            form.email.errors.append("An account with this email already exists. Log in instead?")
        else:
            flash("Welcome! Your account is ready.", "success")
            return redirect(_next_url())
    return render_template("auth/signup.html", form=form, next=request.args.get("next", "")), \
        400 if form.errors else 200


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_next_url())
    form = LoginForm()
    if form.validate_on_submit():
        email, address = form.email.data.strip(), request.remote_addr
        conn = db.get()
        if throttle.is_blocked(conn, email, address, current_app.config["LOGIN_MAX_FAILURES"]):
            form.password.errors.append(
                "Too many failed attempts. Wait 15 minutes before trying again.")
        else:
            user = queries.find_user_by_email(conn, email)
            if verify_password(user.password_hash if user else None, form.password.data):
                throttle.clear(conn, email)
                if needs_rehash(user.password_hash):
                    queries.update_password_hash(conn, user.id, hash_password(form.password.data))
                start_session(conn, user)
                db.commit()
                return redirect(_next_url())
            throttle.record_failure(conn, email, address)
            db.commit()
            form.password.errors.append("That email and password do not match an account.")
    return render_template("auth/login.html", form=form, next=request.args.get("next", "")), \
        400 if form.errors else 200


@bp.post("/logout")
@login_required
def logout():
    end_session(db.get(), current_user._get_current_object())
    db.commit()
    flash("You have been logged out.", "info")
    return redirect(url_for("auth.login"))
