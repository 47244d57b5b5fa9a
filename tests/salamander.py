"""Multi-key AES-GCM payloads ("invisible salamanders", Dodis et al. 2018; Albertini et al. 2020;
partitioning oracles, Len, Grubbs and Ristenpart 2021): one ciphertext and tag that authenticate
under k keys, for the commitment and partitioning regression tests.

GCM's tag is GHASH_H(A, C) xor E_K(J0), and GHASH is linear in each ciphertext block, so with k - 1
free blocks and the tag as unknowns the k keys' tag equations are a k × k linear system over
GF(2^128) (row i: the free blocks' factors H_i^w and 1 for the tag). Len et al. fix the tag and
interpolate a polynomial through k points instead (k free blocks); either gives such a payload.

:func:`partition_container` wraps such a payload in a real format-2 password container whose
payload authenticates under every one of k candidate passwords.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from securecomp.codec.info import ImageInfo
from securecomp.container import HEADER_MAC_SIZE, Header
from securecomp.keys import KdfParams, password_key, subkeys

_R = 0xE1 << 120
_ONE = 1 << 127             # GCM's "1" (bit-reflected)


def _mul(x: int, y: int) -> int:
    """Multiplication in GCM's GF(2^128) (bit-reflected, NIST SP 800-38D algorithm 1)."""
    z, v = 0, x
    for i in range(127, -1, -1):
        if (y >> i) & 1:
            z ^= v
        v = (v >> 1) ^ _R if v & 1 else v >> 1
    return z


def _inverse(x: int) -> int:
    """x^(2^128 - 2), the multiplicative inverse."""
    result, base, exponent = _ONE, x, (1 << 128) - 2
    while exponent:
        if exponent & 1:
            result = _mul(result, base)
        base, exponent = _mul(base, base), exponent >> 1
    return result


def _power(h: int, n: int) -> int:
    result = _ONE
    for _ in range(n):
        result = _mul(result, h)
    return result


def _blocks(data: bytes) -> list[int]:
    padded = data + bytes(-len(data) % 16)
    return [int.from_bytes(padded[i : i + 16], "big") for i in range(0, len(padded), 16)]


def _ghash(h: int, aad: bytes, ciphertext: bytes) -> int:
    y = 0
    for block in _blocks(aad) + _blocks(ciphertext) + [(len(aad) * 8 << 64) | (len(ciphertext) * 8)]:
        y = _mul(y ^ block, h)
    return y


def _ecb(key: bytes, block: bytes) -> int:
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return int.from_bytes(encryptor.update(block) + encryptor.finalize(), "big")


def _solve(matrix: list[list[int]], rhs: list[int]) -> list[int]:
    """Gaussian elimination over GF(2^128): the x with matrix · x = rhs (ValueError if singular)."""
    n = len(rhs)
    rows = [row[:] + [value] for row, value in zip(matrix, rhs)]
    for column in range(n):
        pivot = next((r for r in range(column, n) if rows[r][column]), None)
        if pivot is None:
            raise ValueError("singular system: choose other free blocks")
        rows[column], rows[pivot] = rows[pivot], rows[column]
        scale = _inverse(rows[column][column])
        rows[column] = [_mul(value, scale) for value in rows[column]]
        for r in range(n):
            if r != column and rows[r][column]:
                factor = rows[r][column]
                rows[r] = [a ^ _mul(factor, b) for a, b in zip(rows[r], rows[column])]
    return [row[n] for row in rows]


def multi_key_ciphertext(keys: Sequence[bytes], nonces: Sequence[bytes], aad: bytes, blocks: int | None = None,
                         free: Sequence[int] | None = None) -> bytes:
    """ciphertext || tag of ``blocks`` 16-byte blocks (default: one more than there are keys) that
    AES-GCM authenticates under every (key, 12-byte nonce) pair with the same associated data.
    The ``len(keys) - 1`` blocks at indices ``free`` (default 1, 2, ...) and the tag are solved for;
    the other blocks are fixed bytes 0, 1, 2, ... (mod 256)."""
    k = len(keys)
    blocks = k + 1 if blocks is None else blocks
    free = list(range(1, k)) if free is None else list(free)
    if len(nonces) != k or len(free) != k - 1 or len(set(free)) != k - 1 or not all(0 <= f < blocks for f in free):
        raise ValueError("need one nonce per key and len(keys) - 1 distinct free block indices")
    ciphertext = bytearray(i % 256 for i in range(16 * blocks))
    for index in free:
        ciphertext[16 * index : 16 * (index + 1)] = bytes(16)
    hs = [_ecb(key, bytes(16)) for key in keys]
    masks = [_ecb(key, nonce + struct.pack(">I", 1)) for key, nonce in zip(keys, nonces)]
    # Block j of n is multiplied by H^(n - j + 1) in GHASH (the length block follows it with H^1).
    matrix = [[_power(h, blocks - index + 1) for index in free] + [_ONE] for h in hs]
    rhs = [_ghash(h, aad, bytes(ciphertext)) ^ mask for h, mask in zip(hs, masks)]
    *values, tag = _solve(matrix, rhs)
    for index, value in zip(free, values):
        ciphertext[16 * index : 16 * (index + 1)] = value.to_bytes(16, "big")
    assert all(_ghash(h, aad, bytes(ciphertext)) ^ mask == tag for h, mask in zip(hs, masks))
    return bytes(ciphertext) + tag.to_bytes(16, "big")


def two_key_ciphertext(keys: tuple[bytes, bytes], nonces: tuple[bytes, bytes], aad: bytes,
                       blocks: int = 4, free: int = 1) -> bytes:
    """ciphertext || tag of ``blocks`` 16-byte blocks that AES-GCM authenticates under both
    (key, 12-byte nonce) pairs with the same associated data; block ``free`` is solved for."""
    return multi_key_ciphertext(keys, nonces, aad, blocks, [free])


@dataclass(frozen=True)
class Partition:
    """A password container whose payload AES-GCM accepts under each of ``passwords``."""

    blob: bytes
    passwords: tuple[str, ...]
    masters: tuple[bytes, ...]        # each password's Argon2id master key
    mac_password: int | None          # the candidate the header MAC holds under (version 2), if any
    header_bytes: bytes               # the associated data (version 2: with the header MAC)
    gcm: tuple[tuple[bytes, bytes], ...]    # each candidate's (AES-256 key, 12-byte GCM nonce)


def partition_container(passwords: Sequence[str], *, kdf: KdfParams, nonce: bytes, suite: str = "chaos+aes",
                        version: int = 2, mac_password: int | None = 0, masters: Sequence[bytes] | None = None,
                        width: int = 32, height: int = 24) -> Partition:
    """A container (key_type 2, one GCM chunk) whose payload authenticates under every candidate
    password: what a partitioning-oracle attacker sends. The header MAC (version 2) can hold under
    one key at most: it is made under candidate ``mac_password`` (None: 32 zero bytes). ``masters``
    reuses already derived master keys (Argon2id of each password under ``kdf``)."""
    if masters is None:
        masters = [password_key(password, kdf) for password in passwords]
    payload_size = 16 * len(passwords)          # k blocks of ciphertext, + the 16-byte tag
    info = ImageInfo(codec="png", mode="RGB", width=width, height=height)
    header = Header(suite=suite, nonce=nonce, info=info, payload_size=payload_size, kdf=kdf,
                    version=version)
    unsigned = header.pack()
    keys = [subkeys(master, nonce, version=version, suite=suite, key_type=header.key_type) for master in masters]
    if version < 2:
        header_bytes = unsigned
    elif mac_password is None:
        header_bytes = unsigned + bytes(HEADER_MAC_SIZE)
    else:
        header_bytes = unsigned + hmac.new(keys[mac_password].header, unsigned, hashlib.sha256).digest()
    gcm = tuple((k.aes, k.aes_prefix + struct.pack(">IB", 0, 1)) for k in keys)     # chunk 0, the last
    sealed = multi_key_ciphertext([key for key, _ in gcm], [n for _, n in gcm], header_bytes,
                                  blocks=len(passwords))
    return Partition(header_bytes + sealed, tuple(passwords), tuple(masters), mac_password if version >= 2 else None,
                     header_bytes, gcm)
