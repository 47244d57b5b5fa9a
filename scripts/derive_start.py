"""Derive a training start from trained weights of the continuous model: fewer or more latent
channels (--keep, --latents), a wider encoder (--encoder-width), transforms conditioned on the
quality (--conditional), residual blocks in the decoder (--blocks), silent channels' gains
reset (--wake), or one quality's gains moved to a new λ (--retarget).

    python scripts/derive_start.py WEIGHTS OUT (--keep 160 | --latents 192 | --encoder-width 144 |
        --conditional | --blocks 1 | --wake 160 | --retarget 8 0.22)

WEIGHTS is a training checkpoint (its moving average), a best.pt or a shipped weights file of
he2021-checkerboard-gain (or mbt2018-mean-gain); OUT gets the derived weights, which `securecomp
train --init OUT` starts from at their own widths. OUT also names its source and the change
(zoo.save_start), so that scripts/export_weights.py follows it back to the run it came from.

--keep K cuts y to its first K channels. What reads or writes y loses the rows of the dropped
channels: g_a's last and g_s's first layer, the y and |y| halves of h_a's input, the scale and
mean halves of h_s's output and of the parameter network's input and output, the context and the
gains. The parameter network keeps its hidden width (checkerboard ``hidden``). Session 12 found
channels 160-319 dead (benchmarks/latent_channels.py: no nonzero symbol at any quality), so pruning
them changed only what their means told g_s: a fine-tune had to win that back.

--latents M' adds latent channels up to M', the other way round from the M = 320 of session 8. That
one gave the new channels small random analysis weights and silent synthesis weights, and training
never grew them: their values rounded to 0, so g_s saw nothing whatever they held (no distortion
gradient either way) while the rate pushed them down (their gains fell to e^-4; 160-319 were
pruned in session 13). Here g_a writes them with zero weights (y = 0: no symbol, no bit) and g_s
reads them with random weights of its other rows' spread, so that the straight-through gradient
of the distortion reaches g_a's new rows at once: they grow where what they carry is worth its
bits. h_a, h_s, the context's reader and the parameter network treat them as silent (zero weights:
mean 0, the smallest scale), and their gains start at the mean of the others'. The model codes the
same pixels as before (the new channels' symbols are all 0, at a few bytes per image). Why: at
qualities 4 and up all 160 channels carry bits (90 % of quality 8's in 137 of them, 4 crops of
val/clic2025), and the quality-8 ceiling is what holds Kodak below 38 dB.

--wake FIRST resets the gains of channels FIRST and up (both tables) to the mean of the others',
for grown channels that stayed silent: in sessions 17-18 their g_a rows grew (norm 0 -> 2.1, the
old rows' 3.3) while the rate drove their gains to e^-3, so their values never reached a symbol.
Woken, they code symbols at once; `securecomp train --rate-ramp FIRST STEPS` then spares them the
rate while g_s learns to read them.

--retarget Q OLD moves quality Q's gains, trained for λ = OLD, to meanscale.LAMBDAS[Q] by high-rate
theory (as meanscale.initial_gains: the quantizer step goes as λ**-1/2, so the gain is multiplied
by sqrt(λ_new / OLD) and the inverse gain divided by it). Why: session 19 raised λ_8 from 0.22 to
0.33, and from the unchanged weights 1,500 steps moved quality 8 by only 1 % in bits (gb82 1.231
-> 1.244 bpp, where the new λ wants about 1.45): the gains learn at 3e-4, a slow walk for a 22 %
step.

--encoder-width W widens g_a's hidden layers to W channels; the decoder, the bitstream and the
images already written do not change, and only encoding pays (benchmarks/bench_encoder_width.py).
Why: at quality 8, g_s draws 1.4-2.4 dB more from latents fitted to the image than from g_a's
(benchmarks/transform_ceiling.py --decoder-steps). The widened g_a computes exactly what the old
one did: the new channels of each hidden layer take fresh random weights from every input, but
what they feed (the next layer's old channels, y, and the old channels' GDN normalisation) reads
them with zero weights. Those zero weights get a real gradient (the new channels' outputs are not
zero), so training grows them.

--conditional gives g_a's and g_s's hidden layers per-quality channel scales and shifts
(meanscale.ConditionalChannels), all starting at the identity: the model computes what it did.
Why: the s15 encoder, 144 wide, left the quality-8 ceiling where it was (session 14): with gains
alone one g_a must serve every rate, while the gap above is one of representation at high rates.

--blocks B adds B residual blocks (layers.ResidualBlock, two 3x3 convolutions) to g_s after its
first IGDN, at 1/8 of the image's side, each starting as the identity (its second convolution is
zero): the model computes what it did. Why: after s16, the quality-8 ceiling barely rises above
quality 6's (on a 512 px crop of the first val/clic2025 photo 40.09 dB against 40.00), and g_s
draws only 0.5-0.8 dB more from latents fitted to the image (transform_ceiling.py --decoder-steps
200), so g_s's capacity now bounds the top. A block there costs 9 % of g_s's time, where the same
capacity at full width in the next layers would cost several times that.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from securecomp.codec import zoo  # noqa: E402
from securecomp.codec.layers import ResidualBlock  # noqa: E402
from securecomp.codec.meanscale import HIDDEN, LAMBDAS, MAX_QUALITY, MIN_QUALITY  # noqa: E402
from securecomp.codec.models import analysis_transform  # noqa: E402

# weight name -> how its rows (dim 0) or columns (dim 1) are laid out: a list of the channel
# blocks of y it is made of, along that dimension
_ROWS_ONE = ("g_a.6.weight", "g_a.6.bias", "g_s.0.weight", "context_prediction.weight", "context_prediction.bias")
_ROWS_TWO = ("h_s.4.weight", "h_s.4.bias", "parameter_net.4.weight", "parameter_net.4.bias")


def _blocks(value: torch.Tensor, dim: int, count: int, M: int, keep: int) -> torch.Tensor:
    """``value`` along ``dim`` made of ``count`` blocks of M channels, each cut to its first ``keep``."""
    return torch.cat([value.narrow(dim, i * M, keep) for i in range(count)], dim=dim)


def pruned(state: dict[str, torch.Tensor], keep: int) -> dict[str, torch.Tensor]:
    """``state`` with only the first ``keep`` latent channels (--keep: module docstring)."""
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


def grown(state: dict[str, torch.Tensor], latents: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """``state`` with ``latents`` latent channels, the new ones silent but read (--latents: module
    docstring)."""
    M = state["g_a.6.weight"].shape[0]
    if latents <= M:
        raise SystemExit(f"--latents must be above today's {M}, got {latents}")
    generator = torch.Generator().manual_seed(seed)
    extra = latents - M

    def added(value: torch.Tensor, dim: int, count: int, fill: str) -> torch.Tensor:
        """``value`` along ``dim`` made of ``count`` blocks of M channels, each followed by ``extra``
        new ones: zeros, or random of the old ones' spread ("random")."""
        parts = []
        for old in value.float().split(M, dim=dim):
            shape = list(old.shape)
            shape[dim] = extra
            new = torch.zeros(shape)
            if fill == "random":
                new = torch.randn(shape, generator=generator) * old.std()
            parts += [old, new]
        return torch.cat(parts, dim=dim)

    out = {name: value.float().clone() for name, value in state.items()}
    for name, fill in (("g_a.6.weight", "zero"), ("g_a.6.bias", "zero"), ("g_s.0.weight", "random"),
                       ("context_prediction.weight", "random"), ("context_prediction.bias", "zero")):
        if name in out:
            out[name] = added(out[name], 0, 1, fill)
    for name in _ROWS_TWO:
        if name in out:
            out[name] = added(out[name], 0, 2, "zero")
    out["h_a.0.weight"] = added(out["h_a.0.weight"], 1, 2, "zero")
    if "parameter_net.0.weight" in out:
        out["parameter_net.0.weight"] = added(out["parameter_net.0.weight"], 1, 3, "zero")
    for name in ("gain.log_gain", "inverse_gain.log_gain"):
        table = out[name]
        out[name] = torch.cat([table, table.mean(dim=1, keepdim=True).expand(-1, extra)], dim=1)
    return out


def woken(state: dict[str, torch.Tensor], first: int) -> dict[str, torch.Tensor]:
    """``state`` with the gains of latent channels ``first`` and up reset to the mean of the
    others' (--wake: module docstring)."""
    M = state["g_a.6.weight"].shape[0]
    if not 0 < first < M:
        raise SystemExit(f"--wake takes a channel between 1 and {M - 1}, got {first}")
    out = {name: value.float().clone() for name, value in state.items()}
    for name in ("gain.log_gain", "inverse_gain.log_gain"):
        out[name][:, first:] = out[name][:, :first].mean(dim=1, keepdim=True)
    return out


def retargeted(state: dict[str, torch.Tensor], quality: int, old: float) -> dict[str, torch.Tensor]:
    """``state`` with quality ``quality``'s gains moved from λ ``old`` to LAMBDAS (--retarget:
    module docstring)."""
    if not MIN_QUALITY <= quality <= MAX_QUALITY or old <= 0:
        raise SystemExit(f"--retarget takes a quality in [{MIN_QUALITY}, {MAX_QUALITY}] and a λ > 0, "
                         f"got {quality} {old}")
    shift = 0.5 * math.log(LAMBDAS[quality - MIN_QUALITY] / old)
    out = {name: value.float().clone() for name, value in state.items()}
    out["gain.log_gain"][quality - MIN_QUALITY] += shift
    out["inverse_gain.log_gain"][quality - MIN_QUALITY] -= shift
    return out


CONVS, GDNS = (0, 2, 4, 6), (1, 3, 5)


def widened(state: dict[str, torch.Tensor], width: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """``state`` with g_a widened to ``width`` hidden channels (--encoder-width: module docstring)."""
    old = state["g_a.0.weight"].shape[0]
    M = state["g_a.6.weight"].shape[0]
    if width < old:
        raise SystemExit(f"--encoder-width must be at least g_a's width today ({old}), got {width}")
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


def conditioned(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``state`` with identity conditional channels in g_a and g_s (--conditional: module docstring)."""
    if "conditioning.g_a.0.log_scale" in state:
        raise SystemExit("these weights are conditioned already")
    widths = {"g_a": state["g_a.0.weight"].shape[0], "g_s": state["g_s.0.weight"].shape[1]}
    levels = state["gain.log_gain"].shape[0]
    out = {name: value.float().clone() for name, value in state.items()}
    for transform, width in widths.items():
        for layer in range(len(HIDDEN)):
            for table in ("log_scale", "shift"):
                out[f"conditioning.{transform}.{layer}.{table}"] = torch.zeros(levels, width)
    return out


def with_blocks(state: dict[str, torch.Tensor], blocks: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """``state`` with ``blocks`` identity residual blocks in g_s (--blocks: module docstring)."""
    if any(name.startswith("g_s_blocks.") for name in state):
        raise SystemExit("these weights have decoder blocks already")
    if blocks < 1:
        raise SystemExit(f"--blocks must be at least 1, got {blocks}")
    torch.manual_seed(seed)
    width = state["g_s.0.weight"].shape[1]
    fresh = torch.nn.Sequential(*(ResidualBlock(width) for _ in range(blocks))).state_dict()
    return {name: value.float().clone() for name, value in state.items()} | {
        f"g_s_blocks.{name}": value for name, value in fresh.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights", type=Path)
    parser.add_argument("out", type=Path)
    change = parser.add_mutually_exclusive_group(required=True)
    change.add_argument("--keep", type=int, help="latent channels to keep")
    change.add_argument("--latents", type=int, help="latent channels to grow to")
    change.add_argument("--encoder-width", type=int, help="g_a's new hidden width")
    change.add_argument("--conditional", action="store_true", help="condition g_a and g_s on the quality")
    change.add_argument("--blocks", type=int, help="residual blocks to add to g_s")
    change.add_argument("--wake", type=int, metavar="FIRST", help="reset the gains of channels FIRST and up")
    change.add_argument("--retarget", nargs=2, type=float, metavar=("Q", "OLD"),
                        help="move quality Q's gains from λ OLD to the current LAMBDAS")
    args = parser.parse_args()
    if args.retarget is not None:
        quality, old = int(args.retarget[0]), args.retarget[1]
        zoo.save_start(args.weights, args.out, f"quality {quality}'s gains moved from λ {old:g} to "
                       f"{LAMBDAS[quality - MIN_QUALITY]:g}", lambda state: retargeted(state, quality, old))
    elif args.wake is not None:
        zoo.save_start(args.weights, args.out, f"gains of channels {args.wake} and up reset",
                       lambda state: woken(state, args.wake))
    elif args.blocks is not None:
        zoo.save_start(args.weights, args.out, f"{args.blocks} residual blocks in g_s",
                       lambda state: with_blocks(state, args.blocks))
    elif args.conditional:
        zoo.save_start(args.weights, args.out, "g_a and g_s conditioned on the quality", conditioned)
    elif args.latents is not None:
        zoo.save_start(args.weights, args.out, f"grown to M = {args.latents}",
                       lambda state: grown(state, args.latents))
    elif args.keep is not None:
        zoo.save_start(args.weights, args.out, f"pruned to M = {args.keep}", lambda state: pruned(state, args.keep))
    else:
        width = args.encoder_width
        zoo.save_start(args.weights, args.out, f"g_a widened to {width}", lambda state: widened(state, width))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
