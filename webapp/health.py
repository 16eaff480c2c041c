from flask import Blueprint, jsonify

from . import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        with db.connection() as conn:
            conn.execute("SELECT 1")
    except db.DatabaseUnavailable:
        return jsonify(status="unavailable", database="down"), 503
    return jsonify(status="ok", database="up")
