"""A sample photograph for `securecomp demo`: scikit-image's astronaut, or a generated landscape.

The generated image is deterministic (fixed seed) and has what codecs care about in a photo:
smooth gradients (sky), sharp edges (sun, ridges), and fine texture (grass, water ripples).
"""

from __future__ import annotations

import numpy as np

__all__ = ["load_sample", "landscape"]


def load_sample() -> tuple[str, np.ndarray]:
    """``(description, H x W x 3 uint8 array)``; scikit-image's astronaut when it is installed."""
    try:
        from skimage import data
        return "astronaut (scikit-image)", data.astronaut()
    except Exception:       # scikit-image missing, or its data files unavailable offline
        return "generated landscape", landscape()


def landscape(size: int = 512, *, seed: int = 2004) -> np.ndarray:
    """A ``size`` x ``size`` RGB landscape: sky, sun, two mountain ridges, a textured meadow, a lake."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:size, 0:size] / size
    image = _sky(rows)
    _paint(image, _sun_mask(rows, cols), (255, 236, 180))
    far_ridge = 0.45 + 0.08 * np.sin(7 * cols + 1.0) + 0.04 * np.sin(23 * cols)
    near_ridge = 0.6 + 0.06 * np.sin(5 * cols + 2.5) + 0.03 * np.sin(31 * cols + 0.7)
    _paint(image, rows > far_ridge, (96, 110, 140))
    _paint(image, rows > near_ridge, (70, 120, 60))
    meadow = rows > near_ridge
    image[meadow] += rng.normal(0, 18, (int(meadow.sum()), 1)) * np.array([0.6, 1.0, 0.4])
    _add_lake(image, rows, cols)
    image += rng.normal(0, 2.0, image.shape)      # sensor noise
    return np.clip(image, 0, 255).astype(np.uint8)


def _sky(rows: np.ndarray) -> np.ndarray:
    top, horizon = np.array([40.0, 90.0, 170.0]), np.array([200.0, 220.0, 240.0])
    blend = np.clip(rows / 0.6, 0, 1)[..., None]
    return top * (1 - blend) + horizon * blend


def _sun_mask(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    return (rows - 0.22) ** 2 + (cols - 0.72) ** 2 < 0.07**2


def _paint(image: np.ndarray, mask: np.ndarray, color: tuple[int, int, int]) -> None:
    image[mask] = color


def _add_lake(image: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> None:
    lake = ((rows - 0.86) / 0.09) ** 2 + ((cols - 0.35) / 0.25) ** 2 < 1
    ripples = 12 * np.sin(140 * rows + 6 * np.sin(9 * cols))
    water = np.stack([50 + ripples, 90 + ripples, 150 + ripples], axis=-1)
    image[lake] = water[lake]
