"""SP800-22 rev1a tests 2.14 and 2.15: random excursions and random excursions variant.

The ±1 walk of the sequence splits into cycles between visits to zero. With fewer than
max(500, 0.005·√n) cycles the tests do not apply and return None.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erfc, gammaincc

from ._bits import check_bits

__all__ = ["random_excursions", "random_excursions_variant", "EXCURSION_STATES", "VARIANT_STATES"]

EXCURSION_STATES = (-4, -3, -2, -1, 1, 2, 3, 4)
VARIANT_STATES = tuple(x for x in range(-9, 10) if x)
MINIMUM_CYCLES = 500


def _walk(bits) -> tuple[np.ndarray, int]:
    """The partial sums S_1..S_n and the number of cycles J (the last one may not return to 0)."""
    values = check_bits(bits, minimum=1, test="the random excursions test")
    walk = np.cumsum(2 * values.astype(np.int64) - 1)
    cycles = int(np.count_nonzero(walk == 0)) + (1 if walk[-1] != 0 else 0)
    return walk, cycles


def _applicable(cycles: int, n: int) -> bool:
    return cycles >= max(0.005 * math.sqrt(n), MINIMUM_CYCLES)


def _visit_probabilities(state: int) -> np.ndarray:
    """π_k(x): probability that a cycle visits x exactly k times (k = 0..4), or at least 5 times."""
    a = 1.0 / (2 * abs(state))
    visits = [1 - a] + [a * a * (1 - a) ** (k - 1) for k in range(1, 5)] + [a * (1 - a) ** 4]
    return np.array(visits)


def random_excursions(bits) -> np.ndarray | None:
    """2.14 Visits per cycle to each state x in −4..−1, 1..4; eight P-values, or None if not applicable."""
    walk, cycles = _walk(bits)
    if not _applicable(cycles, walk.size):
        return None
    cycle_of = np.concatenate([[0], np.cumsum(walk == 0)[:-1]])
    p_values = []
    for state in EXCURSION_STATES:
        visits = np.bincount(cycle_of[walk == state], minlength=cycles)
        observed = np.bincount(np.minimum(visits, 5), minlength=6)
        expected = cycles * _visit_probabilities(state)
        chi_squared = float(((observed - expected) ** 2 / expected).sum())
        p_values.append(gammaincc(2.5, chi_squared / 2.0))
    return np.array(p_values)


def random_excursions_variant(bits) -> np.ndarray | None:
    """2.15 Total visits to each state x in −9..−1, 1..9; eighteen P-values, or None if not applicable."""
    walk, cycles = _walk(bits)
    if not _applicable(cycles, walk.size):
        return None
    offset = -VARIANT_STATES[0]
    inside = np.abs(walk) <= offset
    totals = np.bincount(walk[inside] + offset, minlength=2 * offset + 1)
    states = np.array(VARIANT_STATES)
    visits = totals[states + offset]
    return erfc(np.abs(visits - cycles) / np.sqrt(2.0 * cycles * (4.0 * np.abs(states) - 2)))
