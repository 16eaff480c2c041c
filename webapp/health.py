from flask import Blueprint, current_app, jsonify

from . import db
from .engine import status as worker_status

bp = Blueprint("health", __name__)
HEALTH_TIMEOUT_SECONDS = 2.0  # a load balancer's probe wants an answer, not a wait


@bp.get("/healthz")
def healthz():
    """Database reachability, plus this process's live updates (no user data). The listener
    starts with the first viewer; once started, a listener that is not connected makes the
    process unhealthy: its live pages would freeze. The job workers are counted from their
    heartbeats, for the operator: they never make this web process unhealthy."""
    live = current_app.extensions["realtime"].status() or {}
    try:
        workers = worker_status.workers_summary(db.get(timeout=HEALTH_TIMEOUT_SECONDS))
    except db.DatabaseUnavailable:
        return jsonify(status="unavailable", database="down", **live), 503
    if live.get("listener") == "down":
        return jsonify(status="unavailable", database="up", workers=workers, **live), 503
    return jsonify(status="ok", database="up", workers=workers, **live)
