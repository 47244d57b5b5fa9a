"""Bit sequences for the SP800-22 tests: checking, unpacking bytes, sliding m-bit window values."""

from __future__ import annotations

import numpy as np

from ...errors import ParameterError


def bits_from_bytes(data) -> np.ndarray:
    """The bits of ``data`` (bytes or a uint8 array), most significant bit of each byte first."""
    return np.unpackbits(np.frombuffer(bytes(data), dtype=np.uint8) if not isinstance(data, np.ndarray)
                         else data.astype(np.uint8, copy=False).reshape(-1))


def check_bits(bits, *, minimum: int = 1, test: str = "this test") -> np.ndarray:
    """``bits`` as a 1-D uint8 array of zeros and ones with at least ``minimum`` elements."""
    values = np.asarray(bits)
    if values.ndim != 1:
        raise ParameterError(f"{test} takes a 1-D array of bits, got shape {values.shape}",
                             hint="flatten the array, or unpack bytes with bits_from_bytes()")
    if values.dtype != np.uint8:
        if values.dtype != bool and not np.issubdtype(values.dtype, np.integer):
            raise ParameterError(f"{test} takes bits as integers or booleans, not {values.dtype}")
        values = values.astype(np.uint8)
    if values.size and values.max() > 1:
        raise ParameterError(f"{test} takes bits (0 or 1), got the value {int(values.max())}",
                             hint="unpack bytes with bits_from_bytes()")
    if values.size < minimum:
        raise ParameterError(f"{test} needs at least {minimum} bits, got {values.size}")
    return values


def window_values(bits: np.ndarray, length: int, *, wrap: bool) -> np.ndarray:
    """Integer value of the ``length`` bits starting at every position (first bit most significant).

    With ``wrap`` the sequence is extended by its first ``length − 1`` bits, giving n values;
    without, there are n − length + 1.
    """
    source = np.concatenate([bits, bits[: length - 1]]) if wrap else bits
    count = source.size - length + 1
    values = np.zeros(count, dtype=np.int64)
    for offset in range(length):
        values <<= 1
        values |= source[offset : offset + count]
    return values
