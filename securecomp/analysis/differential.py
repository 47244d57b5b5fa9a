"""NPCR and UACI between two cipher images, judged as statistical tests (Wu, Noonan & Agaian 2011).

Y. Wu, J. P. Noonan and S. Agaian, "NPCR and UACI randomness tests for image encryption", Cyber
Journals: JSAT, April 2011. For two cipher images of an ideal cipher, every sample of each is
uniform on 0..F and independent, so over MN samples

* NPCR (share of samples that differ) has mean F/(F+1) and standard deviation sqrt(F/MN)/(F+1);
  the test is one-sided: NPCR must reach N*_α = (F − z_α·sqrt(F/MN)) / (F+1), z_α = Φ⁻¹(1 − α);
* UACI (mean |c1 − c2| / F) has mean (F+2)/(3F+3) and variance
  (F+2)(F²+2F+3) / (18(F+1)²·MN·F); the test is two-sided: UACI must lie within
  mean ± z_{α/2}·σ, so a UACI that is too high fails too.

Both statistics are computed over every sample of the arrays (all channels of a color image), and
MN is that number of samples. The two cipher images must come from plaintexts (or keys) that differ
slightly, encrypted with the same nonce; comparing a plain image with its cipher image is a
different (and common, wrong) measurement. All values are in percent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import norm

from ..errors import ParameterError

__all__ = ["npcr", "uaci", "npcr_critical_value", "uaci_critical_interval", "npcr_uaci_test",
           "NpcrUaciTest", "npcr_expected", "uaci_expected"]

_DTYPE_LARGEST = {np.dtype(np.uint8): 255, np.dtype(np.uint16): 65535}


def npcr(cipher_image_1: ArrayLike, cipher_image_2: ArrayLike) -> float:
    """Number of changing pixel rate: the percentage of samples that differ."""
    first, second = _check_cipher_pair(cipher_image_1, cipher_image_2)
    return float(np.count_nonzero(first != second) * 100.0 / first.size)


def uaci(cipher_image_1: ArrayLike, cipher_image_2: ArrayLike, *, largest_value: int | None = None) -> float:
    """Unified averaged changed intensity: mean |c1 − c2| / F in percent (F = 255 for uint8)."""
    first, second = _check_cipher_pair(cipher_image_1, cipher_image_2)
    largest = _largest_value(first, largest_value)
    difference = np.abs(first.astype(np.int64) - second.astype(np.int64))
    return float(difference.sum(dtype=np.int64) * 100.0 / (first.size * largest))


def npcr_expected(*, largest_value: int = 255) -> float:
    """Mean NPCR of an ideal cipher, F/(F+1), in percent (99.6094 % for 8-bit samples)."""
    return 100.0 * largest_value / (largest_value + 1)


def uaci_expected(*, largest_value: int = 255) -> float:
    """Mean UACI of an ideal cipher, (F+2)/(3F+3), in percent (33.4635 % for 8-bit samples)."""
    return 100.0 * (largest_value + 2) / (3 * largest_value + 3)


def npcr_critical_value(samples: int, *, alpha: float = 0.05, largest_value: int = 255) -> float:
    """N*_α in percent: an NPCR below it rejects "the cipher images are random" at level α."""
    _check_alpha(alpha)
    f = float(largest_value)
    z = norm.ppf(1.0 - alpha)
    return float(100.0 * (f - z * np.sqrt(f / _check_samples(samples))) / (f + 1.0))


def uaci_critical_interval(samples: int, *, alpha: float = 0.05, largest_value: int = 255) -> tuple[float, float]:
    """(U*−_α, U*+_α) in percent: a UACI outside this interval rejects randomness at level α."""
    _check_alpha(alpha)
    f = float(largest_value)
    variance = (f + 2) * (f * f + 2 * f + 3) / (18 * (f + 1) ** 2 * _check_samples(samples) * f)
    half_width = norm.ppf(1.0 - alpha / 2) * np.sqrt(variance)
    mean = (f + 2) / (3 * f + 3)
    return float(100.0 * (mean - half_width)), float(100.0 * (mean + half_width))


@dataclass(frozen=True)
class NpcrUaciTest:
    """The outcome of :func:`npcr_uaci_test`; values in percent."""

    npcr: float
    uaci: float
    alpha: float
    samples: int
    npcr_critical: float
    uaci_low: float
    uaci_high: float

    @property
    def npcr_passed(self) -> bool:
        return self.npcr >= self.npcr_critical

    @property
    def uaci_passed(self) -> bool:
        return self.uaci_low <= self.uaci <= self.uaci_high

    @property
    def passed(self) -> bool:
        return self.npcr_passed and self.uaci_passed

    def as_dict(self) -> dict:
        return {**asdict(self), "npcr_passed": self.npcr_passed, "uaci_passed": self.uaci_passed}


def npcr_uaci_test(cipher_image_1: ArrayLike, cipher_image_2: ArrayLike, *, alpha: float = 0.05,
                   largest_value: int | None = None) -> NpcrUaciTest:
    """NPCR (one-sided) and UACI (two-sided) tests of two cipher images at significance ``alpha``."""
    first, second = _check_cipher_pair(cipher_image_1, cipher_image_2)
    largest = _largest_value(first, largest_value)
    low, high = uaci_critical_interval(first.size, alpha=alpha, largest_value=largest)
    return NpcrUaciTest(npcr=npcr(first, second), uaci=uaci(first, second, largest_value=largest),
                        alpha=alpha, samples=int(first.size),
                        npcr_critical=npcr_critical_value(first.size, alpha=alpha, largest_value=largest),
                        uaci_low=low, uaci_high=high)


def npcr_uaci_batch(first: np.ndarray, second: np.ndarray, *, largest_value: int) -> tuple[np.ndarray, np.ndarray]:
    """NPCR and UACI (percent) of each pair of rows: ``second`` is trials × image; ``first`` the same
    shape, or one image compared with every row."""
    rows = second.reshape(second.shape[0], -1).astype(np.int32)
    references = first.reshape(-1, rows.shape[1]).astype(np.int32)
    difference = np.abs(rows - references)
    changed = np.count_nonzero(difference, axis=1) * 100.0 / rows.shape[1]
    intensity = difference.sum(axis=1, dtype=np.int64) * 100.0 / (rows.shape[1] * largest_value)
    return changed, intensity


def _check_cipher_pair(cipher_image_1: ArrayLike, cipher_image_2: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    first, second = np.asarray(cipher_image_1), np.asarray(cipher_image_2)
    if first.shape != second.shape:
        raise ParameterError(f"the cipher images differ in shape: {first.shape} vs {second.shape}",
                             hint="compare two cipher images of the same size and number of channels")
    if first.size == 0:
        raise ParameterError("the cipher images are empty")
    for image in (first, second):
        if not np.issubdtype(image.dtype, np.integer):
            raise ParameterError(f"cipher images must hold integers, not {image.dtype}",
                                 hint="NPCR and UACI compare 8- or 16-bit sample values")
    return first, second


def _largest_value(image: np.ndarray, largest_value: int | None) -> int:
    if largest_value is not None:
        if not largest_value >= 1:
            raise ParameterError(f"largest_value must be at least 1, got {largest_value}")
        return int(largest_value)
    if image.dtype not in _DTYPE_LARGEST:
        raise ParameterError(f"give largest_value for cipher images of dtype {image.dtype}",
                             hint="the default is 255 for uint8 and 65535 for uint16 images")
    return _DTYPE_LARGEST[image.dtype]


def _check_alpha(alpha: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise ParameterError(f"alpha must be between 0 and 1, got {alpha}")


def _check_samples(samples: int) -> int:
    if int(samples) < 1:
        raise ParameterError(f"the number of samples must be positive, got {samples}")
    return int(samples)
