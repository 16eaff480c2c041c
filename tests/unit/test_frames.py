"""Prebuilt websocket frames are byte for byte what wsproto (behind ws.send) would write."""

import pytest
from wsproto.connection import Connection, ConnectionType
from wsproto.events import TextMessage

from webapp.realtime.frames import text_frame


@pytest.mark.parametrize("length", [0, 1, 125, 126, 127, 65_535, 65_536, 200_000])
def test_text_frames_match_wsproto(length):
    text = ("é" + "x" * length)[:length] if length else ""
    server = Connection(ConnectionType.SERVER)
    assert text_frame(text) == server.send(TextMessage(data=text))


def test_a_frame_is_built_once_per_snapshot_and_shared():
    from webapp.realtime.hub import Snapshot

    snapshot = Snapshot(1, 1, "<p>hi</p>", False)
    assert snapshot.frame is snapshot.frame and snapshot.frame.endswith(b"<p>hi</p>")
