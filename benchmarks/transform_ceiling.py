"""How far the continuous model's transforms limit its top qualities: per image, the PSNR of
g_s(g_a(x)) with no quantization at all (the ceiling no rate can pass) beside the PSNR the codec
reaches when it codes the image, at a few qualities.

    python benchmarks/transform_ceiling.py DATASET [--limit N] [--qualities 1 4 8] [--crop 512]
        [--decoder-steps S] [--weights PATH]

A coded PSNR close to its ceiling means more bits cannot help there: the transforms must get
better (training), not the entropy model. With --decoder-steps S it also gives g_s's own ceiling:
the PSNR of g_s(y*) for latents y* optimised for MSE alone (Adam, S steps from g_a's y, no
quantization, no rate). A decoder ceiling well above the ceiling means g_a loses what g_s could
draw (an encoder-side fix: a wider g_a, or effort="max"); one close to it means g_s is the limit.
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


def ceiling(model, rgb: np.ndarray, quality: float, decoder_steps: int = 0) -> float:
    """PSNR of the transforms alone: g_a, the gains, no rounding, g_s (pixels rounded to 8 bits);
    with ``decoder_steps``, of g_s alone from latents optimised for MSE (module docstring)."""
    x = torch.from_numpy(np.array(rgb)).permute(2, 0, 1)[None].float().div(255)
    h, w = x.shape[2:]
    x = torch.nn.functional.pad(x, (0, -w % 64, 0, -h % 64), mode="replicate")
    q = torch.tensor([quality])
    with torch.no_grad():
        y = model.analyse_y(x, q)
    if decoder_steps:
        y = _fitted(model, x, q, y, decoder_steps)
    with torch.no_grad():
        x_hat = model.synthesise(y, q)[0, :, :h, :w]
    out = x_hat.mul(255).round().permute(1, 2, 0).numpy().astype(np.uint8)
    return psnr(rgb, out, data_range=255)


def _fitted(model, x: torch.Tensor, q: torch.Tensor, y: torch.Tensor, steps: int) -> torch.Tensor:
    """y moved by Adam (rate 0.02, decaying linearly to 0) to minimise g_s's MSE against x."""
    model.requires_grad_(False)
    y = y.detach().clone().requires_grad_(True)
    optimizer = torch.optim.Adam([y], lr=0.02)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / steps)
    for _ in range(steps):
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(model.synthesise(y, q), x).backward()
        optimizer.step()
        schedule.step()
    return y.detach()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--limit", type=int, default=6)
    parser.add_argument("--qualities", type=float, nargs="+", default=[1.0, 4.0, 8.0])
    parser.add_argument("--crop", type=int, default=512, help="centre crop (0: whole image)")
    parser.add_argument("--decoder-steps", type=int, default=0, help="also g_s's own ceiling, after S steps")
    parser.add_argument("--weights", type=Path, help="the ceilings of these weights (a checkpoint, best.pt or "
                                                       "weights file), not the shipped model's; no coded PSNR")
    args = parser.parse_args()
    model = _model(args.weights)
    columns = ["image", "quality"] + ["bpp", "coded PSNR"] * (args.weights is None) + ["ceiling PSNR"]
    columns += ["gap dB"] * (args.weights is None) + ["decoder ceiling"] * bool(args.decoder_steps)
    print("| " + " | ".join(columns) + " |\n" + "|---" * len(columns) + "|")
    for path in sorted(args.dataset.glob("*.png"))[: args.limit]:
        with Image.open(path) as im:
            image = im.convert("RGB")
        if args.crop:
            left, top = (max(0, (s - args.crop) // 2) for s in image.size)
            image = image.crop((left, top, left + args.crop, top + args.crop))
        rgb = np.asarray(image)
        for quality in args.qualities:
            top = ceiling(model, rgb, quality)
            row = [path.stem[:12], f"{quality:g}"]
            if args.weights is None:
                bits = compress(image, codec=MODEL, quality=quality)
                coded = psnr(rgb, np.asarray(decompress(bits).convert("RGB")), data_range=255)
                row += [f"{8 * len(bits) / (rgb.shape[0] * rgb.shape[1]):.3f}", f"{coded:.2f}", f"{top:.2f}",
                        f"{top - coded:.2f}"]
            else:
                row.append(f"{top:.2f}")
            if args.decoder_steps:
                row.append(f"{ceiling(model, rgb, quality, args.decoder_steps):.2f}")
            print("| " + " | ".join(row) + " |", flush=True)


def _model(weights: Path | None):
    """The shipped model, or one built at the widths of ``weights`` and loaded with them."""
    if weights is None:
        return zoo.load(MODEL, 8)
    from securecomp.codec.catalog import model_for

    state = zoo.weights_of(torch.load(weights, map_location="cpu", weights_only=True))
    model = model_for(MODEL, like=state)
    model.load_state_dict(state)
    return model.eval()


if __name__ == "__main__":
    main()
