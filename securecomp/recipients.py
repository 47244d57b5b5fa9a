"""X25519 recipients (container key_type 3), the way age does it.

An :class:`Identity` is a private X25519 key kept in a one-line identity file; its
:class:`Recipient` is the public key, shared as a ``scpub1...`` bech32 string. To encrypt, a fresh
random 32-byte file key becomes the message's master key, and each recipient gets a stanza: a
one-time (ephemeral) X25519 public key and the file key sealed with ChaCha20-Poly1305 under
``HKDF-SHA256(shared secret, ephemeral pub || recipient pub, "securecomp/v1/x25519")``.
docs/format.md ("Recipients") is the normative description.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from . import _bech32
from ._atomic import atomic_write
from .container import MAX_RECIPIENTS, X25519_SIZE, Stanza, check_public_key
from .errors import DecryptionError, FormatError, ParameterError
from .keys import check_key, decode_secret_line, encode_secret_line, read_secret_file

__all__ = ["Identity", "Recipient", "generate_identity", "parse_recipient", "format_identity",
           "parse_identity", "write_identity_file", "read_identity_file", "wrap", "resolve_recipients"]

RECIPIENT_HRP = "scpub"
IDENTITY_PREFIX = "securecomp-identity-v1"
WRAP_INFO = b"securecomp/v1/x25519"
ZERO_NONCE = bytes(12)      # safe: every wrap key is used for exactly one encryption (format.md)
IDENTITY_HINT = "create an identity with `securecomp keygen --x25519 -o FILE`, or restore it from a backup"
RECIPIENT_HINT = "a recipient looks like scpub1... (64 characters), as printed by `securecomp keygen --x25519`"


@dataclass(frozen=True)
class Recipient:
    """A public X25519 key that messages can be encrypted to; ``str()`` gives ``scpub1...``."""

    public_bytes: bytes

    def __str__(self) -> str:
        return _bech32.encode(RECIPIENT_HRP, self.public_bytes)


class Identity:
    """A private X25519 key; ``identity.recipient`` is the public half to hand out."""

    __slots__ = ("_private",)

    def __init__(self, private: X25519PrivateKey) -> None:
        self._private = private

    @classmethod
    def _from_bytes(cls, raw: bytes) -> Identity:
        return cls(X25519PrivateKey.from_private_bytes(check_key(raw)))

    @property
    def recipient(self) -> Recipient:
        return Recipient(self._private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    def __repr__(self) -> str:          # never shows the private key
        return f"Identity(recipient={str(self.recipient)!r})"

    def unwrap(self, stanzas: Iterable[Stanza]) -> bytes:
        """The file key of the stanzas this identity opens; DecryptionError when none does, or when
        two open to different keys (a sender could otherwise show different recipients different
        images)."""
        own = self.recipient.public_bytes
        keys = set()
        for stanza in stanzas:
            try:
                shared = self._private.exchange(X25519PublicKey.from_public_bytes(stanza.ephemeral))
                keys.add(ChaCha20Poly1305(_wrap_key(shared, stanza.ephemeral, own)).decrypt(
                    ZERO_NONCE, stanza.wrapped, None))
            except (InvalidTag, ValueError):     # ValueError: all-zero shared secret
                continue
        if len(keys) > 1:
            raise DecryptionError("this identity opens two recipient stanzas that hold different file keys",
                                  hint="the container was built to deceive; do not trust its sender")
        if keys:
            return keys.pop()
        raise DecryptionError(
            f"this identity ({self.recipient}) is not among the container's recipients",
            hint="the file was encrypted to other public keys; ask the sender to add your recipient "
                 "(`securecomp encrypt --recipient scpub1...`) or use the identity it was made for")

    def _private_bytes(self) -> bytes:
        return self._private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def generate_identity() -> Identity:
    """A new random identity (X25519 private key from the operating system's randomness)."""
    return Identity(X25519PrivateKey.generate())


# --- wrapping the file key --------------------------------------------------------------------

def _wrap_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=WRAP_INFO)
    return hkdf.derive(shared)


def wrap(file_key: bytes, recipients: Iterable[Recipient]) -> tuple[Stanza, ...]:
    """One stanza per recipient, each with a fresh ephemeral key pair."""
    return tuple(_wrap_to(file_key, recipient, X25519PrivateKey.generate()) for recipient in recipients)


def _wrap_to(file_key: bytes, recipient: Recipient, ephemeral: X25519PrivateKey) -> Stanza:
    """The deterministic core of :func:`wrap`; test vectors inject ``ephemeral`` here."""
    ephemeral_public = ephemeral.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient.public_bytes))
    key = _wrap_key(shared, ephemeral_public, recipient.public_bytes)
    return Stanza(ephemeral_public, ChaCha20Poly1305(key).encrypt(ZERO_NONCE, check_key(file_key), None))


# --- recipient strings ------------------------------------------------------------------------

def parse_recipient(text: str) -> Recipient:
    """A ``scpub1...`` string -> Recipient; ParameterError for anything else."""
    if not isinstance(text, str):
        raise ParameterError(f"a recipient must be a scpub1... string, not {type(text).__name__}", hint=RECIPIENT_HINT)
    try:
        raw = _bech32.decode(RECIPIENT_HRP, text.strip())
    except ValueError as exc:
        raise ParameterError(f"invalid recipient {text.strip()[:80]!r}: {exc}", hint=RECIPIENT_HINT) from None
    if len(raw) != X25519_SIZE:
        raise ParameterError(f"invalid recipient: it holds {len(raw)} bytes, not {X25519_SIZE}", hint=RECIPIENT_HINT)
    try:
        check_public_key(raw, "the recipient")
    except FormatError as exc:
        raise ParameterError(str(exc), hint=RECIPIENT_HINT) from None
    return Recipient(raw)


def resolve_recipients(values: object) -> tuple[Recipient, ...]:
    """The recipients of encrypt(recipients=...): strings or Recipient objects, 1..32, duplicates dropped."""
    if isinstance(values, (str, bytes, Recipient)) or not isinstance(values, Iterable):
        raise ParameterError("recipients= takes a list of recipients", hint="e.g. recipients=[\"scpub1...\"]")
    found = [value if isinstance(value, Recipient) else parse_recipient(value) for value in values]
    unique = tuple(dict.fromkeys(found))
    if not 1 <= len(unique) <= MAX_RECIPIENTS:
        raise ParameterError(f"{len(unique)} recipients: give 1 to {MAX_RECIPIENTS}")
    return unique


# --- identity files ---------------------------------------------------------------------------

def format_identity(identity: Identity) -> str:
    """``securecomp-identity-v1:<base64url private key>:<8 hex digits of SHA-256>`` (one line)."""
    return encode_secret_line(IDENTITY_PREFIX, identity._private_bytes())


def parse_identity(text: str) -> Identity:
    return Identity._from_bytes(decode_secret_line(text, IDENTITY_PREFIX, "identity file", hint=IDENTITY_HINT))


def write_identity_file(path: str | os.PathLike, identity: Identity, *, overwrite: bool = False) -> None:
    """Write an identity file readable by its owner only (mode 0600), atomically."""
    atomic_write(path, (format_identity(identity) + "\n").encode("ascii"), mode=0o600, overwrite=overwrite)


def read_identity_file(path: str | os.PathLike) -> Identity:
    return parse_identity(read_secret_file(path, "identity file"))
