"""SP800-22 rev1a tests 2.5 and 2.10: binary matrix rank and linear complexity.

Both run over all blocks at once: Gaussian elimination over GF(2) on 32 x 32 matrices packed into
32-bit rows, and the Berlekamp–Massey algorithm stepped in lockstep across all blocks.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gammaincc

from ._bits import check_bits

__all__ = ["binary_matrix_rank", "linear_complexity"]

MATRIX_SIDE = 32
# Linear complexity (2.10): class probabilities of T as in sts-2.1.2 (K = 6 degrees of freedom).
_COMPLEXITY_PROBABILITIES = np.array([0.01047, 0.03125, 0.12500, 0.50000, 0.25000, 0.06250, 0.020833])
_COMPLEXITY_EDGES = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5])


def binary_matrix_rank(bits) -> float:
    """2.5 Rank of disjoint 32 x 32 matrices (filled row by row): linear dependence among substrings."""
    side = MATRIX_SIDE
    values = check_bits(bits, minimum=side * side, test="the binary matrix rank test")
    count = values.size // (side * side)
    rows = np.packbits(values[: count * side * side].reshape(count, side, side), axis=-1)
    ranks = _gf2_ranks(rows.view(">u4").reshape(count, side).astype(np.uint32))
    full, one_less = np.count_nonzero(ranks == side), np.count_nonzero(ranks == side - 1)
    p_full, p_one_less = _rank_probability(side), _rank_probability(side - 1)
    observed = np.array([full, one_less, count - full - one_less], dtype=np.float64)
    expected = count * np.array([p_full, p_one_less, 1.0 - p_full - p_one_less])
    chi_squared = float(((observed - expected) ** 2 / expected).sum())
    return float(math.exp(-chi_squared / 2.0))


def _rank_probability(rank: int, side: int = MATRIX_SIDE) -> float:
    """Probability that a random side x side matrix over GF(2) has ``rank``."""
    product = 1.0
    for i in range(rank):
        product *= (1.0 - 2.0 ** (i - side)) ** 2 / (1.0 - 2.0 ** (i - rank))
    return 2.0 ** (rank * (2 * side - rank) - side * side) * product


def _gf2_ranks(rows: np.ndarray) -> np.ndarray:
    """Rank over GF(2) of each matrix, given as rows of packed bits (shape matrices x rows)."""
    rows = rows.copy()
    count, height = rows.shape
    index = np.arange(count)
    used = np.zeros((count, height), dtype=bool)
    ranks = np.zeros(count, dtype=np.int64)
    for bit in range(MATRIX_SIDE - 1, -1, -1):
        has_bit = ((rows >> np.uint32(bit)) & np.uint32(1)).astype(bool)
        candidates = has_bit & ~used
        found = np.asarray(candidates.any(axis=1))
        pivot = candidates.argmax(axis=1)
        pivot_rows = rows[index, pivot]
        has_bit[index, pivot] = False
        rows ^= np.where(has_bit & found[:, None], pivot_rows[:, None], np.uint32(0))
        used[index[found], pivot[found]] = True
        ranks += found
    return ranks


def linear_complexity(bits, *, block_length: int = 500) -> float:
    """2.10 Linear complexity of blocks: is the shortest LFSR of each block as long as expected?"""
    values = check_bits(bits, minimum=block_length, test="the linear complexity test")
    count = values.size // block_length
    complexities = _berlekamp_massey(values[: count * block_length].reshape(count, block_length))
    m = block_length
    mean = m / 2.0 + (9.0 + (-1) ** (m + 1)) / 36.0 - (m / 3.0 + 2.0 / 9.0) / 2.0**m
    t = (-1) ** m * (complexities - mean) + 2.0 / 9.0
    observed = np.bincount(np.searchsorted(_COMPLEXITY_EDGES, t, side="left"), minlength=7)
    expected = count * _COMPLEXITY_PROBABILITIES
    chi_squared = float(((observed - expected) ** 2 / expected).sum())
    return float(gammaincc(3.0, chi_squared / 2.0))


def _berlekamp_massey(blocks: np.ndarray) -> np.ndarray:
    """Linear complexity of each row, by Berlekamp–Massey run on all rows in lockstep.

    ``shifted`` holds the previous connection polynomial B already multiplied by x^(n − m), so
    that the update C ← C + x^(n − m)·B is one XOR for every row.
    """
    count, m = blocks.shape
    connection = np.zeros((count, m + 1), dtype=np.uint8)
    connection[:, 0] = 1
    shifted = np.zeros((count, m + 1), dtype=np.uint8)
    shifted[:, 1] = 1
    lengths = np.zeros(count, dtype=np.int64)
    reversed_bits = np.ascontiguousarray(blocks[:, ::-1])
    for n in range(m):
        history = np.einsum("ij,ij->i", connection[:, 1 : n + 1], reversed_bits[:, m - n :])
        hit = ((history + blocks[:, n]) & 1).astype(bool)
        grow = hit & (2 * lengths <= n)
        previous = connection[grow]
        connection[hit] ^= shifted[hit]
        lengths[grow] = n + 1 - lengths[grow]
        shifted[grow] = previous
        shifted[:, 1:] = shifted[:, :-1].copy()
        shifted[:, 0] = 0
    return lengths
