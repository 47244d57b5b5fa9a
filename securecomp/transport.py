"""Send and receive encrypted images over a stream: asyncio streams or blocking sockets.

Each image travels as one frame (docs/format.md §8)::

    "SCFRAME" | version 0x01 | length (u64, big-endian) | container (length bytes)

The receiver checks the magic, the version and the length against its own limit (``max_size``,
default 64 MiB) before it reads the body, and reads the body as it arrives, so a hostile peer
cannot make it allocate more than ``max_size``. A peer that sends nothing for ``idle_timeout``
seconds (default 60) while a frame is due, or takes longer than ``deadline`` seconds (default
600) for one frame once its header has begun, is dropped with TransportError; None turns either
off. Anything wrong with the framing raises :class:`~securecomp.errors.TransportError`; a
well-framed but bad container raises ``FormatError`` or ``DecryptionError`` from
:func:`securecomp.decrypt`. ``receive_*`` return ``None`` when the peer
closed the stream cleanly between frames. ``receive_image*`` take decrypt's receiver-side caps:
``max_kdf`` and ``allow_weak_kdf`` (a password container whose Argon2id cost is above the cap, or
below securecomp's own, is refused before the KDF runs) and ``max_pixels``.

Each container is authenticated on its own; frames do not protect the order or number of images,
and with ``recipients=`` anyone who knows the recipient strings can send a valid image. Use TLS or
an SSH tunnel when the channel itself must be authenticated.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from typing import Any

from PIL import Image

from .api import decrypt, encrypt
from .codec.info import DEFAULT_MAX_PIXELS
from .errors import ParameterError, TransportError
from .keys import KdfParams
from .recipients import Identity
from .secret import Secret, secret_from

__all__ = ["DEFAULT_MAX_SIZE", "DEFAULT_IDLE_TIMEOUT", "DEFAULT_DEADLINE", "send_frame", "receive_frame",
           "send_image", "receive_image", "send_frame_sock", "receive_frame_sock", "send_image_sock",
           "receive_image_sock"]

MAGIC = b"SCFRAME"
VERSION = 1
HEADER_SIZE = len(MAGIC) + 1 + 8
DEFAULT_MAX_SIZE = 64 << 20         # 64 MiB: a 50-megapixel photo's container is far below it
DEFAULT_IDLE_TIMEOUT = 60.0         # seconds without a byte while a frame is due
DEFAULT_DEADLINE = 600.0            # seconds for one frame, from its first byte
_CHUNK = 1 << 20


class _Clock:
    """The time a read may wait: the idle timeout, cut to what is left of the frame's deadline."""

    def __init__(self, idle_timeout: float | None, deadline: float | None) -> None:
        self.idle, self.deadline = idle_timeout, deadline
        self.end: float | None = None

    def start(self) -> None:
        if self.deadline is not None and self.end is None:
            self.end = time.monotonic() + self.deadline

    def wait(self) -> float | None:
        left = None if self.end is None else max(self.end - time.monotonic(), 0.0)
        if self.idle is None:
            return left
        return self.idle if left is None else min(self.idle, left)

    def error(self, what: str) -> TransportError:
        if self.end is not None and time.monotonic() >= self.end:
            return TransportError(f"the frame did not arrive within its deadline of {self.deadline:g} s ({what})",
                                  hint="a peer that stalls is dropped; raise deadline= for very slow links")
        return TransportError(f"the peer sent nothing for {self.idle:g} s ({what})",
                              hint="a peer that stalls is dropped; raise idle_timeout= if it is just slow")


def frame_header(length: int) -> bytes:
    if not 1 <= length < 1 << 64:
        raise ParameterError(f"a frame carries 1 to 2**64 - 1 bytes, not {length}")
    return MAGIC + bytes([VERSION]) + struct.pack(">Q", length)


def parse_frame_header(header: bytes | bytearray, max_size: int) -> int:
    """The body length of a frame header; TransportError unless it is canonical and within ``max_size``."""
    if header[: len(MAGIC)] != MAGIC:
        raise TransportError("the peer did not send a securecomp frame (bad magic)")
    if header[len(MAGIC)] != VERSION:
        raise TransportError(f"unsupported frame version {header[len(MAGIC)]}", hint="upgrade securecomp")
    (length,) = struct.unpack(">Q", header[len(MAGIC) + 1 :])
    if length == 0:
        raise TransportError("the peer sent an empty frame")
    if length > max_size:
        raise TransportError(f"the peer announced a frame of {length} bytes, over the limit of {max_size}",
                             hint="raise max_size if such large images are expected")
    return length


def _check_max_size(max_size: int) -> int:
    if not isinstance(max_size, int) or max_size < 1:
        raise ParameterError(f"max_size must be a positive number of bytes, not {max_size!r}")
    return max_size


# --- asyncio streams ---------------------------------------------------------------------------

async def send_frame(writer: asyncio.StreamWriter, data: bytes) -> None:
    """Write one frame and wait until the transport has taken it (``drain``)."""
    try:
        writer.write(frame_header(len(data)))
        writer.write(data)
        await writer.drain()
    except (ConnectionError, OSError) as exc:
        raise TransportError(f"connection lost while sending: {exc}") from None


async def receive_frame(reader: asyncio.StreamReader, *, max_size: int = DEFAULT_MAX_SIZE,
                        idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
                        deadline: float | None = DEFAULT_DEADLINE) -> bytes | None:
    """The body of the next frame, or None if the stream ended cleanly before it."""
    _check_max_size(max_size)
    clock = _Clock(idle_timeout, deadline)
    header = await _read_async(reader, HEADER_SIZE, "frame header", clock)
    if header is None:
        return None
    remaining = parse_frame_header(header, max_size)
    body = bytearray()
    while remaining:
        chunk = await _read_async(reader, min(_CHUNK, remaining), "frame body", clock, partial=len(body))
        assert chunk is not None                # only a clean end before a frame header gives None
        body += chunk
        remaining -= len(chunk)
    return bytes(body)


async def _read_async(reader: asyncio.StreamReader, n: int, what: str, clock: _Clock, *,
                      partial: int = 0) -> bytes | None:
    try:
        data = await asyncio.wait_for(reader.readexactly(n), clock.wait())
    except TimeoutError:
        raise clock.error(what) from None
    except asyncio.IncompleteReadError as exc:
        if not exc.partial and what == "frame header":
            return None
        raise TransportError(f"truncated frame: the stream ended inside the {what} "
                             f"(after {partial + len(exc.partial)} bytes)") from None
    except (ConnectionError, OSError) as exc:
        raise TransportError(f"connection lost while receiving the {what}: {exc}") from None
    clock.start()
    return data


async def send_image(writer: asyncio.StreamWriter, image: Any, **encrypt_options: Any) -> int:
    """Encrypt ``image`` with :func:`securecomp.encrypt` (in a thread) and send it; returns the container size."""
    blob = await asyncio.to_thread(encrypt, image, **encrypt_options)
    await send_frame(writer, blob)
    return len(blob)


async def receive_image(reader: asyncio.StreamReader, *, key: bytes | None = None,
                        password: str | bytes | None = None, identity: Identity | str | None = None,
                        max_size: int = DEFAULT_MAX_SIZE, secret: Secret | None = None,
                        idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
                        deadline: float | None = DEFAULT_DEADLINE, max_kdf: KdfParams | None = None,
                        allow_weak_kdf: bool = False, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image | None:
    """Receive one frame and decrypt it (in a thread); None if the stream ended cleanly before it.
    ``max_kdf``, ``allow_weak_kdf`` and ``max_pixels`` are passed to :func:`securecomp.decrypt`."""
    chosen = secret_from(key=key, password=password, identity=identity, secret=secret)
    blob = await receive_frame(reader, max_size=max_size, idle_timeout=idle_timeout, deadline=deadline)
    if blob is None:
        return None
    return await asyncio.to_thread(decrypt, blob, secret=chosen, max_kdf=max_kdf, allow_weak_kdf=allow_weak_kdf,
                                   max_pixels=max_pixels)


# --- blocking sockets --------------------------------------------------------------------------

def send_frame_sock(sock: socket.socket, data: bytes) -> None:
    try:
        sock.sendall(frame_header(len(data)) + data)
    except OSError as exc:
        raise TransportError(f"connection lost while sending: {exc}") from None


def receive_frame_sock(sock: socket.socket, *, max_size: int = DEFAULT_MAX_SIZE,
                       idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
                       deadline: float | None = DEFAULT_DEADLINE) -> bytes | None:
    """The body of the next frame, or None if the peer closed the connection cleanly before it.
    The socket's own timeout is restored afterwards."""
    _check_max_size(max_size)
    clock, before = _Clock(idle_timeout, deadline), sock.gettimeout()
    try:
        header = _recv_exactly(sock, HEADER_SIZE, "frame header", clock)
        if not header:
            return None
        return bytes(_recv_exactly(sock, parse_frame_header(header, max_size), "frame body", clock))
    finally:
        sock.settimeout(before)


def _recv_exactly(sock: socket.socket, n: int, what: str, clock: _Clock) -> bytearray:
    data = bytearray()
    while len(data) < n:
        try:
            sock.settimeout(clock.wait())
            chunk = sock.recv(min(_CHUNK, n - len(data)))
        except TimeoutError:
            raise clock.error(what) from None
        except OSError as exc:           # connection resets
            raise TransportError(f"connection lost while receiving the {what}: {exc}") from None
        clock.start()
        if not chunk:
            if not data and what == "frame header":
                return data
            raise TransportError(f"truncated frame: the stream ended inside the {what} (after {len(data)} bytes)")
        data += chunk
    return data


def send_image_sock(sock: socket.socket, image: Any, **encrypt_options: Any) -> int:
    """Encrypt ``image`` with :func:`securecomp.encrypt` and send it; returns the container size."""
    blob = encrypt(image, **encrypt_options)
    send_frame_sock(sock, blob)
    return len(blob)


def receive_image_sock(sock: socket.socket, *, key: bytes | None = None, password: str | bytes | None = None,
                       identity: Identity | str | None = None, max_size: int = DEFAULT_MAX_SIZE,
                       secret: Secret | None = None, idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
                       deadline: float | None = DEFAULT_DEADLINE, max_kdf: KdfParams | None = None,
                       allow_weak_kdf: bool = False, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image | None:
    """Receive one frame and decrypt it; None if the peer closed the connection cleanly before it.
    ``max_kdf``, ``allow_weak_kdf`` and ``max_pixels`` are passed to :func:`securecomp.decrypt`."""
    chosen = secret_from(key=key, password=password, identity=identity, secret=secret)
    blob = receive_frame_sock(sock, max_size=max_size, idle_timeout=idle_timeout, deadline=deadline)
    return None if blob is None else decrypt(blob, secret=chosen, max_kdf=max_kdf, allow_weak_kdf=allow_weak_kdf,
                                             max_pixels=max_pixels)
