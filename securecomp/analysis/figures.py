"""Figures of the report, drawn with matplotlib's Agg canvas and returned as base64 PNG text.

No pyplot: each figure is a ``matplotlib.figure.Figure`` on its own Agg canvas, so drawing never
touches a global backend or opens a window.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .statistics import DIRECTIONS, adjacent_pairs

__all__ = ["image_figures", "figure_to_base64"]

DPI = 90
SCATTER_PAIRS = 3000
PLAIN_COLOR, CIPHER_COLOR, CRITICAL_COLOR = "#2b6cb0", "#c05621", "#9b2c2c"


def figure_to_base64(figure: Figure) -> str:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    figure.savefig(buffer, format="png", dpi=DPI)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def image_figures(analysis) -> dict[str, str]:
    """All figures of one image analysis (see :class:`securecomp.analysis.report.ImageAnalysis`)."""
    return {"images": figure_to_base64(_images(analysis.plain, analysis.cipher)),
            "histograms": figure_to_base64(_histograms(analysis.plain, analysis.cipher)),
            "correlation": figure_to_base64(_correlation(analysis.plain, analysis.cipher, analysis.seed)),
            "differential": figure_to_base64(_differential(analysis.sensitivity))}


def _images(plain: np.ndarray, cipher: np.ndarray) -> Figure:
    figure = Figure(figsize=(8, 4.2), layout="constrained")
    for axes, image, title in zip(figure.subplots(1, 2), (plain, cipher), ("plain image", "cipher image")):
        axes.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=255, interpolation="nearest")
        axes.set_title(title)
        axes.set_axis_off()
    return figure


def _histograms(plain: np.ndarray, cipher: np.ndarray) -> Figure:
    figure = Figure(figsize=(8, 2.8), layout="constrained")
    for axes, image, title in zip(figure.subplots(1, 2), (plain, cipher), ("plain histogram", "cipher histogram")):
        planes = image.reshape(-1, image.shape[2] if image.ndim == 3 else 1)
        colors = ("#c53030", "#2f855a", "#2b6cb0", "#4a5568") if planes.shape[1] > 1 else ("#2d3748",)
        for channel in range(planes.shape[1]):
            counts = np.bincount(planes[:, channel], minlength=256)
            axes.plot(np.arange(256), counts, color=colors[channel], linewidth=0.9)
        axes.set_title(title)
        axes.set_xlim(0, 255)
        axes.set_xlabel("sample value")
    return figure


def _correlation(plain: np.ndarray, cipher: np.ndarray, seed: int) -> Figure:
    figure = Figure(figsize=(9, 6), layout="constrained")
    grid = figure.subplots(2, 3)
    channel_axis = -1 if plain.ndim == 3 else None
    for row, (image, label, color) in enumerate(((plain, "plain", PLAIN_COLOR), (cipher, "cipher", CIPHER_COLOR))):
        for column, direction in enumerate(DIRECTIONS):
            x, y = adjacent_pairs(image, direction=direction, pairs=SCATTER_PAIRS, channel_axis=channel_axis,
                                  seed=seed)
            r = np.corrcoef(x.astype(float), y.astype(float))[0, 1]
            axes = grid[row, column]
            axes.scatter(x, y, s=1, color=color, alpha=0.5, rasterized=True)
            axes.set_title(f"{label}, {direction}: r = {r:+.4f}", fontsize=9)
            axes.set_xlim(0, 255)
            axes.set_ylim(0, 255)
            axes.set_aspect("equal")
    return figure


def _differential(sensitivity: dict) -> Figure:
    figure = Figure(figsize=(9, 5), layout="constrained")
    grid = figure.subplots(2, 2)
    for row, (change, result) in enumerate(sensitivity.items()):
        _trial_histogram(grid[row, 0], result.npcr, (result.npcr_critical,), f"{change}: NPCR per trial (%)")
        _trial_histogram(grid[row, 1], result.uaci, result.uaci_interval, f"{change}: UACI per trial (%)")
    return figure


def _trial_histogram(axes, values: np.ndarray, critical: tuple[float, ...], title: str) -> None:
    axes.hist(values, bins=min(30, max(5, values.size // 4)), color="#718096")
    for value in critical:
        axes.axvline(value, color=CRITICAL_COLOR, linestyle="--", linewidth=1.2)
    axes.set_title(title + " — dashed: critical values", fontsize=9)
    axes.ticklabel_format(useOffset=False)
