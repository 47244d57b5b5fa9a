"""What cutting the image in tiles costs the continuous-rate model's rate.

Per image and quality, in bits per pixel:

- ``whole``: the model's own estimate (-log2 of its likelihoods) with the image as one piece;
- ``own hyperprior``: the same estimate with every 512² tile given its own hyperprior and context,
  as learned bodies version 2 and 3 coded them (g_a still sees across tile edges);
- ``coded``: the strings that version 4 writes (codec/planar.py: one hyperprior and context for
  the whole plane, the strings cut in tiles), framing excluded.

    python benchmarks/tile_cost.py ../shared/datasets/val/gb82 --limit 4 --qualities 1 4 8
"""

from __future__ import annotations

import argparse
import glob
import os

import numpy as np
import torch
from PIL import Image

from securecomp.codec import planar, tiling
from securecomp.codec.catalog import CONTINUOUS_MODEL
from securecomp.codec.learned import _loaded


def _estimate(model, y: torch.Tensor, z: torch.Tensor) -> float:
    """-log2 of the model's likelihoods of y and z, hard-rounded (bits)."""
    eb, gc = model.entropy_bottleneck, model.gaussian_conditional
    z_hat = eb.dequantize(eb.quantize(z))
    y_hat, scales, means = model.rounded(y, z_hat, torch.round)
    y_likelihoods = gc.likelihood(y_hat, scales, means).clamp_min(gc.likelihood_bound)   # as in training
    return float(-torch.log2(eb.likelihood(z_hat)).sum() - torch.log2(y_likelihoods).sum())


def _costs(model, rgb: np.ndarray, quality: float) -> tuple[float, float, float]:
    height, width = rgb.shape[:2]
    q = torch.tensor([quality])
    plane = torch.empty(1, model.M, tiling.padded(height) // tiling.LATENT, tiling.padded(width) // tiling.LATENT)
    own_hyperprior = 0.0
    for tile in tiling.tiles(width, height):
        x, own = tiling.analysis_window(rgb, tile)
        y = model.analyse_y(x, q, own)
        plane[(..., *tiling.own_latents(tile))] = y
        own_hyperprior += _estimate(model, y, model.h_a(model._hyper_input(y)))
    z = planar.analysis_z(model, plane)
    whole = _estimate(model, plane, z)
    coded = 8 * sum(map(len, planar.encode(model, plane.clone(), z)))
    return whole, own_hyperprior, coded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--limit", type=int, default=4)
    parser.add_argument("--qualities", type=float, nargs="+", default=[1.0, 4.0, 8.0])
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    model, _ = _loaded(CONTINUOUS_MODEL, 1)
    files = sorted(glob.glob(os.path.join(args.folder, "*.png")))[: args.limit]
    images = [np.asarray(Image.open(f).convert("RGB")) for f in files]
    pixels = sum(image.shape[0] * image.shape[1] for image in images)
    print(f"{len(images)} images of {args.folder}, {CONTINUOUS_MODEL}; bits per pixel")
    for quality in args.qualities:
        with torch.no_grad():
            whole, own, coded = np.sum([_costs(model, image, quality) for image in images], axis=0) / pixels
        print(f"q{quality:g}: whole {whole:.4f} | own hyperprior per tile {own:.4f} ({100 * (own / whole - 1):+.2f} %)"
              f" | coded (version 4) {coded:.4f} ({100 * (coded / whole - 1):+.2f} %; {100 * (coded / own - 1):+.2f} %"
              " against own hyperprior per tile)", flush=True)


if __name__ == "__main__":
    main()
