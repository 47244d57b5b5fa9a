"""MS-SSIM (Wang, Simoncelli & Bovik 2003) agrees with pytorch-msssim and behaves as a similarity."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from securecomp.analysis import ms_ssim, ssim
from securecomp.analysis.metrics import MS_SSIM_WEIGHTS
from securecomp.errors import ParameterError

skimage_data = pytest.importorskip("skimage.data")


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())))


def _noisy(image: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0, sigma, image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def _reference(original: np.ndarray, distorted: np.ndarray) -> float:
    torch = pytest.importorskip("torch")
    pytorch_msssim = pytest.importorskip("pytorch_msssim")

    def tensor(image):
        values = torch.tensor(image, dtype=torch.float32)
        return (values[None, None] if image.ndim == 2 else values.permute(2, 0, 1)[None])
    return float(pytorch_msssim.ms_ssim(tensor(original), tensor(distorted), data_range=255))


PAIRS = [
    ("camera-jpeg", skimage_data.camera(), lambda image: _jpeg(image, 15), None),
    ("camera-noise", skimage_data.camera(), lambda image: _noisy(image, 20), None),
    ("astronaut-jpeg", skimage_data.astronaut(), lambda image: _jpeg(image, 10), -1),
]


@pytest.mark.parametrize(("name", "original", "distort", "channel_axis"), PAIRS, ids=[p[0] for p in PAIRS])
def test_ms_ssim_matches_pytorch_msssim_within_1e_4(name, original, distort, channel_axis):
    distorted = distort(original)
    value = ms_ssim(original, distorted, channel_axis=channel_axis)
    assert value == pytest.approx(_reference(original, distorted), abs=1e-4)
    assert 0.5 < value < 0.999


def test_ms_ssim_of_identical_images_is_one():
    astronaut = skimage_data.astronaut()
    assert ms_ssim(astronaut, astronaut, channel_axis=-1) == pytest.approx(1.0, abs=1e-12)


def test_ms_ssim_falls_as_jpeg_quality_falls_and_exceeds_single_scale_ssim_for_blur_like_loss():
    camera = skimage_data.camera()
    scores = [ms_ssim(camera, _jpeg(camera, quality)) for quality in (90, 40, 10)]
    assert scores[0] > scores[1] > scores[2]
    assert ms_ssim(camera, _jpeg(camera, 10)) > ssim(camera, _jpeg(camera, 10))


def test_standard_weights_are_wang_2003_and_sum_to_one():
    assert MS_SSIM_WEIGHTS == (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
    assert sum(MS_SSIM_WEIGHTS) == pytest.approx(1.0, abs=1e-3)


def test_odd_sizes_are_halved_by_repeating_the_last_row_and_column():
    camera = skimage_data.camera()[:301, :333]
    value = ms_ssim(camera, _noisy(camera, 10))
    assert 0.0 < value < 1.0


def test_images_below_161_pixels_per_side_are_refused_unless_fewer_scales_are_asked():
    image = skimage_data.camera()[:160, :200]
    with pytest.raises(ParameterError, match="161"):
        ms_ssim(image, image)
    assert ms_ssim(image, _noisy(image, 10), weights=MS_SSIM_WEIGHTS[:3]) < 1.0


def test_shape_mismatch_and_bad_weights_raise_parameter_error():
    camera = skimage_data.camera()
    with pytest.raises(ParameterError, match="shape"):
        ms_ssim(camera, camera[:, :-1])
    with pytest.raises(ParameterError, match="weights"):
        ms_ssim(camera, camera, weights=(0.5, -0.5))


KODAK = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "kodak"


@pytest.mark.skipif(not (KODAK / "kodim23.png").exists(), reason="Kodak images not available (../shared/datasets)")
def test_ms_ssim_matches_pytorch_msssim_on_a_kodak_photo():
    original = np.asarray(Image.open(KODAK / "kodim23.png").convert("RGB"))
    distorted = _jpeg(original, 20)
    assert ms_ssim(original, distorted, channel_axis=-1) == pytest.approx(_reference(original, distorted), abs=1e-4)
