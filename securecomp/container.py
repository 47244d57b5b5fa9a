"""Container v1: serialize and parse only (docs/format.md is the normative spec).

Parsing is strict: unknown versions, codes or flags, non-canonical fields, sizes over the limits,
truncation and trailing bytes all raise :class:`FormatError`, and every size is checked before
anything is allocated for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import _wire
from .codec.info import ImageInfo
from .errors import FormatError
from .hazmat import aead
from .keys import NONCE_SIZE, SALT_SIZE, KdfParams

MAGIC = b"SECURECOMP"
VERSION = 1
SUITES = {"aes": 1, "chaos+aes": 2, "chaos": 3}
SUITE_NAMES = {code: name for name, code in SUITES.items()}
KDF_KEY, KDF_ARGON2ID = 1, 2
HMAC_SIZE = 32
MAX_PAYLOAD = 1 << 32


@dataclass(frozen=True)
class Header:
    suite: str
    nonce: bytes
    info: ImageInfo
    payload_size: int                 # plaintext (codec body) bytes
    kdf: KdfParams | None = None      # None: raw 32-byte key

    def pack(self) -> bytes:
        parts = [MAGIC, _wire.u8(VERSION), _wire.u8(SUITES[self.suite]),
                 _wire.u8(KDF_KEY if self.kdf is None else KDF_ARGON2ID), self.nonce]
        if self.kdf is not None:
            k = self.kdf
            parts += [_wire.u32(k.memory_kib), _wire.u32(k.iterations), _wire.u8(k.lanes), k.salt]
        parts += [self.info.pack(), _wire.u64(self.payload_size)]
        return b"".join(parts)

    @property
    def sealed_size(self) -> int:
        return sealed_size(self.suite, self.payload_size)


def sealed_size(suite: str, payload_size: int) -> int:
    """Bytes that follow the header for a ``payload_size``-byte plaintext under ``suite``."""
    if suite == "chaos":
        return payload_size + HMAC_SIZE
    return aead.sealed_size(payload_size)


@dataclass(frozen=True)
class Parsed:
    header: Header
    header_bytes: bytes     # the associated data of every suite
    sealed: memoryview      # exactly header.sealed_size bytes


def parse(blob: bytes) -> Parsed:
    """Parse a whole container; raises FormatError for anything that is not canonical v1."""
    r = _wire.Reader(blob, "container")
    if r.take(len(MAGIC)) != MAGIC:
        raise FormatError("not a securecomp container (bad magic)")
    version = r.u8()
    if version != VERSION:
        raise FormatError(f"unsupported container version {version}", hint="a newer securecomp may read it")
    header = _read_header(r)
    header_size = r.pos
    sealed = r.rest()
    if len(sealed) < header.sealed_size:
        raise FormatError(f"container is truncated: payload has {len(sealed)} of {header.sealed_size} bytes")
    if len(sealed) > header.sealed_size:
        raise FormatError(f"container has {len(sealed) - header.sealed_size} trailing bytes")
    return Parsed(header, bytes(blob[:header_size]), sealed)


def _read_header(r: _wire.Reader) -> Header:
    suite_code, kdf_code = r.u8(), r.u8()
    if suite_code not in SUITE_NAMES:
        raise FormatError(f"unknown cipher suite code {suite_code}")
    if kdf_code not in (KDF_KEY, KDF_ARGON2ID):
        raise FormatError(f"unknown key type code {kdf_code}")
    nonce = r.take(NONCE_SIZE)
    kdf = None
    if kdf_code == KDF_ARGON2ID:
        kdf = KdfParams(memory_kib=r.u32(), iterations=r.u32(), lanes=r.u8(), salt=r.take(SALT_SIZE))
        kdf.check()
    info = ImageInfo.read(r)
    payload_size = r.u64()
    if payload_size > MAX_PAYLOAD:
        raise FormatError(f"payload of {payload_size} bytes exceeds the limit of {MAX_PAYLOAD}")
    return Header(SUITE_NAMES[suite_code], nonce, info, payload_size, kdf)
