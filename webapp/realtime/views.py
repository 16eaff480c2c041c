"""`/benchmarks/<id>/live`: the websocket that streams a report's progress to its owner."""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

from flask import Blueprint, current_app, request
from flask_sock import Sock
from simple_websocket import ConnectionClosed
from wsproto.utilities import LocalProtocolError

from .. import db
from ..auth import session_token_hash
from ..benchmarks import queries
from ..db import run_statement
from .frames import PING_FRAME
from .viewer_socket import LINGER_SECONDS, SendTimeout, adopt

log = logging.getLogger(__name__)

bp = Blueprint("realtime", __name__)
sock = Sock()

# Close codes, and what the page does with each (static/live.js): 1000 the report is finished;
# 1008 this viewer may not watch (the page reloads, and lands on login or the report); anything
# else while the report runs is retried after a short delay.
NORMAL_CLOSURE = 1000
POLICY_VIOLATION = 1008
INTERNAL_ERROR = 1011
TRY_AGAIN_LATER = 1013
READER_GRACE_SECONDS = LINGER_SECONDS + 1.0  # the reader's drain, and a margin


def same_origin() -> bool:
    """Cross-site websocket hijacking: a browser always sends Origin; it must be this site."""
    origin = request.headers.get("Origin")
    if not origin:
        return False
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc == request.host


def _viewer(live_updates, report_id: int) -> int | None:
    """The user who may watch this report over this socket (same site, logged in, their own
    report), or None. One statement, on the live path's own pool: after a deploy every viewer
    reconnects at once, and the socket keeps no connection while it streams."""
    token_hash = session_token_hash()
    if not same_origin() or token_hash is None:
        return None
    return run_statement(live_updates.pool, lambda conn: queries.live_viewer_owner(conn, report_id, token_hash))


@sock.route("/benchmarks/<int:report_id>/live", bp=bp)
def live(ws, report_id: int):
    # The handshake is done: from here on every answer is a close code, never an HTTP page,
    # so nothing may escape this function.
    config = current_app.config
    writer = adopt(ws, config["LIVE_SEND_TIMEOUT"])
    try:
        live_updates = current_app.extensions["realtime"]
        user_id = _viewer(live_updates, report_id)
        if user_id is None:
            ws.close(reason=POLICY_VIOLATION, message="Not allowed")
            return
        with live_updates.socket_slot(user_id, config["LIVE_SOCKETS_PER_USER"]) as allowed:
            if not allowed:
                ws.close(reason=TRY_AGAIN_LATER, message="Too many live pages open for this account")
                return
            _stream(ws, writer, live_updates.hub_for_viewers(), report_id, config["LIVE_PING_INTERVAL"])
    except db.DatabaseUnavailable as e:
        log.warning("live socket refused: database unavailable (%s)", type(e).__name__)
        _close_quietly(ws, INTERNAL_ERROR, "Database unavailable; try again")
    except SendTimeout as e:
        log.info("dropping a viewer of report %s that cannot keep up (%s)", report_id, e)
        _close_quietly(ws, TRY_AGAIN_LATER, "Too slow; reconnect for a fresh snapshot")
    except (ConnectionClosed, OSError):
        pass  # the client left
    except Exception:
        log.exception("live socket of report %s failed", report_id)
        _close_quietly(ws, INTERNAL_ERROR, "Server error; try again")


def _stream(ws, writer, hub, report_id: int, ping_interval: float) -> None:
    """Snapshots until the report is finished, the server stops or the client goes; a ping
    every `ping_interval` seconds, and a client that has not answered the last one is dropped."""
    # The hub sends most snapshots itself (writer.offer); this handler wakes on `ws.event` only
    # when it has something to do, which the socket's reader also sets when the client goes.
    viewer = hub.subscribe(report_id, send_now=writer.offer, wake=ws.event)
    next_ping = time.monotonic() + ping_interval
    try:
        while ws.connected:
            snapshot = viewer.next(timeout=max(0.0, next_ping - time.monotonic()))
            if viewer.closing_code is not None:
                ws.close(reason=viewer.closing_code, message="Server restarting")
                return
            if snapshot is not None:
                writer.write_snapshot(snapshot)
                if snapshot.final:
                    ws.close(reason=NORMAL_CLOSURE, message="Finished")
                    return
            if time.monotonic() >= next_ping:
                if not ws.pong_received:
                    log.info("dropping a viewer of report %s that did not answer a ping", report_id)
                    _close_quietly(ws, TRY_AGAIN_LATER, "No answer to ping; reconnect")
                    return
                ws.pong_received = False
                writer.write(PING_FRAME)
                next_ping = time.monotonic() + ping_interval
        # The client's side ended (it closed, left, or sent a message): the socket's reader
        # closes it, first draining what the client still sends. This handler is woken at once,
        # and the web server closes the socket when it returns: returning before the reader is
        # done would close it with unread data, a RST that can destroy the close frame.
        ws.thread.join(READER_GRACE_SECONDS)
    finally:
        hub.unsubscribe(viewer)


def _close_quietly(ws, code: int, message: str) -> None:
    """A close frame if one can still be sent; otherwise just hang up."""
    try:
        ws.close(reason=code, message=message)
    except (ConnectionClosed, OSError, LocalProtocolError):
        ws.connected = False
