"""securecomp.transport and examples/sender.py + receiver.py on 127.0.0.1: good transfers, hostile
peers (garbage, truncated frames, oversize lengths, bad containers) and a receiver that keeps serving."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import struct
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import securecomp
from securecomp.errors import DecryptionError, FormatError, ParameterError, SecurecompError, TransportError
from securecomp.recipients import generate_identity
from securecomp.transport import (
    MAGIC,
    frame_header,
    receive_frame,
    receive_image,
    receive_image_sock,
    send_image,
    send_image_sock,
)

KEY = bytes(range(32))
LIMIT = 1 << 20
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _image(seed=0, size=(24, 16)):
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, size[::-1] + (3,), dtype=np.uint8))


def _run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 30))


async def _serve(peers, **secret):
    """A receiver that serves one image per connection; returns the outcome of each connection."""
    outcomes: asyncio.Queue = asyncio.Queue()

    async def on_connect(reader, writer):
        try:
            image = await receive_image(reader, max_size=LIMIT, **secret)
            await outcomes.put(image if image is None else np.asarray(image))
        except SecurecompError as exc:
            await outcomes.put(exc)
        finally:
            writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    results = []
    async with server:
        for peer in peers:
            writer = await peer(port)
            results.append(await asyncio.wait_for(outcomes.get(), 10))    # before the peer hangs up
            if writer is not None:
                writer.close()
    return results


def _raw_peer(data: bytes, *, close: bool = True):
    async def peer(port):
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(data)
        await writer.drain()
        if close:
            writer.close()
            return None
        return writer                   # stays open: the receiver must not wait for more
    return peer


def _image_peer(image, **options):
    async def peer(port):
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        await send_image(writer, image, **options)
        writer.close()
    return peer


def test_images_sent_with_a_key_and_to_a_recipient_arrive_with_identical_pixels():
    identity = generate_identity()
    image = _image()
    by_key = _run(_serve([_image_peer(image, key=KEY, codec="png")], key=KEY))
    by_recipient = _run(_serve([_image_peer(image, recipients=[str(identity.recipient)], codec="png")],
                               identity=identity))
    assert np.array_equal(by_key[0], np.asarray(image))
    assert np.array_equal(by_recipient[0], np.asarray(image))


def _valid_frame():
    blob = securecomp.encrypt(_image(), key=KEY, codec="png")
    return frame_header(len(blob)) + blob


HOSTILE = {
    "garbage": (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", True, TransportError),
    "truncated-header": (MAGIC + b"\x01\x00\x00", True, TransportError),
    "truncated-body": (_valid_frame()[:-10], True, TransportError),
    "oversize-length-and-open": (MAGIC + b"\x01" + struct.pack(">Q", 1 << 40), False, TransportError),
    "length-just-over-limit": (MAGIC + b"\x01" + struct.pack(">Q", LIMIT + 1), False, TransportError),
    "zero-length": (MAGIC + b"\x01" + bytes(8), True, TransportError),
    "unknown-frame-version": (MAGIC + b"\x02" + struct.pack(">Q", 5) + b"hello", True, TransportError),
    "garbage-container": (frame_header(64) + bytes(64), True, FormatError),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_peer_raises_typed_error_and_the_next_connection_is_served(name):
    data, close, error = HOSTILE[name]
    results = _run(_serve([_raw_peer(data, close=close), _image_peer(_image(1), key=KEY, codec="png")], key=KEY))
    assert isinstance(results[0], error)
    assert np.array_equal(results[1], np.asarray(_image(1)))


def test_wrong_key_raises_decryption_error_and_a_clean_close_gives_none():
    results = _run(_serve([_image_peer(_image(), key=bytes(32), codec="png"), _raw_peer(b"")], key=KEY))
    assert isinstance(results[0], DecryptionError)
    assert results[1] is None


def test_several_frames_on_one_stream_then_clean_end():
    async def scenario():
        reader = asyncio.StreamReader()
        for payload in (b"one", b"two"):
            reader.feed_data(frame_header(len(payload)) + payload)
        reader.feed_eof()
        return [await receive_frame(reader), await receive_frame(reader), await receive_frame(reader)]
    assert _run(scenario()) == [b"one", b"two", None]


def test_receive_refuses_a_missing_secret_or_a_bad_limit_before_reading():
    async def receive(**options):
        reader = asyncio.StreamReader()         # never fed: a read would wait forever
        if "max_size" in options:
            return await receive_frame(reader, **options)
        return await receive_image(reader, **options)
    with pytest.raises(ParameterError):
        _run(receive())
    with pytest.raises(ParameterError):
        _run(receive(max_size=0))


# --- blocking sockets --------------------------------------------------------------------------

def _socket_server(connections: int, outcomes: list, **secret):
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        with listener:
            for _ in range(connections):
                conn, _ = listener.accept()
                with conn:
                    conn.settimeout(10)
                    try:
                        outcomes.append(receive_image_sock(conn, max_size=LIMIT, **secret))
                    except SecurecompError as exc:
                        outcomes.append(exc)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener.getsockname()[1], thread


@pytest.mark.parametrize("name", ["garbage", "truncated-body", "oversize-length-and-open"])
def test_socket_receiver_raises_typed_error_then_serves_the_next_connection(name):
    data, close, error = HOSTILE[name]
    outcomes: list = []
    port, thread = _socket_server(2, outcomes, key=KEY)
    bad = socket.create_connection(("127.0.0.1", port))
    bad.sendall(data)
    if close:
        bad.close()
    with socket.create_connection(("127.0.0.1", port)) as good:
        send_image_sock(good, _image(2), key=KEY, codec="png")
    thread.join(10)
    bad.close()
    assert isinstance(outcomes[0], error)
    assert np.array_equal(np.asarray(outcomes[1]), np.asarray(_image(2)))


# --- receiver-side caps (issue 17): max_kdf, allow_weak_kdf, max_pixels --------------------------

def _password_frame(kdf, *, size=(24, 16), zero_payload=False):
    """A frame holding a password ("pw") container with these Argon2id parameters: sealed for real,
    or (``zero_payload``) only its header, the header MAC and payload being zero bytes."""
    from securecomp import container
    from securecomp.api import _seal
    from securecomp.codec.bitstream import encode_image

    info, body = encode_image(_image(size=size), "png", 1)
    if zero_payload:
        header = container.Header(suite="aes", nonce=bytes(16), info=info, payload_size=len(body), kdf=kdf)
        blob = header.pack() + bytes(container.HEADER_MAC_SIZE) + bytes(header.sealed_size)
    else:
        blob = _seal(info, body, suite="aes", key=None, password="pw", nonce=bytes(16), kdf=kdf)
    return frame_header(len(blob)) + blob


def _receive_async(frame, **options):
    async def scenario():
        reader = asyncio.StreamReader()
        reader.feed_data(frame)
        reader.feed_eof()
        return await receive_image(reader, password="pw", **options)
    return _run(scenario())


def _receive_sock(frame, **options):
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(frame)
        theirs.shutdown(socket.SHUT_WR)
        return receive_image_sock(ours, password="pw", **options)


RECEIVERS = {"asyncio": _receive_async, "socket": _receive_sock}


@pytest.mark.parametrize("receiver", RECEIVERS)
def test_a_header_asking_for_the_maximum_kdf_cost_is_refused_at_once(receiver):
    from securecomp.keys import KdfParams

    costly = KdfParams(memory_kib=1 << 20, iterations=10, lanes=16, salt=bytes(16))   # 1 GiB, 10 passes: ~15 s
    start = time.perf_counter()
    with pytest.raises(DecryptionError, match="more than this reader allows"):
        RECEIVERS[receiver](_password_frame(costly, zero_payload=True))
    assert time.perf_counter() - start < 1


@pytest.mark.parametrize("receiver", RECEIVERS)
def test_the_receiver_sets_its_own_kdf_cap_and_floor_and_pixel_limit(receiver):
    from securecomp.errors import DecodeLimitError
    from securecomp.keys import MIN_KDF, KdfParams

    receive = RECEIVERS[receiver]
    weak = KdfParams(memory_kib=256, iterations=1, lanes=1, salt=bytes(16))
    with pytest.raises(DecryptionError, match="below securecomp's own"):
        receive(_password_frame(weak))
    assert np.array_equal(np.asarray(receive(_password_frame(weak), allow_weak_kdf=True)), np.asarray(_image()))
    usual = KdfParams(memory_kib=MIN_KDF.memory_kib, iterations=MIN_KDF.iterations, lanes=MIN_KDF.lanes,
                      salt=bytes(16))
    with pytest.raises(DecryptionError, match="more than this reader allows"):
        receive(_password_frame(usual, zero_payload=True), max_kdf=KdfParams(memory_kib=32 * 1024, iterations=3))
    with pytest.raises(DecodeLimitError):
        receive(_password_frame(weak), allow_weak_kdf=True, max_pixels=24 * 16 - 1)


# --- examples/sender.py and examples/receiver.py -----------------------------------------------

def _load_example(name):
    sys.path.insert(0, str(EXAMPLES))
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_sender_and_receiver_transfer_and_verify_a_folder_and_survive_garbage(tmp_path):
    sender, receiver = _load_example("sender"), _load_example("receiver")
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    _image(3).save(folder / "a.png")
    _image(4).convert("L").save(folder / "sub" / "b.png")
    _image(5).save(folder / "c.webp", lossless=True)
    identity, lines = generate_identity(), []

    async def scenario():
        port = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(receiver.serve("127.0.0.1", 0, {"identity": identity}, out=tmp_path / "out",
                                                  connections=2, log=lines.append, ready=port.set_result))
        port = await port
        await _raw_peer(b"\x00" * 40)(port)
        sent = await sender.send_folder(folder, "127.0.0.1", port, {"recipients": [str(identity.recipient)]},
                                        log=lines.append)
        return sent, await task

    sent, results = _run(scenario())
    assert sent == 3
    assert results[0]["error"].startswith("TransportError") and results[1] == {"images": 3, "error": None}
    assert sum(line.startswith("verified:") for line in lines) == 3
    restored = np.asarray(Image.open(tmp_path / "out" / "sub" / "b.png"))
    assert np.array_equal(restored, np.asarray(_image(4).convert("L")))
