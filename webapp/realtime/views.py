"""`/benchmarks/<id>/live`: the websocket that streams a report's progress to its owner."""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Blueprint, current_app, request
from flask_login import current_user
from flask_sock import Sock
from simple_websocket import ConnectionClosed

from .. import db
from ..benchmarks import queries
from .frames import send_frame
from .hub import get_or_start_hub

log = logging.getLogger(__name__)

bp = Blueprint("realtime", __name__)
sock = Sock()

POLICY_VIOLATION = 1008
NORMAL_CLOSURE = 1000
WAKE_SECONDS = 1.0  # how often an idle handler checks that its client is still there


def same_origin() -> bool:
    """Cross-site websocket hijacking: a browser always sends Origin; it must be this site."""
    origin = request.headers.get("Origin")
    if not origin:
        return False
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc == request.host


def _allowed(report_id: int) -> bool:
    if not same_origin() or not current_user.is_authenticated:
        return False
    with db.connection() as conn:
        return queries.owned_report(conn, report_id, current_user.id) is not None


def _drain(ws) -> None:
    # Clients have nothing to say here: discard whatever they send so it cannot pile up.
    # (Checked before receiving: a receive that finds nothing still arms a timer.)
    while ws.input_buffer:
        ws.receive(timeout=0)


@sock.route("/benchmarks/<int:report_id>/live", bp=bp)
def live(ws, report_id: int):
    if not _allowed(report_id):
        ws.close(reason=POLICY_VIOLATION, message="Not allowed")
        return
    hub = get_or_start_hub(current_app._get_current_object())
    viewer = hub.subscribe(report_id)
    try:
        while ws.connected:
            snapshot = viewer.next(timeout=WAKE_SECONDS)
            if viewer.closing_code is not None:
                ws.close(reason=viewer.closing_code, message="Server restarting")
                return
            _drain(ws)
            if snapshot is None:
                continue
            send_frame(ws, snapshot.frame)
            if snapshot.final:
                ws.close(reason=NORMAL_CLOSURE, message="Finished")
                return
    except (ConnectionClosed, OSError):
        pass  # the client left
    finally:
        hub.unsubscribe(viewer)
