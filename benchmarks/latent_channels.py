"""Which latent channels of the continuous model carry information: per quality, how many channels
code at least one nonzero symbol, how near the second group comes to one (its largest |y - mean|:
0.5 rounds to a symbol), the bits of y in each channel group and those of z, and the PSNR
lost when a group's values are replaced by their means (what the decoder gets from the hyperprior
alone). ``--crop 0`` takes whole images.

    python benchmarks/latent_channels.py DATASET [--weights FILE [--raw]] [--split 160] [--limit 4]
        [--crop 384] [--qualities 1 4 8]

The groups are channels [0, split) and [split, M). The figures come from the model's own forward
in evaluation mode (rounded latents, the estimated rate), on centre crops.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from securecomp.codec import zoo  # noqa: E402
from securecomp.codec.catalog import CONTINUOUS_MODEL, model_for  # noqa: E402


def load_model(weights: Path | None, raw: bool = False):
    """The shipped model, or one from a weights file or a training checkpoint (its moving average,
    or with ``raw`` the trained weights themselves)."""
    if weights is None:
        return zoo.load(CONTINUOUS_MODEL, 8)
    state = torch.load(weights, map_location="cpu")
    chosen = {k: v.float() for k, v in (state["model"] if raw else zoo.weights_of(state)).items()}
    model = model_for(CONTINUOUS_MODEL, like=chosen)          # at the weights' own widths
    model.load_state_dict(chosen)
    return model.eval()


def crops(dataset: Path, limit: int, size: int) -> list[torch.Tensor]:
    out = []
    for path in sorted(dataset.glob("*.png"))[:limit]:
        with Image.open(path) as im:
            image = im.convert("RGB")
        if size:
            left, top = (max(0, (s - size) // 2) for s in image.size)
            image = image.crop((left, top, left + size, top + size))
        width, height = (s // 64 * 64 for s in image.size)      # the model's forward takes multiples of 64
        rgb = np.asarray(image.crop((0, 0, width, height))).copy()
        out.append(torch.from_numpy(rgb).permute(2, 0, 1)[None].float().div(255))
    return out


@torch.no_grad()
def channel_use(model, x: torch.Tensor, quality: float, split: int) -> dict:
    """For one image: nonzero symbols per channel, bits per group and of z, MSE with and without each group."""
    q = torch.tensor([quality])
    y = model.y_of(x, q)
    z_hat, z_likelihoods = model.entropy_bottleneck(model.h_a(model._hyper_input(y)))
    y_hat, scales, means = model.rounded(y, z_hat, torch.round)
    _, likelihoods = model.gaussian_conditional(y, scales, means)
    bits = -torch.log2(likelihoods)[0].sum(dim=(1, 2))
    nonzero = ((y_hat - means).round() != 0)[0].sum(dim=(1, 2))
    reach = (y - means).abs()[0].flatten(1).amax(dim=1)         # per channel: how near a nonzero symbol

    def mse(values: torch.Tensor) -> float:
        return float(((model.x_hat_of(values, q).clamp(0, 1) - x) ** 2).mean())

    groups = (slice(0, split), slice(split, y.shape[1]))
    without = []
    for group in groups:
        cut = y_hat.clone()
        cut[:, group] = means[:, group]
        without.append(mse(cut))
    return {"nonzero": nonzero, "reach": [float(reach[g].max()) for g in groups],
            "bits": [float(bits[g].sum()) for g in groups],
            "z_bits": float(-torch.log2(z_likelihoods).sum()), "mse": mse(y_hat),
            "mse_without": without}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--weights", type=Path, help="a weights file or training checkpoint (default: shipped)")
    parser.add_argument("--raw", action="store_true", help="a checkpoint's trained weights, not their moving average")
    parser.add_argument("--split", type=int, default=160)
    parser.add_argument("--limit", type=int, default=4)
    parser.add_argument("--crop", type=int, default=384)
    parser.add_argument("--qualities", type=float, nargs="+", default=[1.0, 4.0, 8.0])
    args = parser.parse_args()
    model, images = load_model(args.weights, args.raw), crops(args.dataset, args.limit, args.crop)
    pixels = sum(x.shape[2] * x.shape[3] for x in images)
    low, high = f"< {args.split}", f"≥ {args.split}"
    print(f"| quality | live channels {low} | live {high} | largest abs(y - mean) {high} | y bpp {low} "
          f"| y bpp {high} | z bpp | PSNR | dB lost without {low} | dB lost without {high} |\n" + "|---" * 10 + "|")
    for quality in args.qualities:
        rows = [channel_use(model, x, quality, args.split) for x in images]
        live = sum(r["nonzero"] for r in rows) > 0
        bpp = [sum(r["bits"][g] for r in rows) / pixels for g in (0, 1)]
        z_bpp = sum(r["z_bits"] for r in rows) / pixels
        psnr = np.mean([-10 * math.log10(r["mse"]) for r in rows])
        lost = [np.mean([10 * math.log10(r["mse_without"][g] / r["mse"]) for r in rows]) for g in (0, 1)]
        reach = max(r["reach"][1] for r in rows)         # above 0.5: the group codes a nonzero symbol
        print(f"| {quality:g} | {int(live[:args.split].sum())} | {int(live[args.split:].sum())} | {reach:.3f} "
              f"| {bpp[0]:.3f} | {bpp[1]:.3f} | {z_bpp:.4f} | {psnr:.2f} | {lost[0]:.2f} | {lost[1]:.3f} |", flush=True)


if __name__ == "__main__":
    main()
