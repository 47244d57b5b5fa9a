"""Strict big-endian reading and writing of header fields (shared by the container and bitstream)."""

from __future__ import annotations

import re
import struct

from .errors import FormatError

_ID = re.compile(rb"[a-z0-9][a-z0-9+.\-]*\Z")


class Reader:
    """Reads fields from bytes; any short read or bad value raises :class:`FormatError`."""

    def __init__(self, data: bytes | memoryview, what: str) -> None:
        self._view = memoryview(data)
        self.pos = 0
        self.what = what

    def take(self, n: int) -> bytes:
        end = self.pos + n
        if end > len(self._view):
            raise FormatError(f"{self.what} is truncated (needs {end} bytes, has {len(self._view)})")
        chunk = bytes(self._view[self.pos : end])
        self.pos = end
        return chunk

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return struct.unpack(">H", self.take(2))[0]

    def u32(self) -> int:
        return struct.unpack(">I", self.take(4))[0]

    def u64(self) -> int:
        return struct.unpack(">Q", self.take(8))[0]

    def ident(self, field: str, max_len: int, *, allow_empty: bool = False) -> str:
        """A length-prefixed ASCII identifier: ``[a-z0-9][a-z0-9+.-]*``."""
        n = self.u8()
        if n > max_len or (n == 0 and not allow_empty):
            raise FormatError(f"{self.what}: {field} length {n} outside 0..{max_len}")
        raw = self.take(n)
        if n and not _ID.match(raw):
            raise FormatError(f"{self.what}: {field} is not a valid identifier")
        return raw.decode("ascii")

    def rest(self) -> memoryview:
        return self._view[self.pos :]


def pack_ident(value: str, max_len: int) -> bytes:
    raw = value.encode("ascii")
    if len(raw) > max_len or (raw and not _ID.match(raw)):
        raise ValueError(f"invalid identifier {value!r}")
    return bytes([len(raw)]) + raw


def u8(v: int) -> bytes:
    return struct.pack(">B", v)


def u16(v: int) -> bytes:
    return struct.pack(">H", v)


def u32(v: int) -> bytes:
    return struct.pack(">I", v)


def u64(v: int) -> bytes:
    return struct.pack(">Q", v)
