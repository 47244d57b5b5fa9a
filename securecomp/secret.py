"""The one secret an encryption or a decryption takes, as a type (after pyrage's identities and
recipients): :class:`Key`, :class:`Password`, :class:`Recipients` (encrypt) or
:class:`~securecomp.recipients.Identity` (decrypt).

No ``repr`` shows a secret: ``Key(<32 bytes>)``, ``Password(<hidden>)``; recipients are public,
and an identity shows only its recipient. :func:`secret_from` turns the keyword arguments of
:func:`securecomp.encrypt` / :func:`securecomp.decrypt` (``key=``, ``password=``, ``recipients=``,
``identity=``, or ``secret=``) into one of them, and is the one place that checks "exactly one".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import ParameterError
from .keys import check_key
from .recipients import Identity, Recipient, parse_identity, resolve_recipients

__all__ = ["Key", "Password", "Recipients", "Identity", "Secret", "secret_from", "secret_kind", "secret_keywords"]


@dataclass(frozen=True, repr=False)
class Key:
    """A 32-byte master key (:func:`securecomp.generate_key`, a key file)."""

    value: bytes

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", check_key(self.value))

    def __repr__(self) -> str:
        return f"Key(<{len(self.value)} bytes>)"


@dataclass(frozen=True, repr=False)
class Password:
    """A password (str, UTF-8 encoded, or bytes), stretched with Argon2id."""

    value: str | bytes

    def __repr__(self) -> str:
        return "Password(<hidden>)"


@dataclass(frozen=True)
class Recipients:
    """1 to 32 public X25519 keys a fresh file key is wrapped to (public: the repr may show them)."""

    recipients: tuple[Recipient, ...]

    @classmethod
    def of(cls, values: object) -> Recipients:
        """``scpub1...`` strings or :class:`Recipient` objects; duplicates dropped."""
        return cls(resolve_recipients(values))


Secret = Key | Password | Recipients | Identity
_KINDS: dict[type, str] = {Key: "key", Password: "password", Recipients: "recipients", Identity: "identity"}


def secret_kind(secret: Secret) -> str:
    """"key", "password", "recipients" or "identity": the keyword the secret stands for."""
    return _KINDS[type(secret)]


def secret_keywords(secret: Secret) -> dict[str, object]:
    """The secret as the one keyword argument it stands for, e.g. ``{"key": b"..."}``; recipients as
    their ``scpub1...`` strings (for securecomp.batch, whose settings still take that dict)."""
    if isinstance(secret, Recipients):
        return {"recipients": [str(recipient) for recipient in secret.recipients]}
    if isinstance(secret, Identity):
        return {"identity": secret}
    return {secret_kind(secret): secret.value}


def secret_from(*, secret: Secret | None = None, **given: object) -> Secret:
    """The one secret among ``given`` (each keyword: key, password, recipients, identity) or
    ``secret``; ParameterError unless exactly one is not None."""
    named = [name for name, value in given.items() if value is not None]
    if secret is not None:
        if named:
            raise ParameterError(f"give secret= or one of {_names(given)}, not both (got {', '.join(named)})")
        if type(secret) not in _KINDS or secret_kind(secret) not in given:
            raise ParameterError(f"secret= takes one of {', '.join(_class_name(n) for n in given)} here, "
                                 f"not {type(secret).__name__}")
        return secret
    if len(named) != 1:
        raise ParameterError(f"give exactly one of {_names(given)}" + (f" (got {', '.join(named)})" if named else ""))
    return _typed(named[0], given[named[0]])


def _names(given: dict[str, object]) -> str:
    return " or ".join(f"{name}=" for name in given)


def _class_name(kind: str) -> str:
    return {"key": "Key", "password": "Password", "recipients": "Recipients", "identity": "Identity"}[kind]


def _identity(value: object) -> Identity:
    if isinstance(value, str):
        return parse_identity(value)
    if not isinstance(value, Identity):
        raise ParameterError("identity= takes an Identity or a securecomp-identity-v1:... line")
    return value


_CONSTRUCTORS: dict[str, Callable[[Any], Secret]] = {"key": Key, "password": Password, "recipients": Recipients.of,
                                                     "identity": _identity}


def _typed(kind: str, value: object) -> Secret:
    return _CONSTRUCTORS[kind](value)
