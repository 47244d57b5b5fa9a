"""SP800-22 rev1a tests 2.1–2.4, 2.6 and 2.13: frequency, block frequency, runs, longest run of
ones, discrete Fourier transform (spectral) and cumulative sums.

Every test takes a 1-D array of bits and returns its P-value(s); a sequence is judged random at
level α when P ≥ α. Constants follow the reference implementation sts-2.1.2, whose results
Appendix B of the standard lists.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erfc, gammaincc, ndtr

from ._bits import check_bits

__all__ = ["frequency", "block_frequency", "runs", "longest_run_of_ones", "spectral", "cumulative_sums"]

# Longest run of ones (2.4): by sequence length, the block length M, the classes v_0..v_K of the
# longest run (first and last class open-ended) and their probabilities, as in sts-2.1.2.
_LONGEST_RUN_TABLES = (
    (750_000, 10_000, (10, 16), (0.0882, 0.2092, 0.2483, 0.1933, 0.1208, 0.0675, 0.0727)),
    (6_272, 128, (4, 9), (0.1174035788, 0.242955959, 0.249363483, 0.17517706, 0.102701071, 0.112398847)),
    (128, 8, (1, 4), (0.21484375, 0.3671875, 0.23046875, 0.1875)),
)
_SPECTRAL_THRESHOLD = 2.995732274       # ln(1/0.05): 95 % of the peaks of a random sequence lie below


def frequency(bits) -> float:
    """2.1 Frequency (monobit): are ones and zeros about equally common?"""
    values = check_bits(bits, minimum=1, test="the frequency test")
    total = 2 * int(values.sum(dtype=np.int64)) - values.size
    return float(erfc(abs(total) / math.sqrt(values.size) / math.sqrt(2)))


def block_frequency(bits, *, block_length: int = 128) -> float:
    """2.2 Frequency within blocks of ``block_length`` bits."""
    values = check_bits(bits, minimum=block_length, test="the block frequency test")
    count = values.size // block_length
    shares = values[: count * block_length].reshape(count, block_length).mean(axis=1)
    chi_squared = 4.0 * block_length * float(((shares - 0.5) ** 2).sum())
    return float(gammaincc(count / 2.0, chi_squared / 2.0))


def runs(bits) -> float:
    """2.3 Runs: is the number of runs (maximal blocks of equal bits) as expected?

    When the share of ones is too far from 1/2 for the test to apply, the P-value is 0.
    """
    values = check_bits(bits, minimum=2, test="the runs test")
    n = values.size
    share = values.mean()
    if abs(share - 0.5) > 2.0 / math.sqrt(n):
        return 0.0
    observed = 1 + int(np.count_nonzero(values[1:] != values[:-1]))
    spread = 2.0 * share * (1 - share)
    return float(erfc(abs(observed - n * spread) / (spread * math.sqrt(2 * n))))


def longest_run_of_ones(bits) -> float:
    """2.4 Longest run of ones in blocks of 8, 128 or 10^4 bits (chosen by the sequence length)."""
    values = check_bits(bits, minimum=128, test="the longest-run test")
    block_length, (lowest, highest), probabilities = next(
        row[1:] for row in _LONGEST_RUN_TABLES if values.size >= row[0])
    count = values.size // block_length
    longest = _longest_runs(values[: count * block_length].reshape(count, block_length))
    classes = np.clip(longest, lowest, highest) - lowest
    observed = np.bincount(classes, minlength=len(probabilities))
    expected = count * np.asarray(probabilities)
    chi_squared = float(((observed - expected) ** 2 / expected).sum())
    return float(gammaincc((len(probabilities) - 1) / 2.0, chi_squared / 2.0))


def _longest_runs(blocks: np.ndarray) -> np.ndarray:
    """The longest run of ones in each row."""
    rows, width = blocks.shape
    padded = np.zeros((rows, width + 2), dtype=np.int8)
    padded[:, 1:-1] = blocks
    steps = np.diff(padded.reshape(-1))
    starts, ends = np.flatnonzero(steps == 1), np.flatnonzero(steps == -1)
    longest = np.zeros(rows, dtype=np.int64)
    np.maximum.at(longest, starts // (width + 2), ends - starts)
    return longest


def spectral(bits) -> float:
    """2.6 Discrete Fourier transform: too many or too few periodic peaks above the 95 % threshold?"""
    values = check_bits(bits, minimum=2, test="the spectral test")
    n = values.size
    magnitudes = np.abs(np.fft.rfft(2.0 * values - 1.0))[: n // 2]
    below = np.count_nonzero(magnitudes < math.sqrt(_SPECTRAL_THRESHOLD * n))
    expected = 0.95 * n / 2.0
    d = (below - expected) / math.sqrt(n / 4.0 * 0.95 * 0.05)
    return float(erfc(abs(d) / math.sqrt(2)))


def cumulative_sums(bits) -> tuple[float, float]:
    """2.13 Cumulative sums: the largest excursion of the ±1 walk, forward and backward."""
    values = check_bits(bits, minimum=1, test="the cumulative sums test")
    steps = 2 * values.astype(np.int64) - 1
    forward = int(np.abs(np.cumsum(steps)).max())
    backward = int(np.abs(np.cumsum(steps[::-1])).max())
    return _cusum_p_value(forward, values.size), _cusum_p_value(backward, values.size)


def _cusum_p_value(z: int, n: int) -> float:
    """sts-2.1.2's sum, with its integer (truncating) division in the limits of k."""
    ratio = n // z
    root = math.sqrt(n)
    first = np.arange(_truncating_division(1 - ratio, 4), (ratio - 1) // 4 + 1)
    second = np.arange(_truncating_division(-3 - ratio, 4), (ratio - 1) // 4 + 1)
    sum1 = (ndtr((4 * first + 1) * z / root) - ndtr((4 * first - 1) * z / root)).sum()
    sum2 = (ndtr((4 * second + 3) * z / root) - ndtr((4 * second + 1) * z / root)).sum()
    return float(1.0 - sum1 + sum2)


def _truncating_division(numerator: int, denominator: int) -> int:
    quotient = abs(numerator) // denominator
    return quotient if numerator >= 0 else -quotient
