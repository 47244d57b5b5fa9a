"""The exceptions of the hazmat primitives (after ``cryptography.exceptions``).

They carry no command-line hint or exit code: :mod:`securecomp.suites` translates them into
:class:`securecomp.errors.DecryptionError` and :class:`securecomp.errors.ParameterError`.
"""

from __future__ import annotations

__all__ = ["InvalidTag", "InvalidParameter"]


class InvalidTag(Exception):
    """Authentication failed: wrong key, nonce or associated data, or modified ciphertext."""


class InvalidParameter(ValueError):
    """A key, nonce or message outside what the primitive accepts (a size, a type)."""
