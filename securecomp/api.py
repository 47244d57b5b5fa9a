"""encrypt() / decrypt(): codec stage + cipher suite + container (docs/format.md, docs/architecture.md)."""

from __future__ import annotations

import hashlib
import hmac
import os
import warnings
from typing import Any

from PIL import Image

from . import container, metadata
from .codec.bitstream import decode_image, encode_image, resolve_codec
from .codec.info import DEFAULT_MAX_PIXELS, ImageInfo, check_pixels
from .codec.tiling import Progress, reporting_progress
from .container import Header, Parsed, Stanza
from .errors import DecryptionError, LegacyFormatWarning, ParameterError
from .images import to_image
from .keys import NONCE_SIZE, KdfParams, Subkeys, check_kdf_cost, check_key, generate_key, password_key, subkeys
from .recipients import Identity, wrap
from .secret import Key, Password, Recipients, Secret, secret_from
from .suites import AUTHENTICATION_FAILED, DEFAULT_SUITE, check_suite, open_payload, seal_payload

__all__ = ["encrypt", "decrypt"]


def encrypt(image: Any, *, key: bytes | None = None, password: str | bytes | None = None, recipients: Any = None,
            quality: float | None = None, codec: str | None = None, cipher: str = DEFAULT_SUITE,
            secret: Secret | None = None, effort: str = "default", max_bytes: int | None = None,
            keep_metadata: bool = False, progress: Progress | None = None) -> bytes:
    """Compress ``image`` (PIL image, numpy array or path) and seal it in an authenticated container.

    Give exactly one of ``key`` (32 bytes, see :func:`generate_key`), ``password``, or
    ``recipients`` (a list of ``scpub1...`` strings or :class:`~securecomp.recipients.Recipient`;
    a fresh file key is then sealed to each of them with X25519), or the same as ``secret``
    (a :class:`~securecomp.secret.Key`, ``Password`` or ``Recipients``).

    ``quality`` is a real number in [1, 8]; ``max_bytes`` instead picks the highest quality whose
    whole container fits in that many bytes; ``effort="max"`` optimises the learned codec's latents
    for this image. The ICC profile travels (encrypted) with the pixels; EXIF and XMP only with
    ``keep_metadata=True``. ``progress(done, total)`` is called after each 512x512 tile of the
    learned codecs (each trial of ``max_bytes`` counts anew); classical codecs do not call it.
    """
    check_suite(cipher)
    chosen = secret_from(key=key, password=password, recipients=recipients, secret=secret)
    picture = to_image(image)
    extra = metadata.pack(metadata.of_image(picture, keep_metadata=keep_metadata))
    codec_id, level = resolve_codec(picture, codec, quality)
    nonce = os.urandom(NONCE_SIZE)
    kdf: KdfParams | None = None
    stanzas: tuple[Stanza, ...] = ()
    if isinstance(chosen, Recipients):      # a fresh file key, wrapped to every recipient
        master = generate_key()
        stanzas = wrap(master, chosen.recipients)
    elif isinstance(chosen, Password):
        kdf = KdfParams.fresh()
        master = password_key(chosen.value, kdf)
    else:
        assert isinstance(chosen, Key)      # secret_from gives encrypt no Identity
        master = chosen.value

    def sealed(q: float) -> bytes:
        with reporting_progress(progress):
            info, body = encode_image(picture, codec_id, q, effort)
        return _seal_master(info, body, suite=cipher, nonce=nonce, master=master, kdf=kdf, stanzas=stanzas,
                            metadata_block=extra)

    if max_bytes is None:
        return sealed(level)
    from .codec.budget import fit
    from .codec.registry import get_codec

    return fit(sealed, len, max_bytes, lossless=get_codec(codec_id).lossless)[1]


def decrypt(blob: bytes, *, key: bytes | None = None, password: str | bytes | None = None,
            identity: Identity | str | None = None, secret: Secret | None = None,
            max_kdf: KdfParams | None = None, allow_weak_kdf: bool = False,
            allow_legacy: bool = False, max_pixels: int = DEFAULT_MAX_PIXELS,
            progress: Progress | None = None) -> Image.Image:
    """Authenticate and open a container; raises DecryptionError or FormatError, never returns junk.

    Give exactly one of ``key``, ``password`` or ``identity`` (an :class:`~securecomp.recipients.Identity`
    or its ``securecomp-identity-v1:...`` line), or the same as ``secret``. A password container
    whose Argon2id cost is above ``max_kdf`` (default keys.DEFAULT_MAX_KDF: about 2 s and 256 MiB)
    or below securecomp's own defaults (unless ``allow_weak_kdf``) is refused before any work.
    The image's ``info`` holds the ICC profile (and EXIF / XMP) the container carried. A version-1
    container is not key-committing (a sender could make one that opens to different images under
    different keys, or test many passwords at once), so it opens only with ``allow_legacy=True``,
    and then with a LegacyFormatWarning. An image that declares more than ``max_pixels`` pixels
    (default 89,478,485, Pillow's ``MAX_IMAGE_PIXELS``; at most 2**28) raises DecodeLimitError
    before any key is derived or any body decoded. ``progress(done, total)`` is called as the
    learned codecs decode each tile (as in :func:`encrypt`).
    """
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        raise ParameterError("decrypt() takes the container as bytes")
    chosen = secret_from(key=key, password=password, identity=identity, secret=secret)
    parsed = container.parse(blob)
    header = parsed.header
    check_pixels(header.info, max_pixels)
    if header.version == 1 and not allow_legacy:
        raise DecryptionError("this container is format version 1, which is not key-committing; securecomp 0.2 "
                              "opens it only when asked", hint="if you trust its sender, pass allow_legacy=True "
                              "(securecomp decrypt --allow-legacy), then encrypt the image again")
    master = _master_key(header, chosen, max_kdf=max_kdf, allow_weak_kdf=allow_weak_kdf)
    keys = subkeys(master, header.nonce, version=header.version, suite=header.suite, key_type=header.key_type)
    _check_header_mac(parsed, keys)
    payload = open_payload(header.suite, keys, header.nonce, parsed.header_bytes, parsed.sealed, header.payload_size)
    entries = metadata.unpack(payload[: header.metadata_size])
    with reporting_progress(progress):
        image = decode_image(header.info, payload[header.metadata_size :], max_pixels=max_pixels)
    if header.version == 1:
        warnings.warn("opened a format-1 container, which is not key-committing; encrypt the image again "
                      "to upgrade it", LegacyFormatWarning, stacklevel=2)
    return metadata.attach(image, entries)


def _check_header_mac(parsed: Parsed, keys: Subkeys) -> None:
    """Version 2: the header MAC, in constant time, before any payload is opened."""
    if parsed.header.version < 2:
        return
    expected = hmac.new(keys.header, parsed.mac_input, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, parsed.mac):
        raise DecryptionError(AUTHENTICATION_FAILED)


def _seal(info: ImageInfo, body: bytes, *, suite: str, key: bytes | None, password: str | bytes | None,
          nonce: bytes, kdf: KdfParams | None, stanzas: tuple[Stanza, ...] = (), metadata_block: bytes = b"") -> bytes:
    """The deterministic core of :func:`encrypt`; test vectors inject ``nonce``, ``kdf`` and
    ``stanzas`` here (with ``stanzas``, ``key`` is the file key they wrap)."""
    if stanzas or password is None:
        master = check_key(key)
    else:
        assert kdf is not None, "a password needs KDF parameters"
        master = password_key(password, kdf)
    return _seal_master(info, body, suite=suite, nonce=nonce, master=master, kdf=kdf, stanzas=tuple(stanzas),
                        metadata_block=metadata_block)


def _seal_master(info: ImageInfo, body: bytes, *, suite: str, nonce: bytes, master: bytes, kdf: KdfParams | None,
                 stanzas: tuple[Stanza, ...], metadata_block: bytes) -> bytes:
    """Header, header MAC and sealed payload (metadata block + body) under ``master``."""
    header = Header(suite=suite, nonce=nonce, info=info, payload_size=len(metadata_block) + len(body), kdf=kdf,
                    stanzas=stanzas, metadata_size=len(metadata_block))
    unsigned = header.pack()
    keys = subkeys(master, nonce, version=header.version, suite=suite, key_type=header.key_type)
    header_bytes = unsigned + hmac.new(keys.header, unsigned, hashlib.sha256).digest()
    return header_bytes + seal_payload(suite, keys, nonce, header_bytes, metadata_block + body)


_SECRET_HINTS = {
    container.KDF_KEY: ("a key", "use --key-file (key=...)"),
    container.KDF_ARGON2ID: ("a password", "give the password (--password-file or the prompt)"),
    container.KEY_RECIPIENTS: ("public-key recipients", "use --identity FILE (identity=...)"),
}


def _master_key(header: Header, secret: Secret, *, max_kdf: KdfParams | None = None,
                allow_weak_kdf: bool = False) -> bytes:
    kind = header.key_type
    if kind == container.KDF_KEY and isinstance(secret, Key):
        return secret.value
    if kind == container.KDF_ARGON2ID and isinstance(secret, Password) and header.kdf is not None:
        check_kdf_cost(header.kdf, max_kdf=max_kdf, allow_weak=allow_weak_kdf)
        return password_key(secret.value, header.kdf, nfc=header.version >= 2)
    if kind == container.KEY_RECIPIENTS and isinstance(secret, Identity):
        return secret.unwrap(header.stanzas)
    what, how = _SECRET_HINTS[kind]
    raise DecryptionError(f"this container was sealed with {what}, not with the secret given", hint=how)
