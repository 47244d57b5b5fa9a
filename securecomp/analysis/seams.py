"""Visible tile edges: how much the coding error jumps across grid lines, against nearby lines.

A codec that codes tiles on their own leaves a step in the error along every tile edge; one whose
transforms see across edges leaves none. ``seam_ratios`` compares, for every row and column that
is a multiple of ``period``, the mean absolute jump of the coding error across it with the median
jump across the ``window`` lines around it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["seam_ratios", "max_seam_ratio"]


def _jumps(error: np.ndarray, axis: int) -> np.ndarray:
    """Mean |error[i] - error[i - 1]| across each line i (index 0 unused) along ``axis``."""
    steps = np.abs(np.diff(error, axis=axis)).mean(axis=tuple(a for a in range(error.ndim) if a != axis))
    return np.concatenate([[np.nan], steps])


def seam_ratios(reference: np.ndarray, test: np.ndarray, *, period: int = 16, window: int = 16) -> dict:
    """{"rows": {line: ratio}, "columns": {line: ratio}} for every line that is a multiple of
    ``period`` (and not at the border): the error's jump across it over the median jump across
    the ``window`` lines around it. Images are (H, W) or (H, W, C) arrays of equal shape."""
    if reference.shape != test.shape:
        raise ValueError(f"images differ in shape: {reference.shape} and {test.shape}")
    error = test.astype(np.float64) - reference.astype(np.float64)
    result = {}
    for name, axis in (("rows", 0), ("columns", 1)):
        jumps = _jumps(error, axis)
        ratios = {}
        for line in range(period, error.shape[axis] - window // 2, period):
            around = [j for j in range(line - window // 2, line + window // 2 + 1) if j != line and j > 0]
            ratios[line] = float(jumps[line] / max(np.median(jumps[around]), 1e-12))
        result[name] = ratios
    return result


def max_seam_ratio(reference: np.ndarray, test: np.ndarray, **options) -> tuple[float, str]:
    """The largest ratio of :func:`seam_ratios` and where it is ("column 512")."""
    ratios = seam_ratios(reference, test, **options)
    worst = max(((r, f"{name[:-1]} {line}") for name, lines in ratios.items() for line, r in lines.items()),
                default=(0.0, "none"))
    return worst
