"""The viewer socket's writer on real sockets, with descriptors past select()'s limit: a web
process holding thousands of viewers has them."""

import os
import socket

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


def test_frames_reach_a_viewer_on_a_descriptor_past_1023(high_pair):
    server_end, client_end = high_pair
    writer = SocketWriter(server_end, timeout=2.0)
    frames = [bytes([0x81, 5]) + b"hello" for _ in range(3)]
    for frame in frames:
        writer.write_frame(frame)
    received = b""
    while len(received) < 21:
        received += client_end.recv(100)
    assert received == b"".join(frames)


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
