"""Bech32 (BIP 173), the checksummed text encoding age uses for its recipients.

``encode(hrp, data)`` gives ``hrp || "1" || data in 5-bit groups || 6-character checksum``, in
lowercase. ``decode`` is strict: one case only, a known alphabet, a valid checksum, at most 90
characters, and canonical padding (fewer than 5 padding bits, all zero). Errors raise ValueError;
callers turn them into the securecomp error that fits.
"""

from __future__ import annotations

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
MAX_LENGTH = 90


def _polymod(values: list[int]) -> int:
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for bit, generator in enumerate(_GENERATOR):
            if top >> bit & 1:
                check ^= generator
    return check


def _expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert(data: bytes | list[int], source: int, target: int, *, pad: bool) -> list[int]:
    accumulator, bits, out = 0, 0, []
    for value in data:
        accumulator = (accumulator << source | value) & 0xFFFFFFFF
        bits += source
        while bits >= target:
            bits -= target
            out.append(accumulator >> bits & (1 << target) - 1)
    if pad and bits:
        out.append(accumulator << target - bits & (1 << target) - 1)
    elif not pad and (bits >= source or accumulator & (1 << bits) - 1):
        raise ValueError("non-canonical padding")
    return out


def encode(hrp: str, data: bytes) -> str:
    words = _convert(data, 8, 5, pad=True)
    checksum = _polymod(_expand(hrp) + words + [0] * 6) ^ 1
    words += [checksum >> 5 * (5 - i) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[w] for w in words)


def decode(hrp: str, text: str) -> bytes:
    """The bytes of a bech32 string whose human-readable part is ``hrp``; ValueError otherwise."""
    if len(text) > MAX_LENGTH:
        raise ValueError(f"longer than {MAX_LENGTH} characters")
    if text.lower() != text and text.upper() != text:
        raise ValueError("mixed upper and lower case")
    text = text.lower()
    if not text.startswith(hrp + "1"):
        raise ValueError(f"does not start with {hrp}1")
    body = text[len(hrp) + 1 :]
    if any(c not in CHARSET for c in body):
        raise ValueError("contains characters outside the bech32 alphabet")
    if len(body) < 6:
        raise ValueError("too short to hold a checksum")
    words = [CHARSET.index(c) for c in body]
    if _polymod(_expand(hrp) + words) != 1:
        raise ValueError("checksum mismatch")
    return bytes(_convert(words[:-6], 5, 8, pad=False))
