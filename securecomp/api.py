"""encrypt() / decrypt(): codec stage + cipher suite + container (docs/format.md, docs/architecture.md)."""

from __future__ import annotations

import os

from PIL import Image

from . import container
from .codec.bitstream import decode_image, encode_image, resolve_codec
from .container import Header, Stanza
from .errors import DecryptionError, ParameterError
from .images import to_image
from .keys import NONCE_SIZE, KdfParams, check_key, generate_key, password_key, subkeys
from .recipients import Identity, parse_identity, resolve_recipients, wrap
from .suites import DEFAULT_SUITE, check_suite, open_payload, seal_payload

__all__ = ["encrypt", "decrypt"]


def encrypt(image, *, key: bytes | None = None, password: str | bytes | None = None, recipients=None,
            quality: int | None = None, codec: str | None = None, cipher: str = DEFAULT_SUITE) -> bytes:
    """Compress ``image`` (PIL image, numpy array or path) and seal it in an authenticated container.

    Give exactly one of ``key`` (32 bytes, see :func:`generate_key`), ``password``, or
    ``recipients`` (a list of ``scpub1...`` strings or :class:`~securecomp.recipients.Recipient`;
    a fresh file key is then sealed to each of them with X25519).
    """
    check_suite(cipher)
    _check_one(key=key, password=password, recipients=recipients)
    targets = resolve_recipients(recipients) if recipients is not None else ()
    if key is not None:
        check_key(key)
    picture = to_image(image)
    codec_id, quality = resolve_codec(picture, codec, quality)
    info, body = encode_image(picture, codec_id, quality)
    kdf = KdfParams.fresh() if password is not None else None
    if targets:                         # a fresh file key, wrapped to every recipient
        key = generate_key()
    return _seal(info, body, suite=cipher, key=key, password=password, nonce=os.urandom(NONCE_SIZE), kdf=kdf,
                 stanzas=wrap(key, targets))


def decrypt(blob: bytes, *, key: bytes | None = None, password: str | bytes | None = None,
            identity: Identity | str | None = None) -> Image.Image:
    """Authenticate and open a container; raises DecryptionError or FormatError, never returns junk.

    Give exactly one of ``key``, ``password`` or ``identity`` (an :class:`~securecomp.recipients.Identity`
    or its ``securecomp-identity-v1:...`` line).
    """
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        raise ParameterError("decrypt() takes the container as bytes")
    _check_one(key=key, password=password, identity=identity)
    if key is not None:
        check_key(key)
    if isinstance(identity, str):
        identity = parse_identity(identity)
    elif identity is not None and not isinstance(identity, Identity):
        raise ParameterError("identity= takes an Identity or a securecomp-identity-v1:... line")
    parsed = container.parse(blob)
    header = parsed.header
    master = _master_key(header, key, password, identity)
    body = open_payload(header.suite, subkeys(master, header.nonce), header.nonce,
                        parsed.header_bytes, parsed.sealed, header.payload_size)
    return decode_image(header.info, body)


def _seal(info, body: bytes, *, suite: str, key, password, nonce: bytes, kdf: KdfParams | None,
          stanzas: tuple[Stanza, ...] = ()) -> bytes:
    """The deterministic core of :func:`encrypt`; test vectors inject ``nonce``, ``kdf`` and
    ``stanzas`` here (with ``stanzas``, ``key`` is the file key they wrap)."""
    header = Header(suite=suite, nonce=nonce, info=info, payload_size=len(body), kdf=kdf, stanzas=tuple(stanzas))
    header_bytes = header.pack()
    master = check_key(key) if stanzas else _master_key(header, key, password, None)
    return header_bytes + seal_payload(suite, subkeys(master, nonce), nonce, header_bytes, body)


def _check_one(**secrets) -> None:
    given = [name for name, value in secrets.items() if value is not None]
    if len(given) != 1:
        names = " or ".join(f"{name}=" for name in secrets)
        raise ParameterError(f"give exactly one of {names}" + (f" (got {', '.join(given)})" if given else ""))


_SECRET_HINTS = {
    container.KDF_KEY: ("a key", "use --key-file (key=...)"),
    container.KDF_ARGON2ID: ("a password", "give the password (--password-file or the prompt)"),
    container.KEY_RECIPIENTS: ("public-key recipients", "use --identity FILE (identity=...)"),
}


def _master_key(header: Header, key, password, identity) -> bytes:
    kind = header.key_type
    given = {container.KDF_KEY: key, container.KDF_ARGON2ID: password, container.KEY_RECIPIENTS: identity}[kind]
    if given is None:
        what, how = _SECRET_HINTS[kind]
        raise DecryptionError(f"this container was sealed with {what}, not with the secret given", hint=how)
    if kind == container.KDF_KEY:
        return check_key(key)
    if kind == container.KDF_ARGON2ID:
        return password_key(password, header.kdf)
    return identity.unwrap(header.stanzas)
