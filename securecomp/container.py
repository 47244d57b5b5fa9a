"""Container v2 (written) and v1 (read): serialize and parse only (docs/format.md is the spec).

Version 2 ends its header with a 32-byte HMAC-SHA256 under a subkey of the master (or file) key,
checked before any payload is opened: a container authenticates under one key only (key
commitment). Its payload is an optional metadata block (ICC profile, EXIF, XMP) and the codec body,
both encrypted; its descriptor carries a real quality. Parsing is strict: unknown versions, codes or
flags, non-canonical fields, sizes over the limits, truncation and trailing bytes all raise
:class:`FormatError`, and every size is checked before anything is allocated for it.

:func:`read_partial` is the tolerant reader for a container that :func:`parse` refuses (what
``securecomp inspect`` shows of a truncated or damaged file): it reads the header field by field as
far as the bytes go and says what stopped it. Nothing it returns is authenticated; decrypting
goes through :func:`parse` only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import _wire
from .codec.info import MAX_CODEC_ID, MAX_MODEL_ID, MAX_QUALITY, MODES, QUALITY_STEP, ImageInfo, check_size
from .errors import FormatError
from .keys import NONCE_SIZE, SALT_SIZE, KdfParams
from .suites import suite_coded, suite_named

MAGIC = b"SECURECOMP"
VERSION = 2
VERSIONS = (1, 2)           # what this version reads
KDF_KEY, KDF_ARGON2ID, KEY_RECIPIENTS = 1, 2, 3       # the key_type codes
MAX_PAYLOAD = 1 << 32
MAX_METADATA = 1 << 24      # 16 MiB of ICC / EXIF / XMP
HEADER_MAC_SIZE = 32
X25519_SIZE = 32
WRAPPED_KEY_SIZE = 48       # the 32-byte file key + a 16-byte Poly1305 tag
MAX_RECIPIENTS = 32
_P25519 = 2**255 - 19
# Canonical u-coordinates of the low-order points of Curve25519: an X25519 exchange with any of
# them gives the all-zero shared secret, so no honest writer ever puts one in a stanza.
_LOW_ORDER = frozenset(bytes.fromhex(h) for h in (
    "00" * 32, "01" + "00" * 31,
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ec" + "ff" * 30 + "7f",
))


@dataclass(frozen=True)
class Stanza:
    """One recipient's copy of the file key (key_type 3): see docs/format.md, "Recipients"."""

    ephemeral: bytes    # X25519 public key of a one-time key pair, 32 bytes
    wrapped: bytes      # ChaCha20-Poly1305(wrap key, zero nonce, file key), 48 bytes

    def pack(self) -> bytes:
        if len(self.ephemeral) != X25519_SIZE or len(self.wrapped) != WRAPPED_KEY_SIZE:
            raise ValueError("a stanza holds a 32-byte ephemeral key and a 48-byte wrapped key")
        return self.ephemeral + self.wrapped


@dataclass(frozen=True)
class Header:
    suite: str
    nonce: bytes
    info: ImageInfo
    payload_size: int                 # plaintext bytes: metadata block + codec body
    kdf: KdfParams | None = None      # key_type 2 (password); None otherwise
    stanzas: tuple[Stanza, ...] = ()  # key_type 3 (X25519 recipients); empty otherwise
    metadata_size: int = 0            # version 2: bytes of the payload's metadata block
    version: int = VERSION

    @property
    def key_type(self) -> int:
        if self.kdf is not None and self.stanzas:
            raise ValueError("a header has either KDF parameters or recipient stanzas, not both")
        return KDF_ARGON2ID if self.kdf is not None else KEY_RECIPIENTS if self.stanzas else KDF_KEY

    def pack(self) -> bytes:
        """The header up to (not including) a version-2 header MAC."""
        parts = [MAGIC, _wire.u8(self.version), _wire.u8(suite_named(self.suite).code), _wire.u8(self.key_type),
                 self.nonce]
        if self.kdf is not None:
            k = self.kdf
            parts += [_wire.u32(k.memory_kib), _wire.u32(k.iterations), _wire.u8(k.lanes), k.salt]
        if self.stanzas:
            if len(self.stanzas) > MAX_RECIPIENTS:
                raise ValueError(f"at most {MAX_RECIPIENTS} recipients")
            parts += [_wire.u8(len(self.stanzas))] + [stanza.pack() for stanza in self.stanzas]
        parts += [self.info.pack(self.version), _wire.u64(self.payload_size)]
        if self.version >= 2:
            parts.append(_wire.u32(self.metadata_size))
        return b"".join(parts)

    @property
    def sealed_size(self) -> int:
        return sealed_size(self.suite, self.payload_size)


def sealed_size(suite: str, payload_size: int) -> int:
    """Bytes that follow the header for a ``payload_size``-byte plaintext under ``suite``."""
    return suite_named(suite).sealed_size(payload_size)


@dataclass(frozen=True)
class Parsed:
    header: Header
    header_bytes: bytes     # the associated data of every suite (version 2: with the header MAC)
    sealed: memoryview      # exactly header.sealed_size bytes
    mac: bytes = b""        # version 2: the header MAC, over header_bytes without it

    @property
    def mac_input(self) -> bytes:
        return self.header_bytes[: len(self.header_bytes) - len(self.mac)]


def parse(blob: bytes) -> Parsed:
    """Parse a whole container; raises FormatError for anything that is not canonical v1 or v2."""
    r = _wire.Reader(blob, "container")
    if r.take(len(MAGIC)) != MAGIC:
        raise FormatError("not a securecomp container (bad magic)")
    version = r.u8()
    if version not in VERSIONS:
        raise FormatError(f"unsupported container version {version}", hint="a newer securecomp may read it")
    header = _read_header(r, version)
    mac = r.take(HEADER_MAC_SIZE) if version >= 2 else b""
    header_size = r.pos
    sealed = r.rest()
    if len(sealed) < header.sealed_size:
        raise FormatError(f"container is truncated: payload has {len(sealed)} of {header.sealed_size} bytes")
    if len(sealed) > header.sealed_size:
        raise FormatError(f"container has {len(sealed) - header.sealed_size} trailing bytes")
    return Parsed(header, bytes(blob[:header_size]), sealed, mac)


def _read_header(r: _wire.Reader, version: int) -> Header:
    suite_code, key_type = r.u8(), r.u8()
    suite = suite_coded(suite_code)
    if suite is None:
        raise FormatError(f"unknown cipher suite code {suite_code}")
    if key_type not in (KDF_KEY, KDF_ARGON2ID, KEY_RECIPIENTS):
        raise FormatError(f"unknown key type code {key_type}")
    nonce = r.take(NONCE_SIZE)
    kdf = _read_kdf(r) if key_type == KDF_ARGON2ID else None
    stanzas = _read_stanzas(r) if key_type == KEY_RECIPIENTS else ()
    info = ImageInfo.read(r, version)
    payload_size = r.u64()
    if payload_size > MAX_PAYLOAD:
        raise FormatError(f"payload of {payload_size} bytes exceeds the limit of {MAX_PAYLOAD}")
    metadata_size = r.u32() if version >= 2 else 0
    if metadata_size > min(payload_size, MAX_METADATA):
        raise FormatError(f"metadata block of {metadata_size} bytes exceeds the payload or {MAX_METADATA} bytes")
    return Header(suite.name, nonce, info, payload_size, kdf, stanzas, metadata_size, version)


def _read_kdf(r: _wire.Reader) -> KdfParams:
    kdf = KdfParams(memory_kib=r.u32(), iterations=r.u32(), lanes=r.u8(), salt=r.take(SALT_SIZE))
    kdf.check()
    return kdf


def _read_stanzas(r: _wire.Reader) -> tuple[Stanza, ...]:
    count = r.u8()
    if not 1 <= count <= MAX_RECIPIENTS:
        raise FormatError(f"recipient count {count} outside 1..{MAX_RECIPIENTS}")
    stanzas = tuple(Stanza(r.take(X25519_SIZE), r.take(WRAPPED_KEY_SIZE)) for _ in range(count))
    for index, stanza in enumerate(stanzas):
        check_public_key(stanza.ephemeral, f"recipient stanza {index}: ephemeral key")
    if len({stanza.ephemeral for stanza in stanzas}) != count:
        raise FormatError("two recipient stanzas share one ephemeral key")
    return stanzas


def check_public_key(raw: bytes, what: str) -> None:
    """Refuse an X25519 public key that is not canonical (u >= 2^255 - 19) or of low order."""
    if int.from_bytes(raw, "little") >= _P25519:
        raise FormatError(f"{what} is not a canonical X25519 public key")
    if raw in _LOW_ORDER:
        raise FormatError(f"{what} is a low-order X25519 point")


# --- the tolerant reader of inspect ------------------------------------------------------------

@dataclass(frozen=True)
class PartialHeader:
    """What :func:`read_partial` read of a container, in reading order, and what stopped it.

    ``fields`` may hold: version, suite, key_type, nonce, kdf (KdfParams), recipients (a count),
    codec, model, quality, mode, width, height, payload_size, metadata_size, header_mac (bytes); a
    field is there only if it was read whole and is valid. ``problem`` is empty when the container
    is whole (then :func:`parse` accepts it); ``truncated`` says the bytes end too early;
    ``expected_size`` is the whole container's size, once the header has told it.
    """

    size: int
    fields: dict[str, Any] = field(default_factory=dict)
    problem: str = ""
    truncated: bool = False
    expected_size: int | None = None


class _Truncated(FormatError):
    """The bytes end inside a field (the tolerant reader's way to tell truncation from damage)."""


class _TolerantReader(_wire.Reader):
    def __init__(self, data: bytes, fields: dict[str, Any]) -> None:
        super().__init__(data, "container")
        self.size = len(data)
        self.fields = fields
        self.at = "magic"           # the field being read

    def take(self, n: int) -> bytes:
        if self.pos + n > self.size:
            raise _Truncated(f"container is truncated: its {self.size} bytes end inside the header "
                             f"(in the {self.at.replace('_', ' ')} field)")
        return super().take(n)

    def keep(self, name: str, value: Any) -> Any:
        self.fields[name] = value
        return value


def read_partial(blob: bytes) -> PartialHeader:
    """Read as much of ``blob``'s header as its bytes hold; never raises for bad bytes.

    Stops at the first field that is cut short or invalid (the rest cannot be located reliably).
    """
    fields: dict[str, Any] = {}
    r = _TolerantReader(bytes(blob), fields)
    try:
        header_size = _read_partial_header(r)
    except _Truncated as exc:
        return PartialHeader(len(blob), fields, str(exc), truncated=True)
    except FormatError as exc:
        problem = str(exc) if r.at == "magic" else f"container is damaged: {exc}"
        return PartialHeader(len(blob), fields, problem)
    expected = header_size + sealed_size(fields["suite"], fields["payload_size"])
    if len(blob) < expected:
        problem = (f"container is truncated: it has {len(blob)} of its {expected} bytes "
                   f"(the encrypted payload lacks {expected - len(blob)})")
        return PartialHeader(len(blob), fields, problem, truncated=True, expected_size=expected)
    if len(blob) > expected:
        problem = f"container is damaged: it has {len(blob) - expected} trailing bytes after its {expected}"
        return PartialHeader(len(blob), fields, problem, expected_size=expected)
    return PartialHeader(len(blob), fields, expected_size=expected)


def _read_partial_header(r: _TolerantReader) -> int:
    """The field-by-field twin of :func:`parse`'s header read; returns the header's size."""
    if not MAGIC.startswith(bytes(r.rest()[: len(MAGIC)])) or r.take(len(MAGIC)) != MAGIC:
        raise FormatError("not a securecomp container (bad magic)")
    r.at = "version"
    version = r.keep("version", r.u8())
    if version not in VERSIONS:
        raise FormatError(f"unsupported container version {version}")
    r.at = "suite"
    suite_code = r.u8()
    suite = suite_coded(suite_code)
    if suite is None:
        raise FormatError(f"unknown cipher suite code {suite_code}")
    r.keep("suite", suite.name)
    r.at = "key_type"
    key_type = r.u8()
    if key_type not in (KDF_KEY, KDF_ARGON2ID, KEY_RECIPIENTS):
        raise FormatError(f"unknown key type code {key_type}")
    r.keep("key_type", key_type)
    r.at = "nonce"
    r.keep("nonce", r.take(NONCE_SIZE))
    if key_type == KDF_ARGON2ID:
        r.at = "Argon2id_parameters"
        r.keep("kdf", _read_kdf(r))
    if key_type == KEY_RECIPIENTS:
        r.at = "recipient_stanzas"
        if r.pos < r.size and 1 <= _next_byte(r) <= MAX_RECIPIENTS:
            r.keep("recipients", _next_byte(r))
        _read_stanzas(r)
    _read_partial_descriptor(r, version)
    r.at = "payload_size"
    payload_size = r.u64()
    if payload_size > MAX_PAYLOAD:
        raise FormatError(f"payload of {payload_size} bytes exceeds the limit of {MAX_PAYLOAD}")
    r.keep("payload_size", payload_size)
    if version >= 2:
        r.at = "metadata_size"
        metadata_size = r.u32()
        if metadata_size > min(payload_size, MAX_METADATA):
            raise FormatError(f"metadata block of {metadata_size} bytes exceeds the payload or {MAX_METADATA} bytes")
        r.keep("metadata_size", metadata_size)
        r.at = "header_MAC"
        r.keep("header_mac", r.take(HEADER_MAC_SIZE))
    return r.pos


def _next_byte(r: _TolerantReader) -> int:
    """The next byte, not consumed."""
    return r.rest()[0]


def _read_partial_descriptor(r: _TolerantReader, version: int) -> None:
    """The image descriptor field by field (the layout of :meth:`ImageInfo.read`)."""
    r.at = "codec"
    r.keep("codec", r.ident("codec id", MAX_CODEC_ID))
    r.at = "model"
    r.keep("model", r.ident("model id", MAX_MODEL_ID, allow_empty=True))
    r.at = "quality"
    quality = r.u8() if version == 1 else r.u16() / QUALITY_STEP
    if not (quality == 0 or 1 <= quality <= MAX_QUALITY):
        raise FormatError(f"quality {quality} is neither 0 (lossless) nor in 1..{MAX_QUALITY}")
    r.keep("quality", ImageInfo("x", "L", 1, 1, quality).quality)
    r.at = "mode"
    mode = r.u8()
    if mode not in MODES:
        raise FormatError(f"unknown image mode code {mode}")
    r.keep("mode", MODES[mode])
    r.at = "width"
    width = r.u32()
    r.at = "height"
    height = r.u32()
    check_size(width, height)
    r.keep("width", width)
    r.keep("height", height)
