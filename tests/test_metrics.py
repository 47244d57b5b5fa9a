"""securecomp.analysis.metrics agrees with skimage.metrics on real image pairs."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image

from securecomp.analysis import psnr, ssim
from securecomp.errors import ParameterError

skimage_data = pytest.importorskip("skimage.data")
skimage_metrics = pytest.importorskip("skimage.metrics")


def _noisy(image: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0, sigma, image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())))


def _pairs():
    camera = skimage_data.camera()
    astronaut = skimage_data.astronaut()
    return [
        ("camera-noise", camera, _noisy(camera, 12), None),
        ("camera-jpeg", camera, _jpeg(camera, 20), None),
        ("astronaut-noise", astronaut, _noisy(astronaut, 25, seed=1), -1),
        ("astronaut-jpeg", astronaut, _jpeg(astronaut, 10), -1),
    ]


PAIRS = _pairs()
IDS = [name for name, *_ in PAIRS]


@pytest.mark.parametrize(("name", "original", "distorted", "channel_axis"), PAIRS, ids=IDS)
def test_ssim_matches_skimage_gaussian_population_covariance(name, original, distorted, channel_axis):
    expected = skimage_metrics.structural_similarity(
        original, distorted, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
        data_range=255, channel_axis=channel_axis)
    assert ssim(original, distorted, data_range=255, channel_axis=channel_axis) == pytest.approx(expected, abs=1e-6)
    assert 0.0 < expected < 0.99


@pytest.mark.parametrize(("name", "original", "distorted", "channel_axis"), PAIRS, ids=IDS)
def test_psnr_matches_skimage(name, original, distorted, channel_axis):
    expected = skimage_metrics.peak_signal_noise_ratio(original, distorted, data_range=255)
    assert psnr(original, distorted) == pytest.approx(expected, abs=1e-9)


def test_ssim_default_data_range_is_255_for_uint8():
    _, original, distorted, _ = PAIRS[0]
    assert ssim(original, distorted) == ssim(original, distorted, data_range=255)


def test_ssim_channel_axis_first_equals_channel_axis_last():
    _, original, distorted, _ = PAIRS[2]
    last = ssim(original, distorted, channel_axis=-1)
    first = ssim(np.moveaxis(original, -1, 0), np.moveaxis(distorted, -1, 0), channel_axis=0)
    assert first == pytest.approx(last, abs=1e-12)


def test_uint16_uses_full_16_bit_range():
    rng = np.random.default_rng(3)
    original = rng.integers(0, 65536, (64, 64), dtype=np.uint16)
    distorted = np.clip(original.astype(np.int64) + rng.integers(-500, 500, original.shape), 0, 65535)
    distorted = distorted.astype(np.uint16)
    assert psnr(original, distorted) == pytest.approx(
        skimage_metrics.peak_signal_noise_ratio(original, distorted, data_range=65535), abs=1e-9)
    assert ssim(original, distorted) == pytest.approx(skimage_metrics.structural_similarity(
        original, distorted, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
        data_range=65535), abs=1e-6)


def test_identical_images_give_infinite_psnr_and_ssim_one():
    astronaut = skimage_data.astronaut()
    assert psnr(astronaut, astronaut) == math.inf
    assert ssim(astronaut, astronaut, channel_axis=-1) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("metric", [psnr, ssim])
def test_shape_mismatch_raises_parameter_error(metric):
    with pytest.raises(ParameterError, match="shape"):
        metric(np.zeros((32, 32), np.uint8), np.zeros((32, 31), np.uint8))


@pytest.mark.parametrize("metric", [psnr, ssim])
def test_float_images_need_data_range(metric):
    image = np.random.default_rng(0).random((32, 32))
    with pytest.raises(ParameterError, match="data_range"):
        metric(image, image * 0.9)
    assert metric(image, image * 0.9, data_range=1.0) > 0


def test_ssim_refuses_images_smaller_than_the_window():
    with pytest.raises(ParameterError, match="at least 11"):
        ssim(np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8, 3), np.uint8))


def test_ssim_refuses_out_of_range_channel_axis():
    image = np.zeros((16, 16, 3), np.uint8)
    with pytest.raises(ParameterError, match="channel_axis"):
        ssim(image, image, channel_axis=3)
