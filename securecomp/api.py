"""encrypt() / decrypt(): codec stage + cipher suite + container (GUIDE §1, §3)."""

from __future__ import annotations

import os

from PIL import Image

from . import container
from .codec.bitstream import decode_image, encode_image, resolve_codec
from .container import Header
from .errors import DecryptionError, ParameterError
from .images import to_image
from .keys import NONCE_SIZE, KdfParams, check_key, password_key, subkeys
from .suites import DEFAULT_SUITE, check_suite, open_payload, seal_payload

__all__ = ["encrypt", "decrypt"]


def encrypt(image, *, key: bytes | None = None, password: str | bytes | None = None,
            quality: int | None = None, codec: str | None = None, cipher: str = DEFAULT_SUITE) -> bytes:
    """Compress ``image`` (PIL image, numpy array or path) and seal it in an authenticated container.

    Give exactly one of ``key`` (32 bytes, see :func:`generate_key`) or ``password``.
    """
    check_suite(cipher)
    _check_secret(key, password)
    picture = to_image(image)
    codec_id, quality = resolve_codec(picture, codec, quality)
    info, body = encode_image(picture, codec_id, quality)
    kdf = KdfParams.fresh() if password is not None else None
    return _seal(info, body, suite=cipher, key=key, password=password, nonce=os.urandom(NONCE_SIZE), kdf=kdf)


def decrypt(blob: bytes, *, key: bytes | None = None, password: str | bytes | None = None) -> Image.Image:
    """Authenticate and open a container; raises DecryptionError or FormatError, never returns junk."""
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        raise ParameterError("decrypt() takes the container as bytes")
    _check_secret(key, password)
    parsed = container.parse(blob)
    header = parsed.header
    master = _master_key(header, key, password)
    body = open_payload(header.suite, subkeys(master, header.nonce), header.nonce,
                        parsed.header_bytes, parsed.sealed, header.payload_size)
    return decode_image(header.info, body)


def _seal(info, body: bytes, *, suite: str, key, password, nonce: bytes, kdf: KdfParams | None) -> bytes:
    """The deterministic core of :func:`encrypt`; test vectors inject ``nonce`` and ``kdf`` here."""
    header = Header(suite=suite, nonce=nonce, info=info, payload_size=len(body), kdf=kdf)
    header_bytes = header.pack()
    master = _master_key(header, key, password)
    return header_bytes + seal_payload(suite, subkeys(master, nonce), nonce, header_bytes, body)


def _check_secret(key, password) -> None:
    if (key is None) == (password is None):
        raise ParameterError("give exactly one of key= or password=")
    if key is not None:
        check_key(key)


def _master_key(header: Header, key, password) -> bytes:
    if header.kdf is None:
        if key is None:
            raise DecryptionError("this container was sealed with a key, not a password",
                                  hint="use --key-file (key=...) instead of a password")
        return check_key(key)
    if password is None:
        raise DecryptionError("this container was sealed with a password, not a key",
                              hint="give the password (--password-file or the prompt) instead of a key file")
    return password_key(password, header.kdf)
