"""Widen the continuous model's encoder g_a to WIDTH hidden channels: a start for a training stage.

    python scripts/widen_analysis.py WEIGHTS OUT [--width 144]

WEIGHTS is a training checkpoint (its moving average), a best.pt or a shipped weights file of
he2021-checkerboard-gain (or mbt2018-mean-gain); OUT gets the widened weights (zoo.save_start, so
that scripts/export_weights.py follows it back to its run), which `securecomp train --init OUT`
starts from at their own widths (the model's ``analysis``).

Why the encoder: at quality 8, g_s draws 1.4-2.4 dB more from latents fitted to the image than
from g_a's (benchmarks/transform_ceiling.py --decoder-steps), so g_a loses most of what caps the
top qualities, and its width costs encoding time only: the decoder, the bitstream and the images
already written do not change.

The widened g_a computes exactly what the old one did: the new channels of each hidden layer take
fresh random weights from every input, but what they feed (the next layer's old channels, y, and
the old channels' GDN normalisation) reads them with zero weights. Those zero weights get a real
gradient (the new channels' outputs are not zero), so training grows them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from securecomp.codec import zoo  # noqa: E402
from securecomp.codec.models import analysis_transform  # noqa: E402

CONVS, GDNS = (0, 2, 4, 6), (1, 3, 5)


def widened(state: dict[str, torch.Tensor], width: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """``state`` with g_a widened to ``width`` hidden channels (module docstring)."""
    old = state["g_a.0.weight"].shape[0]
    M = state["g_a.6.weight"].shape[0]
    if width < old:
        raise SystemExit(f"--width must be at least g_a's width today ({old}), got {width}")
    torch.manual_seed(seed)
    fresh = {f"g_a.{name}": value for name, value in analysis_transform(width, M).state_dict().items()}
    out = {name: value.float().clone() for name, value in state.items()}
    for i in CONVS:
        weight, bias = fresh[f"g_a.{i}.weight"], fresh[f"g_a.{i}.bias"]
        rows = old if i < 6 else M
        weight[:rows, : weight.shape[1] if i == 0 else old] = out[f"g_a.{i}.weight"]
        if i > 0:
            weight[:rows, old:] = 0                   # the old channels (and y) ignore the new ones
        bias[:rows] = out[f"g_a.{i}.bias"]
        out[f"g_a.{i}.weight"], out[f"g_a.{i}.bias"] = weight, bias
    for i in GDNS:
        beta, gamma = fresh[f"g_a.{i}.beta"], fresh[f"g_a.{i}.gamma"]     # gamma's new entries: 0 but a
        beta[:old] = out[f"g_a.{i}.beta"]                                 # diagonal of 0.1 for new rows
        gamma[:old, :old] = out[f"g_a.{i}.gamma"]
        out[f"g_a.{i}.beta"], out[f"g_a.{i}.gamma"] = beta, gamma
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--width", type=int, default=144)
    args = parser.parse_args()
    state = zoo.weights_of(torch.load(args.weights, map_location="cpu", weights_only=True))
    zoo.save_start(widened(state, args.width), args.weights, f"g_a widened to {args.width}", args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
