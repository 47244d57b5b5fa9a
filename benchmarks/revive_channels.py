"""Experiment: can the dead latent channels of the continuous model be brought to life?

Session 8 widened y from M = 160 to 320 channels, the new ones starting silent. They never grew:
their gains fell to about e^-4 of y (benchmarks/latent_channels.py: no channel >= 160 codes a
nonzero symbol at any quality). Straight-through rounding gives a silent channel no real
distortion gradient (the decoder sees the same rounded value whatever y does), while the rate
gradient on it is real, so silence is where training settles.

This script restarts them and trains, so the attempt can be repeated and compared:
- their gains and inverse gains are reset to the mean of the live channels' at every quality
  level, which gives them values of the live channels' size;
- g_s's weights that read them are zeroed, so the reconstruction starts as before;
- with ``--boost k``, g_a's weights that write them are divided by k and their gains multiplied by
  k, and their inverse gains multiplied by k (g_s's readout of them, divided by k, is still zero):
  the same function, but Adam, whose steps do not scale with the gradient, now moves those weights
  k times faster relative to their effect (the attempts without it grew too slowly);
- their bits count with a weight rho in the loss: ``--floor`` for the first ``--hold`` steps, then
  rising linearly to 1 over ``--ramp`` steps (Adam still sees the entropy model's gradients at
  full strength).

    python benchmarks/revive_channels.py RUN [--weights FILE] [--split 160] [--hold 0] [--ramp 2000]
        [--floor 0.05] [--steps 3000] [--boost 1] [--data DIR] [--val DIR]

Then ``python benchmarks/latent_channels.py ../shared/datasets/val/gb82 --weights RUN/checkpoint.pt
--raw`` shows what the revived channels cost and give. Session 12's two attempts (hold 0, floor
0.05, ramp 2,000; and hold 800, floor 0.02, ramp 2,000) both failed, and so did session 13's
(``--boost 10 --hold 1500 --floor 0.02 --ramp 3000`` from runs/v2-s12's checkpoint near step
34,000: at step 1,500 quality 8 spent 1.958 bpp on val/gb82 for 39.11 dB, against 1.112 bpp for
39.10 dB at s12's step 34,500 without them): docs/codec.md, "Width". Session 13 pruned them
instead (scripts/derive_start.py --keep).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from securecomp.codec import train, zoo  # noqa: E402
from securecomp.codec.catalog import CONTINUOUS_MODEL  # noqa: E402
from securecomp.codec.checkerboard import CheckerboardGainHyperprior  # noqa: E402


def revived(weights: Path, split: int, boost: float = 1.0) -> dict[str, torch.Tensor]:
    """The weights with channels [split, M) restarted (module docstring)."""
    state = {name: value.float() for name, value in zoo.weights_of(torch.load(weights, map_location="cpu")).items()}
    for name in ("gain.log_gain", "inverse_gain.log_gain"):
        state[name][:, split:] = state[name][:, :split].mean(dim=1, keepdim=True) + math.log(boost)
    for name in ("g_a.6.weight", "g_a.6.bias"):
        state[name][split:] /= boost
    state["g_s.0.weight"][split:] = 0
    return state


def rho(step: int, hold: int, ramp: int, floor: float) -> float:
    """The weight of the revived channels' bits at ``step``."""
    return floor if step < hold else min(1.0, floor + (1 - floor) * (step - hold) / max(ramp, 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--weights", type=Path, default=zoo.WEIGHTS / f"{CONTINUOUS_MODEL}.pt")
    parser.add_argument("--split", type=int, default=160)
    parser.add_argument("--hold", type=int, default=0)
    parser.add_argument("--ramp", type=int, default=2000)
    parser.add_argument("--floor", type=float, default=0.05)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--boost", type=float, default=1.0, help="relative learning rate of the revived channels")
    parser.add_argument("--data", default=str(ROOT.parent / "shared/datasets/train"))
    parser.add_argument("--val", default=str(ROOT.parent / "shared/datasets/val/gb82"))
    args = parser.parse_args()
    args.run.mkdir(parents=True, exist_ok=True)
    start = args.run / "revived.pt"
    torch.save(revived(args.weights, args.split, args.boost), start)
    trainer: train.Trainer | None = None
    plain = CheckerboardGainHyperprior.forward

    def forward(model, x, quality):
        out = plain(model, x, quality)
        if model.training and trainer is not None:
            weight = rho(trainer.step, args.hold, args.ramp, args.floor)
            y = out["likelihoods"]["y"]
            out["likelihoods"]["y"] = torch.cat([y[:, : args.split], y[:, args.split :] ** weight], dim=1)
        return out

    CheckerboardGainHyperprior.forward = forward      # this process only: an experiment
    config = train.TrainConfig(model=CONTINUOUS_MODEL, quality=None, data=args.data, val=args.val,
                               out=str(args.run), steps=args.steps, batch_size=2, crop=256, lr=1e-4, warmup=200,
                               val_every=500, checkpoint_minutes=4, seed=121, quantization="mixed", ema=0.999,
                               precision="bf16", init=str(start))
    trainer = train.Trainer(config)
    trainer.fit(progress=False)


if __name__ == "__main__":
    main()
