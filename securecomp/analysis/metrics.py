"""Image quality metrics: PSNR, SSIM (Wang et al. 2004) and MS-SSIM (Wang et al. 2003).

PSNR and SSIM agree with ``skimage.metrics`` (``peak_signal_noise_ratio``; ``structural_similarity``
with ``gaussian_weights=True, sigma=1.5, use_sample_covariance=False``) without depending on it;
MS-SSIM agrees with pytorch-msssim on images whose sides stay even through the four halvings.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy import ndimage

from ..errors import ParameterError

__all__ = ["psnr", "ssim", "ms_ssim", "MS_SSIM_WEIGHTS"]

# Wang, Bovik, Sheikh & Simoncelli (2004), "Image quality assessment: from error visibility to
# structural similarity", IEEE TIP 13(4): Gaussian window sigma 1.5 (11 taps), K1 = 0.01, K2 = 0.03.
SSIM_SIGMA = 1.5
SSIM_TRUNCATE = 3.5
SSIM_K1 = 0.01
SSIM_K2 = 0.03
SSIM_WINDOW = 2 * int(SSIM_TRUNCATE * SSIM_SIGMA + 0.5) + 1     # 11, as scipy.ndimage sizes it

# Wang, Simoncelli & Bovik (2003), "Multiscale structural similarity for image quality assessment",
# 37th Asilomar Conference: five scales, exponents from their psychovisual experiment.
MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)

_DTYPE_RANGES = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}


def psnr(image_true: ArrayLike, image_test: ArrayLike, *, data_range: float | None = None) -> float:
    """Peak signal-to-noise ratio in dB of ``image_test`` against ``image_true``.

    ``data_range`` defaults to 255 for uint8 and 65535 for uint16 images and is required otherwise.
    Identical images give ``inf``.
    """
    reference, test = _check_pair(image_true, image_test)
    peak = _data_range(reference, test, data_range)
    error = np.mean((reference.astype(np.float64) - test.astype(np.float64)) ** 2, dtype=np.float64)
    if error == 0:
        return math.inf
    return float(10 * np.log10(peak**2 / error))


def ssim(image_true: ArrayLike, image_test: ArrayLike, *, data_range: float | None = None,
         channel_axis: int | None = None) -> float:
    """Mean structural similarity of two images (Wang et al. 2004).

    Gaussian-weighted statistics (sigma 1.5, an 11x11 window), population covariance, averaged over
    the region the window covers fully. With ``channel_axis`` (e.g. ``-1`` for an RGB array of shape
    H x W x 3) each channel is measured alone and the results are averaged.
    """
    reference, test = _check_pair(image_true, image_test)
    peak = _data_range(reference, test, data_range)
    if channel_axis is None:
        return _ssim_single(reference, test, peak)
    axis = _check_channel_axis(reference, channel_axis)
    scores = [_ssim_single(np.take(reference, index, axis=axis), np.take(test, index, axis=axis), peak)
              for index in range(reference.shape[axis])]
    return float(np.mean(scores))


def ms_ssim(image_true: ArrayLike, image_test: ArrayLike, *, data_range: float | None = None,
            channel_axis: int | None = None, weights: tuple[float, ...] = MS_SSIM_WEIGHTS) -> float:
    """Multi-scale SSIM (Wang et al. 2003): Π_j cs_j^w_j over scales 1..M−1, times SSIM_M^w_M.

    Each scale halves the image by averaging 2 x 2 blocks (an odd side repeats its last row or
    column, as Wang's MATLAB code does); the statistics are those of :func:`ssim` over the fully
    covered region. Negative terms count as 0, as in pytorch-msssim. With the default five
    scales each side needs at least 161 pixels. ``channel_axis`` averages over channels.
    """
    reference, test = _check_pair(image_true, image_test)
    peak = _data_range(reference, test, data_range)
    scale_weights = _check_weights(weights)
    if channel_axis is None:
        return _ms_ssim_single(reference, test, peak, scale_weights)
    axis = _check_channel_axis(reference, channel_axis)
    scores = [_ms_ssim_single(np.take(reference, index, axis=axis), np.take(test, index, axis=axis), peak,
                              scale_weights)
              for index in range(reference.shape[axis])]
    return float(np.mean(scores))


def _ms_ssim_single(reference: np.ndarray, test: np.ndarray, peak: float, weights: np.ndarray) -> float:
    smallest = (SSIM_WINDOW - 1) * 2 ** (weights.size - 1) + 1
    if reference.ndim != 2 or min(reference.shape) < smallest:
        raise ParameterError(f"MS-SSIM with {weights.size} scales needs 2-D images of at least {smallest} pixels "
                             f"per side, got shape {reference.shape}",
                             hint="pass channel_axis for color images, or fewer weights for small images")
    x, y = reference.astype(np.float64), test.astype(np.float64)
    terms = []
    for scale in range(weights.size):
        luminance, contrast_structure = _ssim_maps(x, y, peak)
        term = contrast_structure if scale < weights.size - 1 else luminance * contrast_structure
        terms.append(term[_covered(x.shape)].mean(dtype=np.float64))
        x, y = _halve(x), _halve(y)
    return float(np.prod(np.maximum(terms, 0.0) ** weights))


def _halve(image: np.ndarray) -> np.ndarray:
    """Average 2 x 2 blocks; an odd side repeats its last row or column first."""
    height, width = image.shape
    padded = np.pad(image, ((0, height % 2), (0, width % 2)), mode="edge")
    return padded.reshape(padded.shape[0] // 2, 2, padded.shape[1] // 2, 2).mean(axis=(1, 3))


def _covered(shape: tuple[int, ...]) -> tuple[slice, ...]:
    """The pixels whose whole SSIM window lies inside the image."""
    pad = (SSIM_WINDOW - 1) // 2
    return tuple(slice(pad, size - pad) for size in shape)


def _check_weights(weights: ArrayLike) -> np.ndarray:
    values = np.asarray(weights, dtype=np.float64)
    if values.ndim != 1 or values.size == 0 or not np.all(values >= 0):
        raise ParameterError(f"weights must be a non-empty sequence of non-negative numbers, got {weights!r}")
    return values


def _ssim_single(reference: np.ndarray, test: np.ndarray, peak: float) -> float:
    if min(reference.shape) < SSIM_WINDOW:
        raise ParameterError(f"SSIM needs images of at least {SSIM_WINDOW} pixels per side, "
                             f"got shape {reference.shape}",
                             hint="pass channel_axis for color images (e.g. channel_axis=-1)")
    luminance, contrast_structure = _ssim_maps(reference, test, peak)
    return float((luminance * contrast_structure)[_covered(reference.shape)].mean(dtype=np.float64))


def _ssim_maps(reference: np.ndarray, test: np.ndarray, peak: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel luminance term l(x, y) and contrast-structure term cs(x, y) of SSIM."""
    x = reference.astype(np.float64)
    y = test.astype(np.float64)
    mean_x, mean_y = _window_mean(x), _window_mean(y)
    variance_x = _window_mean(x * x) - mean_x * mean_x
    variance_y = _window_mean(y * y) - mean_y * mean_y
    covariance = _window_mean(x * y) - mean_x * mean_y
    c1 = (SSIM_K1 * peak) ** 2
    c2 = (SSIM_K2 * peak) ** 2
    luminance = (2 * mean_x * mean_y + c1) / (mean_x**2 + mean_y**2 + c1)
    contrast_structure = (2 * covariance + c2) / (variance_x + variance_y + c2)
    return luminance, contrast_structure


def _window_mean(values: np.ndarray) -> np.ndarray:
    return ndimage.gaussian_filter(values, sigma=SSIM_SIGMA, truncate=SSIM_TRUNCATE, mode="reflect")


def _check_pair(image_true: ArrayLike, image_test: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    reference, test = np.asarray(image_true), np.asarray(image_test)
    if reference.shape != test.shape:
        raise ParameterError(f"the images differ in shape: {reference.shape} vs {test.shape}",
                             hint="compare images of the same size and number of channels")
    for image in (reference, test):
        if not (np.issubdtype(image.dtype, np.integer) or np.issubdtype(image.dtype, np.floating)):
            raise ParameterError(f"images must hold integers or floats, not {image.dtype}")
    if reference.size == 0:
        raise ParameterError("the images are empty")
    return reference, test


def _data_range(reference: np.ndarray, test: np.ndarray, data_range: float | None) -> float:
    if data_range is not None:
        if not data_range > 0:
            raise ParameterError(f"data_range must be positive, got {data_range}")
        return float(data_range)
    if reference.dtype != test.dtype or reference.dtype not in _DTYPE_RANGES:
        raise ParameterError(f"give data_range for images of dtype {reference.dtype} and {test.dtype}",
                             hint="the default is 255 for uint8 and 65535 for uint16 images")
    return _DTYPE_RANGES[reference.dtype]


def _check_channel_axis(image: np.ndarray, channel_axis: int) -> int:
    if not -image.ndim <= channel_axis < image.ndim:
        raise ParameterError(f"channel_axis {channel_axis} is out of range for shape {image.shape}")
    return channel_axis % image.ndim
