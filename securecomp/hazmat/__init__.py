"""Hazardous materials: the low-level primitives under the container, for those who know why.

Everything here takes and returns raw bytes: no file format, no key management, no passwords, and
(for :mod:`~securecomp.hazmat.chaos`) no integrity. A misuse, such as a repeated nonce, a key
used for two purposes or an unauthenticated ChaosCipher ciphertext, is not caught and can lose
confidentiality. Use :func:`securecomp.encrypt` / :func:`securecomp.decrypt` unless you are
studying or testing the primitives themselves.

* :mod:`~securecomp.hazmat.aead`: AES-256-GCM over 64 KiB chunks (the STREAM construction).
* :mod:`~securecomp.hazmat.chaos`: ChaosCipher, the logistic-map permutation–diffusion cipher.

Like ``cryptography.hazmat``, this package depends on nothing of securecomp outside itself. Its
primitives raise only the exceptions of :mod:`~securecomp.hazmat.exceptions` (``InvalidTag``, and
``InvalidParameter``, a ``ValueError``); :mod:`securecomp.suites` turns them into the public
:mod:`securecomp.errors` hierarchy, with its command-line hints and exit codes.
"""
