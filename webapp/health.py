from flask import Blueprint, jsonify

from . import db
from .realtime import hub as realtime_hub

bp = Blueprint("health", __name__)
HEALTH_TIMEOUT_SECONDS = 2.0  # a load balancer's probe wants an answer, not a wait


@bp.get("/healthz")
def healthz():
    """Database reachability, plus this process's live-update counters (no user data)."""
    hub = realtime_hub._hub
    live = {"hub_viewers": hub.viewer_count(), "hub_renders": hub.renders} if hub else {}
    try:
        with db.connection(timeout=HEALTH_TIMEOUT_SECONDS) as conn:
            conn.execute("SELECT 1")
    except db.DatabaseUnavailable:
        return jsonify(status="unavailable", database="down", **live), 503
    return jsonify(status="ok", database="up", **live)
