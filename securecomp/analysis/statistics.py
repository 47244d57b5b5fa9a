"""Statistics of one (cipher) image: entropy, local entropy, adjacent-pixel correlation, histogram χ².

Each judged statistic comes with the value an ideal cipher gives and a critical value or interval at
significance ``alpha``, computed from the exact distribution where that is feasible. Images are
8-bit (256 levels) unless ``levels`` says otherwise; a color image needs ``channel_axis`` where
neighbours matter (correlation, local entropy), as in skimage.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import gammaln
from scipy.stats import chi2, norm

from ..errors import ParameterError

__all__ = ["entropy", "expected_entropy", "local_entropy", "local_entropy_interval", "LocalEntropyTest",
           "adjacent_pairs", "adjacent_correlation", "correlation_critical_value", "histogram_chi2",
           "HistogramTest", "DIRECTIONS"]

DIRECTIONS = {"horizontal": (0, 1), "vertical": (1, 0), "diagonal": (1, 1)}
LOCAL_BLOCKS = 30                   # Wu et al. 2013: k = 30 blocks of T_B = 1936 = 44 x 44 pixels
LOCAL_BLOCK_SHAPE = (44, 44)


def entropy(image: ArrayLike, *, levels: int = 256) -> float:
    """Shannon entropy in bits of the histogram of all samples (8 bits at most for 256 levels)."""
    counts = _histogram(image, levels)
    return _entropy_of_counts(counts[None, :])[0]


def expected_entropy(samples: int, *, levels: int = 256) -> float:
    """Mean entropy of ``samples`` uniform random samples, exactly (7.99930 for 512 × 512 × 1)."""
    return _block_entropy_mean(int(samples), levels)


@dataclass(frozen=True)
class LocalEntropyTest:
    """Mean entropy of ``blocks`` random non-overlapping blocks, and the interval an ideal cipher meets."""

    value: float
    expected: float
    low: float
    high: float
    alpha: float
    blocks: int
    block_pixels: int

    @property
    def passed(self) -> bool:
        return self.low <= self.value <= self.high

    def as_dict(self) -> dict:
        return {**asdict(self), "passed": self.passed}


def local_entropy(image: ArrayLike, *, blocks: int = LOCAL_BLOCKS, block_shape: tuple[int, int] = LOCAL_BLOCK_SHAPE,
                  channel_axis: int | None = None, alpha: float = 0.05, levels: int = 256,
                  seed: int | np.random.Generator | None = None) -> LocalEntropyTest:
    """Local Shannon entropy (Wu, Zhou, Noonan, Agaian & Chen 2013) with its two-sided test.

    ``blocks`` blocks of ``block_shape`` are drawn at random, without overlap, from the grid of
    such blocks of every channel; the statistic is the mean of their entropies. The acceptance
    interval is μ ± z_{α/2}·σ/√k from the exact mean μ and standard deviation σ of the entropy of
    one block of uniform samples. (The values usually quoted from the paper, 7.901901305 and
    7.903037329 at α = 0.05, are μ ± z_{α/2}·σ/k: about √k times too narrow, so that most truly
    random images fail them; the mean μ = 7.902469317 agrees.)
    """
    planes = _channel_planes(image, channel_axis)
    tiles = _tiles(planes, block_shape)
    if tiles.shape[0] < blocks:
        raise ParameterError(f"local entropy needs {blocks} non-overlapping {block_shape[0]}x{block_shape[1]} "
                             f"blocks, the image has {tiles.shape[0]}",
                             hint="use a larger image (512 x 512 gray has 121 blocks)")
    chosen = np.random.default_rng(seed).choice(tiles.shape[0], size=blocks, replace=False)
    counts = _row_histograms(tiles[chosen], levels)
    value = float(np.mean(_entropy_of_counts(counts)))
    pixels = tiles.shape[1]
    low, high = local_entropy_interval(blocks=blocks, block_pixels=pixels, alpha=alpha, levels=levels)
    expected = _block_entropy_moments(pixels, levels)[0]
    return LocalEntropyTest(value, expected, low, high, alpha, blocks, pixels)


def local_entropy_interval(*, blocks: int = LOCAL_BLOCKS, block_pixels: int = 1936, alpha: float = 0.05,
                           levels: int = 256) -> tuple[float, float]:
    """Acceptance interval of the local entropy of an ideal cipher: μ ± z_{α/2}·σ/√blocks."""
    _check_alpha(alpha)
    mean, deviation = _block_entropy_moments(int(block_pixels), levels)
    half_width = norm.ppf(1 - alpha / 2) * deviation / math.sqrt(blocks)
    return float(mean - half_width), float(mean + half_width)


def adjacent_pairs(image: ArrayLike, *, direction: str = "horizontal", pairs: int | None = None,
                   channel_axis: int | None = None,
                   seed: int | np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Values of neighbouring samples (x, y) in ``direction``: all pairs, or ``pairs`` drawn at random."""
    if direction not in DIRECTIONS:
        raise ParameterError(f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    down, right = DIRECTIONS[direction]
    planes = _channel_planes(image, channel_axis)
    height, width = planes.shape[1:]
    first = planes[:, : height - down, : width - right].reshape(-1)
    second = planes[:, down:, right:].reshape(-1)
    if pairs is None:
        return first, second
    if not 1 <= pairs <= first.size:
        raise ParameterError(f"pairs must be between 1 and {first.size}, got {pairs}")
    chosen = np.random.default_rng(seed).choice(first.size, size=pairs, replace=False)
    return first[chosen], second[chosen]


def adjacent_correlation(image: ArrayLike, *, direction: str = "horizontal", pairs: int | None = None,
                         channel_axis: int | None = None, seed: int | np.random.Generator | None = None) -> float:
    """Pearson correlation of neighbouring samples; ideal ciphers give |r| < correlation_critical_value."""
    first, second = adjacent_pairs(image, direction=direction, pairs=pairs, channel_axis=channel_axis, seed=seed)
    x, y = first.astype(np.float64), second.astype(np.float64)
    x -= x.mean()
    y -= y.mean()
    denominator = math.sqrt(float(np.dot(x, x)) * float(np.dot(y, y)))
    return float(np.dot(x, y) / denominator) if denominator else 0.0


def correlation_critical_value(pairs: int, *, alpha: float = 0.05) -> float:
    """z_{α/2}/√N: the correlation of N pairs of independent samples exceeds it with probability α."""
    _check_alpha(alpha)
    return float(norm.ppf(1 - alpha / 2) / math.sqrt(pairs))


@dataclass(frozen=True)
class HistogramTest:
    """χ² of the histogram against the uniform one, with its critical value."""

    statistic: float
    critical: float
    degrees_of_freedom: int
    alpha: float

    @property
    def passed(self) -> bool:
        return self.statistic < self.critical

    def as_dict(self) -> dict:
        return {**asdict(self), "passed": self.passed}


def histogram_chi2(image: ArrayLike, *, alpha: float = 0.05, levels: int = 256) -> HistogramTest:
    """χ² = Σ (observed − expected)² / expected over ``levels`` bins (critical 293.25 for 8 bits, α = 0.05)."""
    _check_alpha(alpha)
    counts = _histogram(image, levels).astype(np.float64)
    expected = counts.sum() / levels
    statistic = float(((counts - expected) ** 2).sum() / expected)
    return HistogramTest(statistic, float(chi2.ppf(1 - alpha, levels - 1)), levels - 1, alpha)


# --- helpers -----------------------------------------------------------------------------------

def _histogram(image: ArrayLike, levels: int) -> np.ndarray:
    values = np.asarray(image)
    if values.size == 0 or not np.issubdtype(values.dtype, np.integer):
        raise ParameterError(f"need a non-empty integer image, got dtype {values.dtype} and shape {values.shape}")
    if values.min() < 0 or values.max() >= levels:
        raise ParameterError(f"sample values must lie in 0..{levels - 1}", hint="pass levels= for 16-bit images")
    return np.bincount(values.reshape(-1), minlength=levels)


def _row_histograms(rows: np.ndarray, levels: int) -> np.ndarray:
    offsets = (np.arange(rows.shape[0]) * levels)[:, None]
    counts = np.bincount((rows.astype(np.int64) + offsets).reshape(-1), minlength=rows.shape[0] * levels)
    return counts.reshape(rows.shape[0], levels)


def _entropy_of_counts(counts: np.ndarray) -> np.ndarray:
    p = counts / counts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0)
    return -terms.sum(axis=1)


def _channel_planes(image: ArrayLike, channel_axis: int | None) -> np.ndarray:
    """The image as a stack of 2-D planes, shape (channels, H, W)."""
    values = np.asarray(image)
    if channel_axis is None:
        if values.ndim != 2:
            raise ParameterError(f"expected a 2-D image without channel_axis, got shape {values.shape}",
                                 hint="pass channel_axis=-1 for a color image of shape H x W x C")
        return values[None]
    if values.ndim != 3 or not -3 <= channel_axis < 3:
        raise ParameterError(f"channel_axis {channel_axis} does not fit an image of shape {values.shape}")
    return np.moveaxis(values, channel_axis, 0)


def _tiles(planes: np.ndarray, block_shape: tuple[int, int]) -> np.ndarray:
    """All non-overlapping blocks of every plane, one flattened block per row."""
    rows, cols = block_shape
    count, height, width = planes.shape
    grid = planes[:, : height // rows * rows, : width // cols * cols]
    grid = grid.reshape(count, height // rows, rows, width // cols, cols).transpose(0, 1, 3, 2, 4)
    return grid.reshape(-1, rows * cols)


def _count_window(samples: int, p: float) -> np.ndarray:
    """Counts of one level that carry all but a vanishing share of the binomial probability."""
    mean, spread = samples * p, 12 * math.sqrt(samples * p * (1 - p)) + 20
    return np.arange(max(0, int(mean - spread)), min(samples, int(mean + spread)) + 1, dtype=np.float64)


def _entropy_terms(counts: np.ndarray, samples: int) -> np.ndarray:
    return np.where(counts > 0, -(counts / samples) * np.log2(np.maximum(counts, 1) / samples), 0.0)


def _binomial(counts: np.ndarray, samples: int, p: float) -> np.ndarray:
    return np.exp(gammaln(samples + 1) - gammaln(counts + 1) - gammaln(samples - counts + 1)
                  + counts * math.log(p) + (samples - counts) * math.log1p(-p))


def _block_entropy_mean(samples: int, levels: int) -> float:
    counts = _count_window(samples, 1.0 / levels)
    return levels * float(_binomial(counts, samples, 1.0 / levels) @ _entropy_terms(counts, samples))


@lru_cache(maxsize=32)
def _block_entropy_moments(samples: int, levels: int) -> tuple[float, float]:
    """Exact mean and standard deviation of the entropy of ``samples`` uniform samples.

    H = Σ_i f(n_i) with f(c) = −(c/T)·log2(c/T) and (n_1, ..., n_levels) multinomial; the variance
    needs the joint law of two counts (a trinomial), summed over the counts that carry the mass.
    """
    p = 1.0 / levels
    counts = _count_window(samples, p)
    f = _entropy_terms(counts, samples)
    single = _binomial(counts, samples, p)
    mean_f, mean_f2 = float(single @ f), float(single @ (f * f))
    first, second = counts[:, None], counts[None, :]
    rest = samples - first - second
    log_joint = (gammaln(samples + 1) - gammaln(first + 1) - gammaln(second + 1)
                 - gammaln(np.maximum(rest, 0) + 1) + (first + second) * math.log(p)
                 + np.maximum(rest, 0) * math.log1p(-2 * p))
    joint = np.where(rest >= 0, np.exp(log_joint), 0.0)
    cross = float(f @ joint @ f)
    variance = levels * (mean_f2 - mean_f**2) + levels * (levels - 1) * (cross - mean_f**2)
    return levels * mean_f, math.sqrt(max(variance, 0.0))


def _check_alpha(alpha: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise ParameterError(f"alpha must be between 0 and 1, got {alpha}")
