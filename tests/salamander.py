"""A two-key AES-GCM payload ("invisible salamanders", Dodis et al. 2018; Albertini et al. 2020):
one ciphertext and tag that authenticate under two keys, for the commitment regression tests.

GCM's tag is GHASH_H(A, C) xor E_K(J0), and GHASH is linear in each ciphertext block, so with one
free block the two keys' tag equations are one linear equation in GF(2^128).
"""

from __future__ import annotations

import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_R = 0xE1 << 120


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
    result, base, exponent = 1 << 127, x, (1 << 128) - 2       # 1 << 127 is GCM's "1"
    while exponent:
        if exponent & 1:
            result = _mul(result, base)
        base, exponent = _mul(base, base), exponent >> 1
    return result


def _power(h: int, n: int) -> int:
    result = h
    for _ in range(n - 1):
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


def two_key_ciphertext(keys: tuple[bytes, bytes], nonces: tuple[bytes, bytes], aad: bytes,
                       blocks: int = 4, free: int = 1) -> bytes:
    """ciphertext || tag of ``blocks`` 16-byte blocks that AES-GCM authenticates under both
    (key, 12-byte nonce) pairs with the same associated data; block ``free`` is solved for."""
    ciphertext = bytearray(bytes(range(16 * blocks)))
    ciphertext[16 * free : 16 * (free + 1)] = bytes(16)
    hs = [_ecb(key, bytes(16)) for key in keys]
    masks = [_ecb(key, nonce + struct.pack(">I", 1)) for key, nonce in zip(keys, nonces)]
    ghash = [_ghash(h, aad, bytes(ciphertext)) for h in hs]
    weight = [_power(h, blocks - free + 1) for h in hs]   # the free block's factor in GHASH: H^(blocks after it + 2)
    value = _mul(ghash[0] ^ ghash[1] ^ masks[0] ^ masks[1], _inverse(weight[0] ^ weight[1]))
    ciphertext[16 * free : 16 * (free + 1)] = value.to_bytes(16, "big")
    tag = _ghash(hs[0], aad, bytes(ciphertext)) ^ masks[0]
    return bytes(ciphertext) + tag.to_bytes(16, "big")
