"""Transport: a peer that stalls, or trickles a frame past its deadline, is dropped."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest

from securecomp.errors import TransportError
from securecomp.transport import DEFAULT_MAX_SIZE, frame_header, receive_frame, receive_frame_sock


def test_the_default_frame_limit_is_64_mib():
    assert DEFAULT_MAX_SIZE == 64 << 20


def test_a_socket_peer_that_stalls_inside_a_frame_is_dropped_after_the_idle_timeout():
    left, right = socket.socketpair()
    with left, right:
        left.sendall(frame_header(100)[:5])
        start = time.monotonic()
        with pytest.raises(TransportError, match="sent nothing for 0.2 s"):
            receive_frame_sock(right, idle_timeout=0.2)
        assert time.monotonic() - start < 2
        assert right.gettimeout() is None                   # the socket's own setting is back


def test_a_socket_peer_that_trickles_a_frame_past_its_deadline_is_dropped():
    left, right = socket.socketpair()
    stop = threading.Event()

    def trickle():
        left.sendall(frame_header(1000))
        while not stop.is_set():
            left.sendall(b"x")
            time.sleep(0.05)

    worker = threading.Thread(target=trickle, daemon=True)
    worker.start()
    try:
        with pytest.raises(TransportError, match="deadline of 0.5 s"):
            receive_frame_sock(right, idle_timeout=1.0, deadline=0.5)
    finally:
        stop.set()
        worker.join()
        left.close()
        right.close()


def test_an_asyncio_peer_that_stalls_is_dropped():
    async def scenario():
        reader = asyncio.StreamReader()
        reader.feed_data(frame_header(100) + b"abc")
        with pytest.raises(TransportError, match="sent nothing"):
            await receive_frame(reader, idle_timeout=0.2)

    asyncio.run(scenario())


def test_a_complete_frame_within_the_limits_arrives():
    left, right = socket.socketpair()
    with left, right:
        left.sendall(frame_header(3) + b"abc")
        assert receive_frame_sock(right, idle_timeout=1, deadline=1) == b"abc"
