"""AES-256-GCM over 64 KiB chunks: the STREAM construction (Hoang–Reyhanitabar–Rogaway–Vizár 2015)
as age uses it.

HAZMAT. Chunk i of a message is sealed under the 12-byte GCM nonce
``prefix (7 bytes) || i (4 bytes, big-endian) || last (1 byte: 0x01 on the final chunk, else 0x00)``
with the container header as associated data, so reordering, dropping, truncating or extending
chunks breaks a tag. A message of n bytes has max(1, ceil(n / 65536)) chunks; only an empty message
has an empty chunk. The key and prefix are per message (HKDF from the master key and the message
nonce), so a (key, GCM nonce) pair never repeats.
"""

from __future__ import annotations

import struct

from cryptography.exceptions import InvalidTag as _GcmInvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .exceptions import InvalidParameter, InvalidTag

__all__ = ["KEY_SIZE", "CHUNK_SIZE", "TAG_SIZE", "PREFIX_SIZE", "seal", "open_", "sealed_size", "chunk_count"]

KEY_SIZE = 32
CHUNK_SIZE = 64 * 1024
TAG_SIZE = 16
PREFIX_SIZE = 7
MAX_CHUNKS = 1 << 32


def chunk_count(plaintext_size: int) -> int:
    return max(1, -(-plaintext_size // CHUNK_SIZE))


def sealed_size(plaintext_size: int) -> int:
    return plaintext_size + TAG_SIZE * chunk_count(plaintext_size)


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", index, 1 if last else 0)


def seal(key: bytes, prefix: bytes, plaintext: bytes | memoryview, associated_data: bytes) -> bytes:
    """Encrypt ``plaintext`` chunk by chunk; returns the concatenated ciphertext+tag chunks."""
    aead, view, n = AESGCM(key), memoryview(plaintext), chunk_count(len(plaintext))
    if n > MAX_CHUNKS:
        raise InvalidParameter("message too long for the chunk counter")
    out = []
    for i in range(n):
        chunk = view[i * CHUNK_SIZE : (i + 1) * CHUNK_SIZE]
        out.append(aead.encrypt(_nonce(prefix, i, i == n - 1), chunk, associated_data))
    return b"".join(out)


def open_(key: bytes, prefix: bytes, sealed: bytes | memoryview, associated_data: bytes, plaintext_size: int) -> bytes:
    """Authenticate and decrypt every chunk; raises InvalidTag before returning anything."""
    if len(sealed) != sealed_size(plaintext_size):
        raise InvalidTag("sealed payload has the wrong length")
    aead, view, n = AESGCM(key), memoryview(sealed), chunk_count(plaintext_size)
    step = CHUNK_SIZE + TAG_SIZE
    out = []
    for i in range(n):
        chunk = view[i * step : (i + 1) * step]
        try:
            out.append(aead.decrypt(_nonce(prefix, i, i == n - 1), chunk, associated_data))
        except _GcmInvalidTag:
            raise InvalidTag(f"chunk {i}: authentication failed") from None
    return b"".join(out)
