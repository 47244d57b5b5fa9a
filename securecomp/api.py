"""encrypt() / decrypt(): codec stage + cipher suite + container (docs/format.md, docs/architecture.md)."""

from __future__ import annotations

import os
from typing import Any

from PIL import Image

from . import container
from .codec.bitstream import decode_image, encode_image, resolve_codec
from .codec.info import ImageInfo
from .container import Header, Stanza
from .errors import DecryptionError, ParameterError
from .images import to_image
from .keys import NONCE_SIZE, KdfParams, check_key, generate_key, password_key, subkeys
from .recipients import Identity, wrap
from .secret import Key, Password, Recipients, Secret, secret_from
from .suites import DEFAULT_SUITE, check_suite, open_payload, seal_payload

__all__ = ["encrypt", "decrypt"]


def encrypt(image: Any, *, key: bytes | None = None, password: str | bytes | None = None, recipients: Any = None,
            quality: float | None = None, codec: str | None = None, cipher: str = DEFAULT_SUITE,
            secret: Secret | None = None) -> bytes:
    """Compress ``image`` (PIL image, numpy array or path) and seal it in an authenticated container.

    Give exactly one of ``key`` (32 bytes, see :func:`generate_key`), ``password``, or
    ``recipients`` (a list of ``scpub1...`` strings or :class:`~securecomp.recipients.Recipient`;
    a fresh file key is then sealed to each of them with X25519), or the same as ``secret``
    (a :class:`~securecomp.secret.Key`, ``Password`` or ``Recipients``).
    """
    check_suite(cipher)
    chosen = secret_from(key=key, password=password, recipients=recipients, secret=secret)
    picture = to_image(image)
    codec_id, level = resolve_codec(picture, codec, quality)
    info, body = encode_image(picture, codec_id, level)
    nonce = os.urandom(NONCE_SIZE)
    if isinstance(chosen, Recipients):      # a fresh file key, wrapped to every recipient
        file_key = generate_key()
        return _seal(info, body, suite=cipher, key=file_key, password=None, nonce=nonce, kdf=None,
                     stanzas=wrap(file_key, chosen.recipients))
    if isinstance(chosen, Password):
        return _seal(info, body, suite=cipher, key=None, password=chosen.value, nonce=nonce, kdf=KdfParams.fresh())
    assert isinstance(chosen, Key)          # secret_from gives encrypt no Identity
    return _seal(info, body, suite=cipher, key=chosen.value, password=None, nonce=nonce, kdf=None)


def decrypt(blob: bytes, *, key: bytes | None = None, password: str | bytes | None = None,
            identity: Identity | str | None = None, secret: Secret | None = None) -> Image.Image:
    """Authenticate and open a container; raises DecryptionError or FormatError, never returns junk.

    Give exactly one of ``key``, ``password`` or ``identity`` (an :class:`~securecomp.recipients.Identity`
    or its ``securecomp-identity-v1:...`` line), or the same as ``secret``.
    """
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        raise ParameterError("decrypt() takes the container as bytes")
    chosen = secret_from(key=key, password=password, identity=identity, secret=secret)
    parsed = container.parse(blob)
    header = parsed.header
    master = _master_key(header, chosen)
    body = open_payload(header.suite, subkeys(master, header.nonce), header.nonce,
                        parsed.header_bytes, parsed.sealed, header.payload_size)
    return decode_image(header.info, body)


def _seal(info: ImageInfo, body: bytes, *, suite: str, key: bytes | None, password: str | bytes | None,
          nonce: bytes, kdf: KdfParams | None, stanzas: tuple[Stanza, ...] = ()) -> bytes:
    """The deterministic core of :func:`encrypt`; test vectors inject ``nonce``, ``kdf`` and
    ``stanzas`` here (with ``stanzas``, ``key`` is the file key they wrap)."""
    header = Header(suite=suite, nonce=nonce, info=info, payload_size=len(body), kdf=kdf, stanzas=tuple(stanzas))
    header_bytes = header.pack()
    master = check_key(key) if stanzas else _master_key(header, secret_from(key=key, password=password))
    return header_bytes + seal_payload(suite, subkeys(master, nonce), nonce, header_bytes, body)


_SECRET_HINTS = {
    container.KDF_KEY: ("a key", "use --key-file (key=...)"),
    container.KDF_ARGON2ID: ("a password", "give the password (--password-file or the prompt)"),
    container.KEY_RECIPIENTS: ("public-key recipients", "use --identity FILE (identity=...)"),
}


def _master_key(header: Header, secret: Secret) -> bytes:
    kind = header.key_type
    if kind == container.KDF_KEY and isinstance(secret, Key):
        return secret.value
    if kind == container.KDF_ARGON2ID and isinstance(secret, Password) and header.kdf is not None:
        return password_key(secret.value, header.kdf)
    if kind == container.KEY_RECIPIENTS and isinstance(secret, Identity):
        return secret.unwrap(header.stanzas)
    what, how = _SECRET_HINTS[kind]
    raise DecryptionError(f"this container was sealed with {what}, not with the secret given", hint=how)
