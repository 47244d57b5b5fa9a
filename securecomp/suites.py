"""Cipher suites: how a codec body becomes the authenticated payload of a container.

* ``aes``: AES-256-GCM STREAM (securecomp.hazmat.aead) over the body.
* ``chaos+aes`` (default): ChaosCipher over the body, then AES-256-GCM STREAM over that.
* ``chaos``: ChaosCipher, then HMAC-SHA256(mac key, header || ciphertext) appended (encrypt-then-MAC).

The container header is the associated data of every suite. ``open_payload`` authenticates every
byte before it returns anything.
"""

from __future__ import annotations

import hashlib
import hmac

from .container import HMAC_SIZE, SUITES
from .errors import DecryptionError, ParameterError
from .hazmat import aead
from .hazmat.chaos import ChaosCipher
from .keys import Subkeys

DEFAULT_SUITE = "chaos+aes"


def check_suite(suite: str) -> str:
    if suite not in SUITES:
        raise ParameterError(f"unknown cipher suite {suite!r}", hint=f"choose one of {', '.join(SUITES)}")
    return suite


def seal_payload(suite: str, keys: Subkeys, nonce: bytes, header: bytes, body: bytes) -> bytes:
    if suite == "aes":
        return aead.seal(keys.aes, keys.aes_prefix, body, header)
    chaotic = ChaosCipher(keys.chaos).encrypt(body, nonce=nonce)
    if suite == "chaos+aes":
        return aead.seal(keys.aes, keys.aes_prefix, chaotic, header)
    return chaotic + hmac.new(keys.mac, header + chaotic, hashlib.sha256).digest()


def open_payload(suite: str, keys: Subkeys, nonce: bytes, header: bytes, sealed: memoryview,
                 size: int) -> bytes:
    if suite == "chaos":
        chaotic, tag = sealed[:size], sealed[size:]
        expected = hmac.new(keys.mac, header + chaotic, hashlib.sha256).digest()
        if len(tag) != HMAC_SIZE or not hmac.compare_digest(expected, tag):
            raise DecryptionError("authentication failed: wrong key or password, or the file was modified")
        return ChaosCipher(keys.chaos).decrypt(chaotic, nonce=nonce)
    opened = aead.open_(keys.aes, keys.aes_prefix, sealed, header, size)
    if suite == "aes":
        return opened
    return ChaosCipher(keys.chaos).decrypt(opened, nonce=nonce)
