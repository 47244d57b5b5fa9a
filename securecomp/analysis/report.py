"""The security-evaluation report: every measurement of :mod:`securecomp.analysis` on a set of images.

:func:`build_report` runs the experiments and returns a :class:`Report`: ``data`` holds every number
(what ``--json`` writes), ``figures`` the plots as base64 PNGs; :func:`report_html` renders one
self-contained HTML page from both. All randomness (nonces, positions, key bits, block choices)
comes from ``settings.seed``, which the report records, so the same key file, images and seed give
the same numbers again (throughput aside).
"""

from __future__ import annotations

import platform
import secrets
import time
from dataclasses import asdict, dataclass, field
from typing import Any, NotRequired, TypedDict

import numpy as np

from ..errors import UnsupportedImageError
from .compression import compression_results, throughput
from .differential import npcr_expected, uaci_expected
from .nist import bits_from_bytes, nist_battery
from .sensitivity import cipher_image, sensitivity_experiments, wrong_key_decryption
from .statistics import (
    DIRECTIONS,
    LOCAL_BLOCK_SHAPE,
    LOCAL_BLOCKS,
    adjacent_correlation,
    correlation_critical_value,
    entropy,
    expected_entropy,
    histogram_chi2,
    local_entropy,
)
from .verdict import verdict

__all__ = ["ReportSettings", "Report", "build_report", "check_report_image", "report_json", "MINIMUM_SIDE"]

MINIMUM_SIDE = 161              # MS-SSIM over five scales
SAMPLED_PAIRS = 3000            # the customary sample for correlation figures and numbers


@dataclass(frozen=True)
class ReportSettings:
    """What the report measures, and how hard it tries."""

    trials: int = 100
    alpha: float = 0.05
    wrong_key_trials: int = 10
    nist_sequences: int = 10
    nist_sequence_length: int = 1_000_000
    nist_alpha: float = 0.01
    codec: str | None = None
    qualities: tuple = (None,)
    seed: int | None = None

    def resolved(self) -> ReportSettings:
        """These settings with a recorded random seed in place of None."""
        if self.seed is not None:
            return self
        return ReportSettings(**{**asdict(self), "seed": secrets.randbits(63)})


class Correlation(TypedDict):
    """Adjacent-sample correlation in one direction: over every pair, and over a random sample."""

    all_pairs: float
    pairs: int
    critical: float
    sampled: float
    sampled_pairs: int
    sampled_critical: float


class ImageStatistics(TypedDict):
    entropy: float
    entropy_expected: float
    local_entropy: dict[str, Any]           # statistics.LocalEntropy.as_dict()
    histogram: dict[str, Any]               # statistics.HistogramTest.as_dict()
    correlation: dict[str, Correlation]     # by direction: horizontal, vertical, diagonal


class ImageNumbers(TypedDict):
    """Everything measured on one image (one entry of ``ReportData["images"]``)."""

    name: str
    width: int
    height: int
    channels: int
    cipher_image_nonce: str
    compression: list[dict[str, Any]]               # compression.compression_results rows
    statistics: dict[str, ImageStatistics]          # "plain", "cipher"
    throughput: dict[str, float]
    differential: dict[str, dict[str, Any]]         # "plaintext", "key": DifferentialResult; "expected"
    wrong_key: dict[str, Any]                       # sensitivity.WrongKeyResult.as_dict()
    nist: dict[str, Any] | None                     # NistBattery.as_dict() and its source; None when not run


class ReportData(TypedDict):
    """What ``--json`` writes: the settings, every image's numbers and the verdict."""

    securecomp_version: str
    created: str
    machine: str
    key_source: str
    settings: dict[str, Any]                        # asdict(ReportSettings), seed filled in
    images: list[ImageNumbers]
    verdict: NotRequired[dict[str, Any]]            # verdict.verdict(): status, headline, findings, checks
    seconds: NotRequired[float]


@dataclass
class Report:
    data: ReportData
    figures: dict[str, dict[str, str]] = field(default_factory=dict)     # image name -> {figure: base64 PNG}


def check_report_image(name: str, pixels: np.ndarray) -> None:
    """Refuse images the report cannot measure: not 8-bit, or too small for MS-SSIM or local entropy."""
    if pixels.dtype != np.uint8:
        raise UnsupportedImageError(f"{name}: the report measures 8-bit images (L, RGB, RGBA), not {pixels.dtype}",
                                    hint="convert 16-bit images to 8 bits first")
    height, width = pixels.shape[:2]
    channels = pixels.shape[2] if pixels.ndim == 3 else 1
    rows, cols = LOCAL_BLOCK_SHAPE
    blocks = (height // rows) * (width // cols) * channels
    if min(height, width) < MINIMUM_SIDE or blocks < LOCAL_BLOCKS:
        raise UnsupportedImageError(
            f"{name} is {width} x {height} pixels, too small for the report's tests",
            hint=f"use an image with at least {MINIMUM_SIDE} pixels per side (MS-SSIM) and room for "
                 f"{LOCAL_BLOCKS} blocks of {rows} x {cols} pixels (local entropy), "
                 "e.g. 256 x 256 color or 264 x 264 gray")


def build_report(images, *, key: bytes, settings: ReportSettings = ReportSettings(), progress=None,
                 figures: bool = True, key_source: str = "") -> Report:
    """Measure each ``(name, pixels)`` in ``images`` and the ChaosCipher output on them."""
    settings = settings.resolved()
    progress = progress or (lambda step: None)
    started = time.time()
    report = Report(ReportData(securecomp_version=_version(), created=time.strftime("%Y-%m-%d %H:%M:%S %z"),
                               machine=platform.platform(), key_source=key_source, settings=asdict(settings),
                               images=[]))
    seed = settings.seed
    assert seed is not None                 # resolved() records one
    for index, (name, pixels) in enumerate(images):
        check_report_image(name, pixels)
        analysis = _analyse_image(name, pixels, key, settings, np.random.default_rng([seed, index]), progress)
        report.data["images"].append(analysis.numbers)
        if figures:
            from .figures import image_figures
            report.figures[name] = image_figures(analysis)
            progress("figures")
    report.data["verdict"] = verdict(report.data)
    report.data["seconds"] = time.time() - started
    return report


@dataclass
class ImageAnalysis:
    """Numbers of one image, and the arrays its figures are drawn from."""

    numbers: ImageNumbers
    plain: np.ndarray
    cipher: np.ndarray
    sensitivity: dict           # "plaintext" / "key" -> SensitivityResult
    seed: int


def _analyse_image(name, pixels, key, settings, rng, progress) -> ImageAnalysis:
    nonce = rng.bytes(16)          # of the cipher image shown and measured
    seeds = rng.integers(0, 2**63, size=6)
    compression = compression_results(pixels, key=key, codec=settings.codec, qualities=settings.qualities)
    progress("compression")
    encrypted = cipher_image(pixels, key=key, nonce=nonce)
    statistics = {"plain": image_statistics(pixels, alpha=settings.alpha, seed=int(seeds[0])),
                  "cipher": image_statistics(encrypted, alpha=settings.alpha, seed=int(seeds[0]))}
    speeds = throughput(pixels, key=key, nonce=nonce)
    progress("statistics")
    results = sensitivity_experiments(None, pixels, key=key, trials=settings.trials, alpha=settings.alpha,
                                      seed=int(seeds[1]))
    progress("differential tests")
    differential = {change: result.as_dict() for change, result in results.items()}
    differential["expected"] = {"npcr": npcr_expected(), "uaci": uaci_expected()}
    wrong_key = wrong_key_decryption(None, pixels, key=key, trials=settings.wrong_key_trials,
                                     seed=int(seeds[3])).as_dict()
    progress("wrong key")
    numbers = ImageNumbers(name=name, width=pixels.shape[1], height=pixels.shape[0],
                           channels=pixels.shape[2] if pixels.ndim == 3 else 1, cipher_image_nonce=nonce.hex(),
                           compression=compression, statistics=statistics, throughput=speeds,
                           differential=differential, wrong_key=wrong_key,
                           nist=_nist(pixels, key, settings, rng, progress))
    return ImageAnalysis(numbers, pixels, encrypted, results, int(seeds[4]))


def image_statistics(image: np.ndarray, *, alpha: float, seed: int) -> ImageStatistics:
    """Entropy, local entropy, histogram χ² and H/V/D correlations (all pairs and 3000 sampled)."""
    channel_axis = -1 if image.ndim == 3 else None
    statistics = ImageStatistics(
        entropy=entropy(image), entropy_expected=expected_entropy(image.size),
        local_entropy=local_entropy(image, channel_axis=channel_axis, alpha=alpha, seed=seed).as_dict(),
        histogram=histogram_chi2(image, alpha=alpha).as_dict(), correlation={})
    for direction in DIRECTIONS:
        everything = adjacent_correlation(image, direction=direction, channel_axis=channel_axis)
        sampled = adjacent_correlation(image, direction=direction, pairs=SAMPLED_PAIRS, channel_axis=channel_axis,
                                       seed=seed)
        pairs = _pair_count(image.shape, direction)
        statistics["correlation"][direction] = Correlation(
            all_pairs=everything, pairs=pairs, critical=correlation_critical_value(pairs, alpha=alpha),
            sampled=sampled, sampled_pairs=SAMPLED_PAIRS,
            sampled_critical=correlation_critical_value(SAMPLED_PAIRS, alpha=alpha))
    return statistics


def _pair_count(shape: tuple[int, ...], direction: str) -> int:
    down, right = DIRECTIONS[direction]
    channels = shape[2] if len(shape) == 3 else 1
    return (shape[0] - down) * (shape[1] - right) * channels


def _nist(pixels: np.ndarray, key: bytes, settings: ReportSettings, rng, progress) -> dict | None:
    """The battery over ChaosCipher output: this image under fresh nonces, concatenated."""
    if settings.nist_sequences < 1:
        return None
    from ..hazmat.chaos import ChaosCipher
    needed = settings.nist_sequences * settings.nist_sequence_length
    cipher, chunks, have = ChaosCipher(key), [], 0
    while have < needed:
        chunks.append(cipher.encrypt(pixels.tobytes(), nonce=rng.bytes(16)))
        have += 8 * len(chunks[-1])
    bits = bits_from_bytes(b"".join(chunks))[:needed]
    battery = nist_battery(bits, sequence_length=settings.nist_sequence_length, alpha=settings.nist_alpha,
                           progress=lambda done: progress("NIST sequence"))
    return {**battery.as_dict(), "source": f"ChaosCipher output for this image under {len(chunks)} fresh nonces"}


def report_json(report: Report) -> str:
    import json
    return json.dumps(report.data, indent=1, allow_nan=False) + "\n"


def _version() -> str:
    from .. import __version__
    return __version__
