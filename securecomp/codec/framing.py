"""The frame of a ``compress()`` bitstream (docs/format.md, "Bitstream")::

    "SCIMG" (5 bytes) | version | ImageInfo descriptor | codec body | CRC-32 (u32, big-endian)

Version 2 (written) carries the descriptor's real quality in hundredths; version 1 (read) an
integer quality.

A leaf module: :mod:`.bitstream` writes and reads the frame, and the learned codec's
``decoder_latents`` reads it without importing the bitstream (and with it the registry).
"""

from __future__ import annotations

import zlib

from .. import _wire
from ..errors import FormatError

__all__ = ["MAGIC", "VERSION", "VERSIONS", "add_checksum", "strip_checksum"]

MAGIC = b"SCIMG"
VERSION = 2
VERSIONS = (1, 2)           # what this version reads


def add_checksum(data: bytes) -> bytes:
    """``data`` followed by its CRC-32."""
    return data + _wire.u32(zlib.crc32(data))


def strip_checksum(data: bytes) -> bytes:
    """``data`` without its CRC-32 trailer, which must match: a bare bitstream has no other
    integrity check, and an entropy-coded body can decode silently to a wrong image when damaged."""
    if len(data) < len(MAGIC) + 5:
        raise FormatError("bitstream is truncated")
    if zlib.crc32(data[:-4]) != int.from_bytes(data[-4:], "big"):
        if bytes(data[: len(MAGIC)]) != MAGIC:
            raise FormatError("not a securecomp bitstream (bad magic)")
        raise FormatError("bitstream is damaged or truncated (CRC-32 mismatch)",
                          hint="the bytes changed since compress(); "
                               "a container (securecomp.encrypt) also authenticates them")
    return data[:-4]
