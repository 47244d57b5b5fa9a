"""Send and receive encrypted images over a stream: asyncio streams or blocking sockets.

Each image travels as one frame (docs/format.md §8)::

    "SCFRAME" | version 0x01 | length (u64, big-endian) | container (length bytes)

The receiver checks the magic, the version and the length against its own limit (``max_size``,
default 256 MiB) before it reads the body, and reads the body as it arrives, so a hostile peer
cannot make it allocate more than ``max_size``. Anything wrong with the framing raises
:class:`~securecomp.errors.TransportError`; a well-framed but bad container raises ``FormatError``
or ``DecryptionError`` from :func:`securecomp.decrypt`. ``receive_*`` return ``None`` when the peer
closed the stream cleanly between frames.

Each container is authenticated on its own; frames do not protect the order or number of images,
and with ``recipients=`` anyone who knows the recipient strings can send a valid image. Use TLS or
an SSH tunnel when the channel itself must be authenticated. Set a timeout (``sock.settimeout`` or
``asyncio.wait_for``) against peers that stall.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import Any

from PIL import Image

from .api import decrypt, encrypt
from .errors import ParameterError, TransportError
from .recipients import Identity
from .secret import Secret, secret_from

__all__ = ["DEFAULT_MAX_SIZE", "send_frame", "receive_frame", "send_image", "receive_image",
           "send_frame_sock", "receive_frame_sock", "send_image_sock", "receive_image_sock"]

MAGIC = b"SCFRAME"
VERSION = 1
HEADER_SIZE = len(MAGIC) + 1 + 8
DEFAULT_MAX_SIZE = 256 << 20        # 256 MiB
_CHUNK = 1 << 20


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


async def receive_frame(reader: asyncio.StreamReader, *, max_size: int = DEFAULT_MAX_SIZE) -> bytes | None:
    """The body of the next frame, or None if the stream ended cleanly before it."""
    _check_max_size(max_size)
    header = await _read_async(reader, HEADER_SIZE, "frame header")
    if header is None:
        return None
    remaining = parse_frame_header(header, max_size)
    body = bytearray()
    while remaining:
        chunk = await _read_async(reader, min(_CHUNK, remaining), "frame body", partial=len(body))
        assert chunk is not None                # only a clean end before a frame header gives None
        body += chunk
        remaining -= len(chunk)
    return bytes(body)


async def _read_async(reader: asyncio.StreamReader, n: int, what: str, *, partial: int = 0) -> bytes | None:
    try:
        return await reader.readexactly(n)
    except asyncio.IncompleteReadError as exc:
        if not exc.partial and what == "frame header":
            return None
        raise TransportError(f"truncated frame: the stream ended inside the {what} "
                             f"(after {partial + len(exc.partial)} bytes)") from None
    except (ConnectionError, OSError) as exc:
        raise TransportError(f"connection lost while receiving the {what}: {exc}") from None


async def send_image(writer: asyncio.StreamWriter, image: Any, **encrypt_options: Any) -> int:
    """Encrypt ``image`` with :func:`securecomp.encrypt` (in a thread) and send it; returns the container size."""
    blob = await asyncio.to_thread(encrypt, image, **encrypt_options)
    await send_frame(writer, blob)
    return len(blob)


async def receive_image(reader: asyncio.StreamReader, *, key: bytes | None = None,
                        password: str | bytes | None = None, identity: Identity | str | None = None,
                        max_size: int = DEFAULT_MAX_SIZE, secret: Secret | None = None) -> Image.Image | None:
    """Receive one frame and decrypt it (in a thread); None if the stream ended cleanly before it."""
    chosen = secret_from(key=key, password=password, identity=identity, secret=secret)
    blob = await receive_frame(reader, max_size=max_size)
    if blob is None:
        return None
    return await asyncio.to_thread(decrypt, blob, secret=chosen)


# --- blocking sockets --------------------------------------------------------------------------

def send_frame_sock(sock: socket.socket, data: bytes) -> None:
    try:
        sock.sendall(frame_header(len(data)) + data)
    except OSError as exc:
        raise TransportError(f"connection lost while sending: {exc}") from None


def receive_frame_sock(sock: socket.socket, *, max_size: int = DEFAULT_MAX_SIZE) -> bytes | None:
    """The body of the next frame, or None if the peer closed the connection cleanly before it."""
    _check_max_size(max_size)
    header = _recv_exactly(sock, HEADER_SIZE, "frame header")
    if not header:
        return None
    return bytes(_recv_exactly(sock, parse_frame_header(header, max_size), "frame body"))


def _recv_exactly(sock: socket.socket, n: int, what: str) -> bytearray:
    data = bytearray()
    while len(data) < n:
        try:
            chunk = sock.recv(min(_CHUNK, n - len(data)))
        except OSError as exc:           # includes socket.timeout and connection resets
            raise TransportError(f"connection lost while receiving the {what}: {exc}") from None
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
                       secret: Secret | None = None) -> Image.Image | None:
    """Receive one frame and decrypt it; None if the peer closed the connection cleanly before it."""
    chosen = secret_from(key=key, password=password, identity=identity, secret=secret)
    blob = receive_frame_sock(sock, max_size=max_size)
    return None if blob is None else decrypt(blob, secret=chosen)
