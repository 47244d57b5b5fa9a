"""Rate–distortion evaluation of the codecs, behind ``securecomp bench`` (its command line:
:mod:`securecomp.cli.bench`).

bpp comes from the real bytes of :func:`securecomp.compress` (descriptor included), PSNR in RGB on
the 8-bit reconstruction (:func:`securecomp.analysis.metrics.psnr`, the package's one PSNR), both
averaged over the images per quality. Times are per image in steady state: each codec first codes
the first image once, untimed (:func:`warm_up`), so that loading its model and the first call's
setup are not charged to whichever quality runs first. BD-rate is Bjøntegaard's with PCHIP
interpolation of log-rate over the overlapping PSNR range.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.interpolate import PchipInterpolator

from ..codec.bitstream import compress, decompress
from ..codec.registry import get_codec
from ..errors import ParameterError
from .metrics import ms_ssim, psnr

ANCHORS = ("jpeg", "jpeg2000", "webp", "avif")
MS_SSIM_MIN_SIDE = 161      # five scales of an 11-pixel window
# CompressAI's published Kodak points (bpp, RGB PSNR), qualities 1..8, from
# results/kodak/compressai-bmshj2018-{factorized,hyperprior}_mse_cuda.json in its repository.
PUBLISHED = {
    "compressai bmshj2018-factorized": [(0.123, 26.91), (0.189, 28.22), (0.288, 29.62), (0.440, 31.28),
                                        (0.648, 32.96), (0.967, 35.38), (1.351, 37.40), (1.833, 39.62)],
    "compressai bmshj2018-hyperprior": [(0.131, 27.58), (0.209, 29.20), (0.320, 30.97), (0.478, 32.84),
                                        (0.669, 34.53), (0.939, 36.74), (1.259, 38.58), (1.660, 40.56)],
}


def measure(image: Image.Image, codec: str, quality: float, effort: str = "default") -> dict[str, float]:
    """One image at one setting: real bytes, RGB PSNR (and MS-SSIM when the image is large enough), seconds."""
    start = time.perf_counter()
    data = compress(image, codec=codec, quality=quality, effort=effort)
    middle = time.perf_counter()
    decoded = decompress(data)
    end = time.perf_counter()
    reference, test = np.asarray(image.convert("RGB")), np.asarray(decoded.convert("RGB"))
    row = {"bytes": len(data), "bpp": 8 * len(data) / (image.width * image.height),
           "psnr": psnr(reference, test), "encode_s": middle - start, "decode_s": end - middle}
    if min(image.size) >= MS_SSIM_MIN_SIDE:
        row["ms_ssim"] = float(ms_ssim(reference, test, data_range=255, channel_axis=-1))
    return row


def warm_up(path: Path, codec: str, quality: float) -> None:
    """Code ``path`` once with ``codec``, untimed: loads the model and pays the first call's setup."""
    with Image.open(path) as im:
        decompress(compress(im.convert("RGB"), codec=codec, quality=quality))


def bd_rate(anchor: list[tuple[float, float]], test: list[tuple[float, float]]) -> float | None:
    """Bjøntegaard delta rate of ``test`` against ``anchor`` in percent (negative: fewer bits).

    Points are (bpp, PSNR). Log-rate is interpolated over PSNR with PCHIP and integrated over the
    overlapping PSNR range; None when the curves do not overlap or have fewer than two points.
    """
    curves = []
    for points in (anchor, test):
        pts = sorted({p for p in points if np.isfinite(p[1])}, key=lambda p: p[1])
        if len(pts) < 2:
            return None
        levels = np.array([p[1] for p in pts])        # PSNR, rising
        if np.any(np.diff(levels) <= 0):
            return None
        curves.append((levels, np.log10([p[0] for p in pts])))
    low = max(c[0][0] for c in curves)
    high = min(c[0][-1] for c in curves)
    if high <= low:
        return None
    integrals = [PchipInterpolator(levels, rate).integrate(low, high) for levels, rate in curves]
    return float((10 ** ((integrals[1] - integrals[0]) / (high - low)) - 1) * 100)


def curve(rows: list[dict]) -> list[tuple[float, float]]:
    return [(r["bpp"], r["psnr"]) for r in rows]


def run(images: list[Path], codecs: list[str], qualities: list[int], progress: bool = True) -> dict:
    """Every codec × quality × image; returns per-quality means and BD-rates against the anchors."""
    from tqdm import tqdm

    plan = {codec: _qualities(codec, qualities) for codec in codecs}
    results: dict[str, list[dict]] = {c: [] for c in codecs}
    with tqdm(total=sum(map(len, plan.values())) * len(images), disable=not progress) as bar:
        for codec in codecs:
            warm_up(images[0], codec, plan[codec][0])
            for quality in plan[codec]:
                rows = []
                for path in images:
                    with Image.open(path) as im:
                        rows.append(measure(im.convert("RGB"), codec, quality))
                    bar.update(1)
                results[codec].append(_mean(rows) | {"quality": quality})
    return {"images": [p.name for p in images], "results": results, "bd_rate": bd_table(results)}


def _qualities(codec_id: str, wanted: list[int]) -> list[int]:
    """The wanted qualities a codec has: a learned model only those that ship, a lossless codec one."""
    codec = get_codec(codec_id)
    shipped = codec.shipped_qualities() if hasattr(codec, "shipped_qualities") else wanted
    available = [q for q in wanted if q in shipped]
    if not available:
        raise ParameterError(f"{codec_id} has none of the qualities {wanted} (it has {shipped})",
                             hint="pick other --qualities")
    return available[:1] if codec.lossless else available


def _mean(rows: list[dict]) -> dict:
    """Per-key means over the keys every row has (MS-SSIM is left out if one image is too small)."""
    return {key: float(np.mean([r[key] for r in rows])) for key in rows[0] if all(key in r for r in rows)}


def bd_table(results: dict[str, list[dict]]) -> dict[str, dict[str, float | None]]:
    table = {}
    for codec, rows in results.items():
        table[codec] = {anchor: bd_rate(curve(results[anchor]), curve(rows))
                        for anchor in ANCHORS if anchor in results and anchor != codec}
    return table


def dataset_images(folder: str | Path) -> list[Path]:
    files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in {".png", ".jpg", ".jpeg"})
    if not files:
        raise ParameterError(f"no PNG/JPEG images in {folder}", hint="--dataset takes a folder such as Kodak")
    return files


def plot(summary: dict, path: str | Path, *, published: bool = True, title: str = "Rate–distortion") -> None:
    """RD curves of a run; ``published`` adds CompressAI's published Kodak curves (24 images),
    labelled as such (only meaningful beside a Kodak run)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 5))
    for codec, rows in summary["results"].items():
        axes.plot(*zip(*curve(rows)), marker="o", label=codec)
    for name, points in PUBLISHED.items() if published else ():
        axes.plot(*zip(*points), linestyle="--", marker="x", label=f"{name} (published, Kodak 24 images)")
    images = len(summary["images"])
    axes.set(xlabel="bits per pixel (real bytes)", ylabel="RGB PSNR (dB)", title=f"{title} ({images} images)")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    figure.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(figure)


def write(summary: dict, output: str | Path) -> None:
    Path(output).write_text(json.dumps(summary, indent=1) + "\n")
