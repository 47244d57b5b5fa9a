"""``securecomp train``: the command line of :mod:`securecomp.codec.train`.

The parser takes its defaults from the light :mod:`securecomp.codec.train_config`; the trainer, and
so torch, load only when the command runs."""

from __future__ import annotations

import argparse
import json
from dataclasses import fields
from typing import TYPE_CHECKING

from ..codec.train_config import TrainConfig
from ..codec.zoo import DEFAULT_MODEL
from .options import at_least, positive

if TYPE_CHECKING:
    from .options import Subparsers


def add_parser(commands: Subparsers) -> None:
    command = commands.add_parser("train", help="train a learned codec model (rate-distortion)",
                                  description="Train a learned model on a folder of images; checkpoints "
                                  "and log.jsonl go to --out. Loss: lambda*255^2*MSE + bpp.")
    command.add_argument("--data", required=True, help="folder of training images (searched recursively)")
    command.add_argument("--val", help="folder of validation images")
    command.add_argument("--model", default=DEFAULT_MODEL,
                         help="model id (default %(default)s, the model of the learned codec)")
    command.add_argument("--quality", type=int, choices=range(1, 9), metavar="1..8",
                         help="the quality a per-quality model trains for (omit for a continuous-rate model, "
                         "such as the default, which trains every quality at once)")
    command.add_argument("--steps", type=positive, default=TrainConfig.steps)
    command.add_argument("--batch-size", type=positive, default=TrainConfig.batch_size)
    command.add_argument("--crop", type=positive, default=TrainConfig.crop, help="random crop side (multiple of 64)")
    command.add_argument("--lr", type=float, default=TrainConfig.lr)
    command.add_argument("--warmup", type=at_least(0), default=TrainConfig.warmup, metavar="STEPS",
                         help="raise the learning rate linearly from 0 over the first STEPS steps (a fresh optimizer "
                              "on trained weights: its first full-size steps would knock them off)")
    command.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    command.add_argument("--val-every", type=positive, default=TrainConfig.val_every)
    command.add_argument("--checkpoint-minutes", type=float, default=TrainConfig.checkpoint_minutes)
    command.add_argument("--out", default="runs/train", help="run folder (default %(default)s)")
    command.add_argument("--init", help="start from the weights of this checkpoint or shipped weights file "
                         "(securecomp/codec/weights/*.pt): fine-tune or continue a model")
    command.add_argument("--resume", help="resume this checkpoint (weights, optimizers, step)")
    command.add_argument("--seed", type=at_least(0), default=0)
    command.add_argument("--quantization", choices=("noise", "mixed"), default=TrainConfig.quantization,
                         help="training proxy for rounding: uniform noise everywhere, or noise for the rate "
                         "and rounded latents (straight-through) for the decoders (default %(default)s)")
    command.add_argument("--latent-gain", type=float, default=TrainConfig.latent_gain,
                         help="with --init (bmshj2018-hyperprior): multiply the latents by this gain before "
                         "training, a quantizer that many times finer (> 1 moves a model to a larger λ)")
    command.add_argument("--ema", type=float, default=TrainConfig.ema, metavar="DECAY",
                         help="validate, keep (best.pt) and export a moving average of the weights with this "
                         "decay, e.g. 0.999: smooths small-batch noise (default 0: off)")
    command.add_argument("--precision", choices=("auto", "bf16", "float32"), default=TrainConfig.precision,
                         help="bf16 autocast of the transforms: 2.3x faster steps on CPUs with AVX-512 BF16 "
                         "(benchmarks/bench_train_step.py); auto: bf16 on CUDA, float32 on the CPU")
    command.add_argument("--top-share", type=float, default=TrainConfig.top_share, metavar="SHARE",
                         help="continuous model: draw this share of the crops' qualities from [6, 8] instead of "
                         "[1, 8], to spend more of the training on the top qualities (default 0)")
    command.add_argument("--fast", nargs="+", default=TrainConfig.fast, metavar="NAME",
                         help="parameters whose names contain one of these (e.g. g_a.6.) learn 10x faster, "
                         "as the gains, the context and new decoder blocks always do")
    command.add_argument("--rate-ramp", nargs=2, type=int, default=TrainConfig.rate_ramp, metavar=("FIRST", "STEPS"),
                         help="latent channels from FIRST on pay no rate at the run's start, rising linearly to "
                         "full rate at step STEPS: grown channels learn to carry something before the rate weighs")
    command.set_defaults(run=run_train)


def run_train(args: argparse.Namespace) -> int:
    from ..codec.train import Trainer  # torch

    names = {f.name for f in fields(TrainConfig)}
    config = TrainConfig(**{k: v for k, v in vars(args).items() if k in names})
    result = Trainer(config).fit()
    print(json.dumps({"out": config.out, **result}))
    return 0
