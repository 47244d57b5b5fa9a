"""SP800-22 rev1a tests 2.7–2.9: non-overlapping and overlapping template matching, and Maurer's
universal statistical test.

Template counts come from one sliding window of m-bit values per sequence; an aperiodic template
cannot overlap itself, so counting its occurrences equals the standard's count-and-skip scan.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy.special import erfc, gammaincc, gammaln

from ...errors import ParameterError
from ._bits import check_bits, window_values

__all__ = ["aperiodic_templates", "non_overlapping_template", "overlapping_template", "universal"]

# Maurer's universal test (2.9): the smallest n for each L = 6..16, and the expected value and
# variance of the statistic for each L (sts-2.1.2).
_UNIVERSAL_MINIMUM = {6: 387_840, 7: 904_960, 8: 2_068_480, 9: 4_654_080, 10: 10_342_400, 11: 22_753_280,
                      12: 49_643_520, 13: 107_560_960, 14: 231_669_760, 15: 496_435_200, 16: 1_059_061_760}
_UNIVERSAL_EXPECTED = {6: 5.2177052, 7: 6.1962507, 8: 7.1836656, 9: 8.1764248, 10: 9.1723243, 11: 10.170032,
                       12: 11.168765, 13: 12.168070, 14: 13.167693, 15: 14.167488, 16: 15.167379}
_UNIVERSAL_VARIANCE = {6: 2.954, 7: 3.125, 8: 3.238, 9: 3.311, 10: 3.356, 11: 3.384, 12: 3.401, 13: 3.410,
                       14: 3.416, 15: 3.419, 16: 3.421}


@lru_cache(maxsize=8)
def aperiodic_templates(length: int = 9) -> tuple[int, ...]:
    """All ``length``-bit words that do not overlap a shifted copy of themselves, ascending.

    For length 9 these are sts-2.1.2's 148 templates, in the order of its template file.
    """
    words = np.arange(1 << length, dtype=np.int64)
    aperiodic = np.ones(words.size, dtype=bool)
    for shift in range(1, length):
        mask = (1 << (length - shift)) - 1
        aperiodic &= (words >> shift) != (words & mask)
    return tuple(int(word) for word in words[aperiodic])


def non_overlapping_template(bits, *, template_length: int = 9, blocks: int = 8,
                             templates: tuple[int, ...] | None = None) -> np.ndarray:
    """2.7 Occurrences of each aperiodic template in ``blocks`` blocks; one P-value per template."""
    values = check_bits(bits, minimum=blocks * template_length, test="the non-overlapping template test")
    chosen = np.asarray(templates if templates is not None else aperiodic_templates(template_length))
    _check_aperiodic(chosen, template_length)
    block_length = values.size // blocks
    windows = window_values(values[: blocks * block_length], template_length, wrap=False)
    starts = np.arange(blocks)[:, None] * block_length
    positions = starts + np.arange(block_length - template_length + 1)[None, :]
    offsets = np.arange(blocks)[:, None] << template_length
    counts = np.bincount((windows[positions] + offsets).reshape(-1), minlength=blocks << template_length)
    observed = counts.reshape(blocks, 1 << template_length)[:, chosen]
    mean = (block_length - template_length + 1) / 2.0**template_length
    variance = block_length * (1 / 2.0**template_length - (2 * template_length - 1) / 2.0 ** (2 * template_length))
    chi_squared = ((observed - mean) ** 2 / variance).sum(axis=0)
    return gammaincc(blocks / 2.0, chi_squared / 2.0)


def _check_aperiodic(templates: np.ndarray, length: int) -> None:
    allowed = set(aperiodic_templates(length))
    if templates.ndim != 1 or not templates.size or any(int(t) not in allowed for t in templates):
        raise ParameterError(f"templates must be aperiodic {length}-bit words (see aperiodic_templates)")


def overlapping_template(bits, *, template_length: int = 9, block_length: int = 1032) -> float:
    """2.8 Overlapping occurrences of the all-ones template in blocks of ``block_length`` bits."""
    values = check_bits(bits, minimum=block_length, test="the overlapping template test")
    count = values.size // block_length
    ones = (1 << template_length) - 1
    windows = window_values(values[: count * block_length], template_length, wrap=False)
    hits = np.zeros(count * block_length, dtype=np.int64)
    hits[: windows.size] = windows == ones
    per_block = hits.reshape(count, block_length)[:, : block_length - template_length + 1].sum(axis=1)
    observed = np.bincount(np.minimum(per_block, 5), minlength=6)
    expected = count * _overlapping_probabilities(template_length, block_length)
    chi_squared = float(((observed - expected) ** 2 / expected).sum())
    return float(gammaincc(2.5, chi_squared / 2.0))


def _overlapping_probabilities(template_length: int, block_length: int) -> np.ndarray:
    """Probabilities of 0..4 and ≥ 5 occurrences, computed as sts-2.1.2 computes them.

    (Rev1a §3.8 prints corrected values 0.364091, 0.185659, ...; Appendix B's P-value for e,
    0.110434, comes from these computed ones, 0.367879, 0.183940, ....)
    """
    eta = (block_length - template_length + 1) / 2.0**template_length / 2.0
    first = [math.exp(-eta)] + [_overlapping_term(u, eta) for u in range(1, 5)]
    return np.array(first + [1.0 - sum(first)])


def _overlapping_term(u: int, eta: float) -> float:
    terms = [math.exp(-eta - u * math.log(2) + j * math.log(eta) - gammaln(j + 1) + gammaln(u)
                      - gammaln(j) - gammaln(u - j + 1)) for j in range(1, u + 1)]
    return float(sum(terms))


def universal(bits) -> float:
    """2.9 Maurer's universal statistical test: can the sequence be compressed? (n ≥ 387 840)"""
    values = check_bits(bits, minimum=_UNIVERSAL_MINIMUM[6], test="the universal test")
    length = max(size for size, minimum in _UNIVERSAL_MINIMUM.items() if values.size >= minimum)
    initial = 10 * 2**length
    tested = values.size // length - initial
    words = window_values(values[: (initial + tested) * length], length, wrap=False)[::length]
    distances = _distance_to_previous(words)[initial:]
    statistic = float(np.log2(distances).sum() / tested)
    c = 0.7 - 0.8 / length + (4 + 32 / length) * tested ** (-3 / length) / 15
    sigma = c * math.sqrt(_UNIVERSAL_VARIANCE[length] / tested)
    return float(erfc(abs(statistic - _UNIVERSAL_EXPECTED[length]) / (math.sqrt(2) * sigma)))


def _distance_to_previous(words: np.ndarray) -> np.ndarray:
    """For each position i (from 1), i minus the position of the previous equal word (0 if none)."""
    order = np.argsort(words, kind="stable")
    previous = np.zeros(words.size, dtype=np.int64)
    same = words[order[1:]] == words[order[:-1]]
    previous[order[1:][same]] = order[:-1][same] + 1
    return np.arange(1, words.size + 1) - previous
