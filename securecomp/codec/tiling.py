"""Seamless tiles for the learned codec (learned body version 2).

The image is coded in tiles of at most ``TILE`` pixels so that memory stays bounded, but the
transforms see across tile edges, so that no edge shows. The transforms of a planar body (version
4) run on windows of up to ``WINDOW`` pixels instead: no format depends on them, and fewer, larger
windows compute fewer halos (a Kodak image is one window, not two) and keep both cores busier.

- analysis: g_a runs on the tile plus ``HALO_PIXELS`` of its neighbours on every side (g_a's
  receptive field reaches 30 px), and the tile's own latents are cut out of the result; the
  latents are then those of the whole image, up to float rounding;
- synthesis: the decoder first decodes every tile's latents into one latent plane (M values per
  16×16 pixels: 125 MB at 50 MP for M = 160), then runs g_s on each tile plus ``HALO_LATENTS`` of
  the neighbouring latents and keeps the tile's own pixels.

Only the hyperprior (z and the entropy parameters) is per tile: that changes the rate, not the
pixels. Pixels beyond the image (up to the next multiple of 64) repeat its edge, as in version 1.

Progress: inside ``with reporting_progress(callback)``, the learned codec calls
``callback(done, total)`` after each step of its tile loops (:func:`report_progress`), so a caller
such as securecomp.encrypt(progress=...) can show a large image's progress without the codec
interface carrying a callback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:       # torch is imported by the functions that need it, not with the codec
    from torch import Tensor

TILE = 512
WINDOW = 1024               # side of the transforms' windows in planar bodies (memory: bench_learned_memory.py)
PAD = 64
LATENT = 16                 # image pixels per latent position
HALO_PIXELS = 32            # multiple of LATENT
HALO_LATENTS = 3            # 48 px of context for g_s (it reaches 30 px; 46 px with one residual block,
                            # and each further block 16 px more: the model's synthesis_halo)

__all__ = ["TILE", "WINDOW", "PAD", "LATENT", "tiles", "padded", "own_latents", "analysis_window", "synthesis_window",
           "Progress", "reporting_progress", "report_progress"]

Progress = Callable[[int, int], None]       # progress(done, total): steps (tiles) done so far
_progress: ContextVar[Progress | None] = ContextVar("securecomp_progress", default=None)


@contextmanager
def reporting_progress(callback: Progress | None) -> Iterator[None]:
    """Within the block, :func:`report_progress` calls ``callback`` (None: nothing)."""
    token = _progress.set(callback)
    try:
        yield
    finally:
        _progress.reset(token)


def report_progress(done: int, total: int) -> None:
    callback = _progress.get()
    if callback is not None:
        callback(done, total)


def own_latents(tile: tuple[int, int, int, int]) -> tuple[slice, slice]:
    """Where a tile's latents sit in the whole image's latent plane."""
    top, left, h, w = tile
    return slice(top // LATENT, (top + padded(h)) // LATENT), slice(left // LATENT, (left + padded(w)) // LATENT)


def tiles(width: int, height: int, side: int = TILE) -> list[tuple[int, int, int, int]]:
    """(top, left, height, width) of each tile of at most ``side`` pixels, row-major."""
    return [(top, left, min(side, height - top), min(side, width - left))
            for top in range(0, height, side) for left in range(0, width, side)]


def padded(side: int) -> int:
    """``side`` rounded up to a multiple of PAD (what the transforms see)."""
    return -(-side // PAD) * PAD


def _span(start: int, end: int, halo: int, limit: int) -> tuple[int, int]:
    return max(start - halo, 0), min(end + halo, limit)


def analysis_window(rgb: np.ndarray, tile: tuple[int, int, int, int]) -> tuple[Tensor, tuple[slice, slice]]:
    """The tile with its halo as a (1, 3, h, w) float tensor in [0, 1], and the slices of the
    tile's own latents in g_a's output."""
    top, left, h, w = tile
    height, width = rgb.shape[:2]
    r0, r1 = _span(top, top + padded(h), HALO_PIXELS, padded(height))
    c0, c1 = _span(left, left + padded(w), HALO_PIXELS, padded(width))
    rows, cols = np.clip(np.arange(r0, r1), 0, height - 1), np.clip(np.arange(c0, c1), 0, width - 1)
    window = rgb[rows[:, None], cols[None, :]]
    import torch

    x = torch.from_numpy(np.ascontiguousarray(window)).permute(2, 0, 1)[None].float().div_(255.0)
    own = (slice((top - r0) // LATENT, (top - r0 + padded(h)) // LATENT),
           slice((left - c0) // LATENT, (left - c0 + padded(w)) // LATENT))
    return x, own


def synthesis_window(latent: Tensor, tile: tuple[int, int, int, int],
                     halo: int = HALO_LATENTS) -> tuple[Tensor, tuple[slice, slice]]:
    """The tile's latents with ``halo`` latents of context from ``latent`` (the whole plane), and
    the slices of the tile's own pixels in g_s's output."""
    top, left, h, w = tile
    r0, r1 = _span(top // LATENT, (top + padded(h)) // LATENT, halo, latent.shape[2])
    c0, c1 = _span(left // LATENT, (left + padded(w)) // LATENT, halo, latent.shape[3])
    own = (slice((top // LATENT - r0) * LATENT, (top // LATENT - r0) * LATENT + h),
           slice((left // LATENT - c0) * LATENT, (left // LATENT - c0) * LATENT + w))
    return latent[:, :, r0:r1, c0:c1], own
