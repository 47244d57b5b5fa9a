"""How far the continuous model's transforms limit its top qualities: per image, the PSNR of
g_s(g_a(x)) with no quantization at all (the ceiling no rate can pass) beside the PSNR the codec
reaches when it codes the image, at a few qualities.

    python benchmarks/transform_ceiling.py DATASET [--limit N] [--qualities 1 4 8] [--crop 512]

A coded PSNR close to its ceiling means more bits cannot help there: the transforms must get
better (training), not the entropy model.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from securecomp.analysis.metrics import psnr  # noqa: E402
from securecomp.codec import zoo  # noqa: E402
from securecomp.codec.bitstream import compress, decompress  # noqa: E402
from securecomp.codec.catalog import CONTINUOUS_MODEL  # noqa: E402

MODEL = CONTINUOUS_MODEL


def ceiling(model, rgb: np.ndarray, quality: float) -> float:
    """PSNR of the transforms alone: g_a, the gains, no rounding, g_s (pixels rounded to 8 bits)."""
    x = torch.from_numpy(np.array(rgb)).permute(2, 0, 1)[None].float().div(255)
    h, w = x.shape[2:]
    x = torch.nn.functional.pad(x, (0, -w % 64, 0, -h % 64), mode="replicate")
    q = torch.tensor([quality])
    with torch.no_grad():
        y, _ = model.analyse(x, q)
        x_hat = model.synthesise(y, q)[0, :, :h, :w]
    out = x_hat.mul(255).round().permute(1, 2, 0).numpy().astype(np.uint8)
    return psnr(rgb, out, data_range=255)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--limit", type=int, default=6)
    parser.add_argument("--qualities", type=float, nargs="+", default=[1.0, 4.0, 8.0])
    parser.add_argument("--crop", type=int, default=512, help="centre crop (0: whole image)")
    args = parser.parse_args()
    model = zoo.load(MODEL, 8)
    print("| image | quality | bpp | coded PSNR | ceiling PSNR | gap dB |\n|---|---|---|---|---|---|")
    for path in sorted(args.dataset.glob("*.png"))[: args.limit]:
        with Image.open(path) as im:
            image = im.convert("RGB")
        if args.crop:
            left, top = (max(0, (s - args.crop) // 2) for s in image.size)
            image = image.crop((left, top, left + args.crop, top + args.crop))
        rgb = np.asarray(image)
        for quality in args.qualities:
            bits = compress(image, codec=MODEL, quality=quality)
            coded = psnr(rgb, np.asarray(decompress(bits).convert("RGB")), data_range=255)
            top = ceiling(model, rgb, quality)
            bpp = 8 * len(bits) / (rgb.shape[0] * rgb.shape[1])
            print(f"| {path.stem[:12]} | {quality:g} | {bpp:.3f} | {coded:.2f} | {top:.2f} | {top - coded:.2f} |")


if __name__ == "__main__":
    main()
