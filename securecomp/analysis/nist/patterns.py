"""SP800-22 rev1a tests 2.11 and 2.12: serial and approximate entropy.

Both count every overlapping m-bit pattern of the sequence extended by its first m − 1 bits; the
counts for m − 1 and m − 2 bits are the m-bit windows shifted right.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gammaincc

from ._bits import check_bits, window_values

__all__ = ["serial", "approximate_entropy"]


def _pattern_counts(bits: np.ndarray, length: int) -> list[np.ndarray]:
    """Counts of all patterns of ``length``, ``length − 1``, ... 1 bits (wrapping around)."""
    windows = window_values(bits, length, wrap=True)
    return [np.bincount(windows >> drop, minlength=1 << (length - drop)) for drop in range(length)]


def serial(bits, *, pattern_length: int = 16) -> tuple[float, float]:
    """2.11 Serial: are all overlapping patterns of ``pattern_length`` bits equally common? (P1, P2)"""
    values = check_bits(bits, minimum=pattern_length, test="the serial test")
    if pattern_length < 3:
        return _serial_p_values(values, pattern_length, _pattern_counts(values, pattern_length) + [None, None])
    return _serial_p_values(values, pattern_length, _pattern_counts(values, pattern_length))


def _serial_p_values(values: np.ndarray, m: int, counts: list) -> tuple[float, float]:
    n = values.size
    psi = [_psi_squared(counts[drop], m - drop, n) for drop in range(3)]
    first = psi[0] - psi[1]
    second = psi[0] - 2 * psi[1] + psi[2]
    return float(gammaincc(2.0 ** (m - 2), first / 2.0)), float(gammaincc(2.0 ** (m - 3), second / 2.0))


def _psi_squared(counts, length: int, n: int) -> float:
    if length <= 0 or counts is None:
        return 0.0
    return float((counts.astype(np.float64) ** 2).sum() * 2.0**length / n - n)


def approximate_entropy(bits, *, pattern_length: int = 10) -> float:
    """2.12 Approximate entropy: frequencies of overlapping patterns of m and m + 1 bits."""
    values = check_bits(bits, minimum=pattern_length + 1, test="the approximate entropy test")
    n = values.size
    counts = _pattern_counts(values, pattern_length + 1)
    phi_next = _phi(counts[0], n)
    phi = _phi(counts[1], n) if pattern_length > 0 else 0.0
    chi_squared = 2.0 * n * (math.log(2) - (phi - phi_next))
    return float(gammaincc(2.0 ** (pattern_length - 1), chi_squared / 2.0))


def _phi(counts: np.ndarray, n: int) -> float:
    present = counts[counts > 0].astype(np.float64)
    return float((present * np.log(present / n)).sum() / n)
