"""Keys: random master keys, key files, password stretching (Argon2id) and HKDF subkeys.

Every message derives its own subkeys with HKDF-SHA256 from the 32-byte master key, salted by the
message's fresh random 128-bit nonce: ``chaos`` (32 bytes), ``aes`` (32-byte key + 7-byte STREAM
prefix), ``mac`` (32 bytes) and, from container version 2, ``header`` (32 bytes, the header MAC
that commits the container to its key). Version 2 labels name the suite and key type too.
docs/format.md gives the exact labels.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import unicodedata
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ._atomic import atomic_write
from .errors import DecryptionError, FormatError, KeyFileError, ParameterError
from .hazmat import aead, chaos

__all__ = ["generate_key", "KEY_SIZE", "NONCE_SIZE", "KdfParams", "password_key", "check_kdf_cost",
           "DEFAULT_MAX_KDF", "Subkeys", "subkeys",
           "format_key", "parse_key", "write_key_file", "read_key_file", "encode_secret_line",
           "decode_secret_line", "read_secret_file", "readable_by_others"]

KEY_SIZE = 32
NONCE_SIZE = 16
SALT_SIZE = 16
MAC_KEY_SIZE = 32       # HMAC-SHA256 key of the `chaos` suite
HEADER_MAC_SIZE = 32    # HMAC-SHA256 key and tag of the version-2 header MAC
KEY_FILE_PREFIX = "securecomp-key-v1"
MAX_KEY_FILE = 4096


def generate_key() -> bytes:
    """32 random bytes from the operating system."""
    return secrets.token_bytes(KEY_SIZE)


def check_key(key: object) -> bytes:
    if not isinstance(key, (bytes, bytearray)) or len(key) != KEY_SIZE:
        given = f", not {len(key)}" if isinstance(key, (bytes, bytearray)) else f", not a {type(key).__name__}"
        raise ParameterError(f"a key must be {KEY_SIZE} bytes{given}",
                             hint="use securecomp.generate_key() or a key file")
    return bytes(key)


# --- passwords -------------------------------------------------------------------------------

MAX_MEMORY_KIB = 1 << 20      # 1 GiB
MAX_ITERATIONS = 10
MAX_LANES = 16


@dataclass(frozen=True)
class KdfParams:
    """Argon2id parameters as stored in the container header."""

    memory_kib: int = 64 * 1024    # RFC 9106, second recommended option
    iterations: int = 3
    lanes: int = 4
    salt: bytes = b""

    @classmethod
    def fresh(cls, **overrides: int) -> KdfParams:
        return cls(salt=os.urandom(SALT_SIZE), **overrides)

    def check(self) -> None:
        """Refuse parameters a hostile header could use to exhaust memory or time."""
        if not 1 <= self.lanes <= MAX_LANES:
            raise FormatError(f"Argon2id lanes {self.lanes} outside 1..{MAX_LANES}")
        if not 8 * self.lanes <= self.memory_kib <= MAX_MEMORY_KIB:
            raise FormatError(f"Argon2id memory {self.memory_kib} KiB outside {8 * self.lanes}..{MAX_MEMORY_KIB}")
        if not 1 <= self.iterations <= MAX_ITERATIONS:
            raise FormatError(f"Argon2id iterations {self.iterations} outside 1..{MAX_ITERATIONS}")
        if len(self.salt) != SALT_SIZE:
            raise FormatError(f"Argon2id salt must be {SALT_SIZE} bytes")


DEFAULT_MAX_KDF = KdfParams(memory_kib=256 * 1024, iterations=4, lanes=MAX_LANES)   # about 2 s, 256 MiB here
MIN_KDF = KdfParams()                                                               # the writer's defaults


def check_kdf_cost(params: KdfParams, *, max_kdf: KdfParams | None = None, allow_weak: bool = False) -> None:
    """Refuse, before any work, an Argon2id cost above ``max_kdf`` (a hostile header would burn the
    reader's time and memory) or below the writer's defaults (cheap keys make a container that
    authenticates under many candidate passwords cheap to build), unless ``allow_weak``."""
    limit = DEFAULT_MAX_KDF if max_kdf is None else max_kdf
    work, allowed = params.memory_kib * params.iterations, limit.memory_kib * limit.iterations
    if params.memory_kib > limit.memory_kib or work > allowed:
        raise DecryptionError(f"the container asks for Argon2id with {params.memory_kib} KiB × {params.iterations} "
                              f"passes, more than this reader allows ({limit.memory_kib} KiB × {limit.iterations})",
                              hint="if you trust the sender, raise max_kdf (decrypt(..., max_kdf=KdfParams(...)))")
    if not allow_weak and (params.memory_kib < MIN_KDF.memory_kib or params.iterations < MIN_KDF.iterations):
        raise DecryptionError(f"the container's Argon2id cost ({params.memory_kib} KiB × {params.iterations} "
                              f"passes) is below securecomp's own ({MIN_KDF.memory_kib} KiB × {MIN_KDF.iterations})",
                              hint="securecomp never writes such a file; if you made it, pass allow_weak_kdf=True")


def password_key(password: str | bytes, params: KdfParams, *, nfc: bool = True) -> bytes:
    """The 32-byte master key of a password (UTF-8; a str NFC-normalised first, so the same
    password typed on another system gives the same key; version-1 containers used it as given),
    after checking ``params`` against the format's limits."""
    params.check()
    if isinstance(password, str):
        password = unicodedata.normalize("NFC", password) if nfc else password
    secret = password.encode("utf-8") if isinstance(password, str) else bytes(password)
    if not secret:
        raise ParameterError("the password is empty")
    kdf = Argon2id(salt=params.salt, length=KEY_SIZE, iterations=params.iterations,
                   lanes=params.lanes, memory_cost=params.memory_kib)
    return kdf.derive(secret)


# --- per-message subkeys ----------------------------------------------------------------------

@dataclass(frozen=True)
class Subkeys:
    chaos: bytes
    aes: bytes
    aes_prefix: bytes
    mac: bytes
    header: bytes = b""     # version 2: the header MAC's key

    def __repr__(self) -> str:          # never shows a key
        return "Subkeys(...)"


def _hkdf(master: bytes, nonce: bytes, label: str, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=nonce, info=label.encode("ascii")).derive(master)


def subkeys(master: bytes, nonce: bytes, *, version: int = 2, suite: str = "", key_type: int = 0) -> Subkeys:
    """The message's subkeys. Version 1 labels are ``securecomp/v1/<purpose>``; version 2 labels
    ``securecomp/v2/<suite>/<key type>/<purpose>``, so no two suites or key types share a key."""
    prefix = "securecomp/v1/" if version == 1 else f"securecomp/v2/{suite}/{key_type}/"
    aes = _hkdf(master, nonce, prefix + "aes", aead.KEY_SIZE + aead.PREFIX_SIZE)
    return Subkeys(chaos=_hkdf(master, nonce, prefix + "chaos", chaos.KEY_SIZE), aes=aes[: aead.KEY_SIZE],
                   aes_prefix=aes[aead.KEY_SIZE :], mac=_hkdf(master, nonce, prefix + "mac", MAC_KEY_SIZE),
                   header=_hkdf(master, nonce, prefix + "header", HEADER_MAC_SIZE) if version >= 2 else b"")


# --- key files --------------------------------------------------------------------------------

def _checksum(prefix: str, secret: bytes) -> str:
    return hashlib.sha256(prefix.encode() + b":" + secret).hexdigest()[:8]


def format_key(key: bytes) -> str:
    """``securecomp-key-v1:<base64url key>:<8 hex digits of SHA-256>`` (one line, no newline)."""
    return encode_secret_line(KEY_FILE_PREFIX, check_key(key))


def parse_key(text: str) -> bytes:
    return decode_secret_line(text, KEY_FILE_PREFIX, "key file")


_SECRET_LINES = {"securecomp-key-": ("key file", "--key-file (key=...)"),
                 "securecomp-identity-": ("identity file", "--identity (identity=...)")}


def encode_secret_line(prefix: str, secret: bytes) -> str:
    """``<prefix>:<base64url secret, no padding>:<first 8 hex digits of SHA-256(prefix:secret)>``."""
    encoded = base64.urlsafe_b64encode(secret).rstrip(b"=").decode("ascii")
    return f"{prefix}:{encoded}:{_checksum(prefix, secret)}"


def decode_secret_line(text: str, prefix: str, what: str, *, hint: str | None = None) -> bytes:
    """The 32-byte secret of a line made by :func:`encode_secret_line`; KeyFileError otherwise."""
    family = prefix.rsplit("-", 1)[0] + "-"     # "securecomp-key-", "securecomp-identity-"
    parts = text.strip().split(":")
    if len(parts) != 3 or not parts[0].startswith(family):
        for other, (kind, option) in _SECRET_LINES.items():
            if other != family and parts[0].startswith(other):
                raise KeyFileError(f"this is a securecomp {kind}; expected: a {what}", hint=f"give it with {option}")
        raise KeyFileError(f"not a securecomp {what}", hint=hint)
    if parts[0] != prefix:
        raise KeyFileError(f"unsupported {what} version {parts[0]!r}", hint="upgrade securecomp to read it")
    try:
        secret = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
    except (binascii.Error, ValueError):
        raise KeyFileError(f"{what} is damaged: the key is not valid base64url", hint=hint) from None
    if len(secret) != KEY_SIZE:
        raise KeyFileError(f"{what} holds a {len(secret)}-byte key; a securecomp key is {KEY_SIZE} bytes", hint=hint)
    if not hmac.compare_digest(encode_secret_line(prefix, secret), ":".join(parts)):
        raise KeyFileError(f"{what} is damaged: checksum mismatch", hint=hint)
    return secret


def write_key_file(path: str | os.PathLike, key: bytes, *, overwrite: bool = False) -> None:
    """Write a key file readable by its owner only (mode 0600), atomically."""
    atomic_write(path, (format_key(key) + "\n").encode("ascii"), mode=0o600, overwrite=overwrite)


def readable_by_others(path: str | os.PathLike) -> bool:
    """True when the file's group or others may read it (mode & 0o044), as ssh refuses for a private
    key; False when it cannot be examined (reading it then reports why)."""
    try:
        return bool(os.stat(path).st_mode & 0o044)
    except OSError:
        return False


def read_key_file(path: str | os.PathLike) -> bytes:
    return parse_key(read_secret_file(path, "key file"))


def read_secret_file(path: str | os.PathLike, what: str) -> str:
    """The text of a small one-line secret file (key file, identity file); KeyFileError otherwise."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_KEY_FILE + 1)
    except OSError as exc:
        raise KeyFileError(f"cannot read {what} {path}: {exc.strerror}") from None
    if len(raw) > MAX_KEY_FILE:
        raise KeyFileError(f"{path} is too large to be a {what}")
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        raise KeyFileError(f"{path} is not a securecomp {what}") from None
