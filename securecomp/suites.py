"""Cipher suites: how a codec body becomes the authenticated payload of a container.

* ``aes``: AES-256-GCM STREAM (securecomp.hazmat.aead) over the body.
* ``chaos+aes`` (default): ChaosCipher over the body, then AES-256-GCM STREAM over that.
* ``chaos``: ChaosCipher, then HMAC-SHA256(mac key, header || ciphertext) appended (encrypt-then-MAC).

:data:`SUITES` is the one table of them: name, wire code (docs/format.md), sealed size, seal and
open. The container header is the associated data of every suite. :func:`open_payload`
authenticates every byte before it returns anything. This is the recipe layer over
:mod:`securecomp.hazmat`: the primitives' own exceptions become :class:`DecryptionError` and
:class:`ParameterError` here.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import DecryptionError, ParameterError
from .hazmat import aead
from .hazmat.chaos import ChaosCipher
from .hazmat.exceptions import InvalidParameter, InvalidTag

if TYPE_CHECKING:
    from .keys import Subkeys

__all__ = ["Suite", "SUITES", "DEFAULT_SUITE", "HMAC_SIZE", "suite_named", "suite_coded", "check_suite",
           "seal_payload", "open_payload"]

DEFAULT_SUITE = "chaos+aes"
HMAC_SIZE = 32
AUTHENTICATION_FAILED = "authentication failed: wrong key or password, or the file was modified"


@dataclass(frozen=True)
class Suite:
    """One cipher suite. ``seal(keys, nonce, header, body)`` returns the sealed payload;
    ``open(keys, nonce, header, sealed, size)`` the body, or raises the primitives' exceptions."""

    name: str
    code: int                                                           # the header's suite byte
    sealed_size: Callable[[int], int]                                   # payload size -> bytes sealed
    seal: Callable[[Subkeys, bytes, bytes, bytes], bytes]
    open: Callable[[Subkeys, bytes, bytes, memoryview, int], bytes]


def _seal_aes(keys: Subkeys, nonce: bytes, header: bytes, body: bytes) -> bytes:
    return aead.seal(keys.aes, keys.aes_prefix, body, header)


def _open_aes(keys: Subkeys, nonce: bytes, header: bytes, sealed: memoryview, size: int) -> bytes:
    return aead.open_(keys.aes, keys.aes_prefix, sealed, header, size)


def _seal_chaos_aes(keys: Subkeys, nonce: bytes, header: bytes, body: bytes) -> bytes:
    chaotic = ChaosCipher(keys.chaos).encrypt(body, nonce=nonce)
    return aead.seal(keys.aes, keys.aes_prefix, chaotic, header)


def _open_chaos_aes(keys: Subkeys, nonce: bytes, header: bytes, sealed: memoryview, size: int) -> bytes:
    opened = aead.open_(keys.aes, keys.aes_prefix, sealed, header, size)
    return ChaosCipher(keys.chaos).decrypt(opened, nonce=nonce)


def _seal_chaos_hmac(keys: Subkeys, nonce: bytes, header: bytes, body: bytes) -> bytes:
    chaotic = ChaosCipher(keys.chaos).encrypt(body, nonce=nonce)
    return chaotic + hmac.new(keys.mac, header + chaotic, hashlib.sha256).digest()


def _open_chaos_hmac(keys: Subkeys, nonce: bytes, header: bytes, sealed: memoryview, size: int) -> bytes:
    """MAC and decrypt one immutable copy: a shared or mapped buffer that changes between the
    check and the decryption cannot slip unauthenticated bytes through."""
    chaotic, tag = bytes(sealed[:size]), bytes(sealed[size:])
    expected = hmac.new(keys.mac, header + chaotic, hashlib.sha256).digest()
    if len(tag) != HMAC_SIZE or not hmac.compare_digest(expected, tag):
        raise InvalidTag("HMAC-SHA256 mismatch")
    return ChaosCipher(keys.chaos).decrypt(chaotic, nonce=nonce)


SUITES: dict[str, Suite] = {suite.name: suite for suite in (
    Suite("aes", 1, aead.sealed_size, _seal_aes, _open_aes),
    Suite("chaos+aes", 2, aead.sealed_size, _seal_chaos_aes, _open_chaos_aes),
    Suite("chaos", 3, lambda size: size + HMAC_SIZE, _seal_chaos_hmac, _open_chaos_hmac),
)}
_BY_CODE = {suite.code: suite for suite in SUITES.values()}


def check_suite(suite: str) -> str:
    suite_named(suite)
    return suite


def suite_named(name: str) -> Suite:
    """The suite called ``name``; ParameterError for any other name."""
    try:
        return SUITES[name]
    except (KeyError, TypeError):
        raise ParameterError(f"unknown cipher suite {name!r}", hint=f"choose one of {', '.join(SUITES)}") from None


def suite_coded(code: int) -> Suite | None:
    """The suite whose wire code is ``code``, or None (the container reports the FormatError)."""
    return _BY_CODE.get(code)


@contextmanager
def _public_errors() -> Iterator[None]:
    try:
        yield
    except InvalidTag:
        raise DecryptionError(AUTHENTICATION_FAILED) from None
    except InvalidParameter as exc:
        raise ParameterError(str(exc)) from None


def seal_payload(suite: str, keys: Subkeys, nonce: bytes, header: bytes, body: bytes) -> bytes:
    with _public_errors():
        return suite_named(suite).seal(keys, nonce, header, body)


def open_payload(suite: str, keys: Subkeys, nonce: bytes, header: bytes, sealed: memoryview,
                 size: int) -> bytes:
    with _public_errors():
        return suite_named(suite).open(keys, nonce, header, sealed, size)
