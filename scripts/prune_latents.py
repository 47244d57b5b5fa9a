"""Prune the continuous model's latent channels to the first KEEP: a start for a fine-tune stage.

    python scripts/prune_latents.py WEIGHTS OUT [--keep 160]

WEIGHTS is a training checkpoint (its moving average), a best.pt or a shipped weights file of
he2021-checkerboard-gain (or mbt2018-mean-gain); OUT gets the pruned weights, which `securecomp
train --init OUT` starts from at their own width. OUT also names its source (zoo.save_start), so
that scripts/export_weights.py follows a pruned start back to the run it came from.

What reads or writes y loses the rows of the dropped channels: g_a's last and g_s's first layer,
the y and |y| halves of h_a's input, the scale and mean halves of h_s's output and of the
parameter network's input and output, the context and the gains. The parameter network keeps its
hidden width (checkerboard ``hidden``).

Session 12 found channels 160-319 dead (benchmarks/latent_channels.py: no nonzero symbol at any
quality), so pruning them changes only what their means told g_s (the hyperprior's information
through y_hat = mean): a fine-tune has to win that back.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from securecomp.codec import zoo  # noqa: E402

# weight name -> how its rows (dim 0) or columns (dim 1) are laid out: a list of the channel
# blocks of y it is made of, along that dimension
_ROWS_ONE = ("g_a.6.weight", "g_a.6.bias", "g_s.0.weight", "context_prediction.weight", "context_prediction.bias")
_ROWS_TWO = ("h_s.4.weight", "h_s.4.bias", "parameter_net.4.weight", "parameter_net.4.bias")


def _blocks(value: torch.Tensor, dim: int, count: int, M: int, keep: int) -> torch.Tensor:
    """``value`` along ``dim`` made of ``count`` blocks of M channels, each cut to its first ``keep``."""
    return torch.cat([value.narrow(dim, i * M, keep) for i in range(count)], dim=dim)


def pruned(state: dict[str, torch.Tensor], keep: int) -> dict[str, torch.Tensor]:
    """``state`` with only the first ``keep`` latent channels (module docstring)."""
    M = state["g_a.6.weight"].shape[0]
    if not 0 < keep <= M:
        raise SystemExit(f"--keep must be in 1..{M}, got {keep}")
    out = dict(state)
    for name in _ROWS_ONE:
        if name in out:
            out[name] = out[name][:keep]
    for name in _ROWS_TWO:
        if name in out:
            out[name] = _blocks(out[name], 0, 2, M, keep)
    out["h_a.0.weight"] = _blocks(out["h_a.0.weight"], 1, 2, M, keep)
    if "parameter_net.0.weight" in out:
        out["parameter_net.0.weight"] = _blocks(out["parameter_net.0.weight"], 1, 3, M, keep)
    for name in ("gain.log_gain", "inverse_gain.log_gain"):
        out[name] = out[name][:, :keep]
    return {name: value.clone() for name, value in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--keep", type=int, default=160)
    args = parser.parse_args()
    state = zoo.weights_of(torch.load(args.weights, map_location="cpu", weights_only=True))
    zoo.save_start(pruned(state, args.keep), args.weights, f"pruned to M = {args.keep}", args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
