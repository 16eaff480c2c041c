"""The viewer socket's writer on real sockets, with descriptors past select()'s limit: a web
process holding thousands of viewers has them."""

import os
import socket
import threading
import time
from dataclasses import dataclass

import pytest

from webapp.realtime.viewer_socket import SendTimeout, SocketWriter

HIGH_FD = 1500  # select() refuses anything from 1024 on


@pytest.fixture
def high_pair():
    """A connected pair whose server end sits on descriptor 1500."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft <= HIGH_FD:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    server_end, client_end = socket.socketpair()
    os.dup2(server_end.fileno(), HIGH_FD)
    server_end.close()
    high = socket.socket(fileno=HIGH_FD)
    yield high, client_end
    high.close()
    client_end.close()


@dataclass
class Snapshot:
    seq: int
    frame: bytes


def read_exactly(sock, n: int) -> bytes:
    received = b""
    while len(received) < n:
        chunk = sock.recv(n - len(received))
        assert chunk, "the connection ended early"
        received += chunk
    return received


def test_frames_reach_a_viewer_on_a_descriptor_past_1023(high_pair):
    server_end, client_end = high_pair
    writer = SocketWriter(server_end, timeout=2.0)
    frames = [bytes([0x81, 5]) + b"hello" for _ in range(3)]
    writer.write_snapshot(Snapshot(1, frames[0]))
    assert writer.offer(Snapshot(2, frames[1]))
    writer.write_snapshot(Snapshot(3, frames[2]))
    assert read_exactly(client_end, 21) == b"".join(frames)


def test_a_viewer_that_reads_nothing_times_out_on_a_high_descriptor(high_pair):
    server_end, _ = high_pair
    writer = SocketWriter(server_end, timeout=0.3)
    frame = b"x" * 16_000
    with pytest.raises(SendTimeout):
        for _ in range(200):  # far more than the buffers hold
            writer.write(frame)


def test_a_closing_writer_lingers_on_a_high_descriptor_without_error(high_pair):
    server_end, client_end = high_pair
    writer = SocketWriter(server_end, timeout=1.0)
    writer.write(b"bye")
    client_end.sendall(b"late data")
    writer.close()
    assert client_end.recv(10) == b"bye"
    assert client_end.recv(10) == b""  # then the FIN


def test_a_snapshot_offered_by_the_hub_is_not_written_again_by_the_handler(high_pair):
    server_end, client_end = high_pair
    writer = SocketWriter(server_end, timeout=2.0)
    assert writer.offer(Snapshot(5, b"five"))
    writer.write_snapshot(Snapshot(5, b"five"))  # the handler, woken late: already sent
    writer.write_snapshot(Snapshot(4, b"four"))  # an older one never follows a newer one
    writer.write(b"!")
    assert read_exactly(client_end, 5) == b"five!"


def test_the_hub_never_waits_on_a_socket_that_is_busy_or_full(high_pair):
    server_end, _ = high_pair
    writer = SocketWriter(server_end, timeout=2.0)
    with writer._locked(time.monotonic() + 1):  # the handler is writing (a ping, say)
        assert not writer.offer(Snapshot(1, b"x" * 100))
    assert writer.sent_seq == -1
    big = b"y" * 30_000
    seq = 1
    while writer.offer(Snapshot(seq, big)):  # nobody reads: the queue fills
        seq += 1
    started = time.monotonic()
    assert not writer.offer(Snapshot(seq + 1, big))
    assert time.monotonic() - started < 0.1


def test_a_frame_the_socket_took_in_part_is_finished_before_anything_else(high_pair):
    server_end, client_end = high_pair
    writer = SocketWriter(server_end, timeout=5.0)
    huge = bytes(range(256)) * 4096  # 1 MB: more than the socket's buffer takes at once
    assert not writer.offer(Snapshot(1, huge)), "taken in part: the handler must finish it"
    received = []
    reader = threading.Thread(target=lambda: received.append(read_exactly(client_end, len(huge) + 4)))
    reader.start()
    writer.write_snapshot(Snapshot(1, huge))  # woken for it: finishes the rest, nothing twice
    writer.write(b"ping")
    reader.join(10)
    assert received == [huge + b"ping"]
