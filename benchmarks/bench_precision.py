"""What bf16 costs the continuous model, transform by transform: the mean (bpp, PSNR) curve over
qualities 1..8 on a dataset with g_a and/or g_s in bf16 autocast, and its BD-rate against float32.
(The codec runs both in bf16 but their last layers on CPUs with native bf16: codec/models.run_transform.)

    python benchmarks/bench_precision.py DATASET [--limit 10]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from securecomp.analysis import ratedistortion  # noqa: E402
from securecomp.codec import meanscale, models  # noqa: E402

MODEL = "he2021-checkerboard-gain"     # the default model
VARIANTS = {"float32": set(), "g_a bf16": {"g_a"}, "g_s bf16": {"g_s"}, "both bf16": {"g_a", "g_s"},
            "g_a bf16, g_s bf16 but its last layer": {"g_a", "g_s:-1"}}


def _with_bf16(parts: set[str]):
    """run_transform as meanscale calls it, with bf16 forced on for ``parts``, off elsewhere."""
    def run(transform: torch.nn.Module, x: torch.Tensor, *, bf16: bool = False) -> torch.Tensor:
        part = "g_a" if isinstance(transform[0], torch.nn.Conv2d) else "g_s"
        x = models._channels_last(x)
        if f"{part}:-1" in parts:           # all but the last layer
            with torch.autocast("cpu", dtype=torch.bfloat16):
                x = transform[:-1](x)
            return transform[-1](x.float())
        if part not in parts:
            return transform(x)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return transform(x).float()
    return run


def curve(images: list[Image.Image]) -> list[tuple[float, float]]:
    points = []
    for quality in range(1, 9):
        rows = [ratedistortion.measure(image, MODEL, quality) for image in images]
        points.append((sum(r["bpp"] for r in rows) / len(rows), sum(r["psnr"] for r in rows) / len(rows)))
    return points


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--limit", type=int, default=10)
    args = parser.parse_args()
    images = [Image.open(p).convert("RGB") for p in sorted(args.dataset.glob("*.png"))[: args.limit]]
    curves = {}
    for name, parts in VARIANTS.items():
        meanscale.run_transform = _with_bf16(parts)     # type: ignore[assignment]
        curves[name] = curve(images)
    print("| transforms | BD-rate vs float32 |\n|---|---|")
    for name, points in curves.items():
        print(f"| {name} | {ratedistortion.bd_rate(curves['float32'], points):+.2f} % |")


if __name__ == "__main__":
    main()
