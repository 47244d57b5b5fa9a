"""Measurements of both halves of securecomp: compression quality and encryption strength.

Functions follow skimage.metrics: full-word names, the two images first, keyword-only options,
shapes checked (a mismatch raises :class:`securecomp.errors.ParameterError`).
"""

from .metrics import psnr, ssim

__all__ = ["psnr", "ssim"]
