"""The settings of a training run (:class:`TrainConfig`), apart from the training loop.

A light module: it imports neither torch nor numpy, so that ``securecomp train --help`` and the
parser of every other command take their defaults from here without loading the trainer
(:mod:`securecomp.codec.train`, which re-exports :class:`TrainConfig`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TrainConfig"]


@dataclass
class TrainConfig:
    model: str
    quality: int | None               # None for a continuous-rate model (every step draws q in [1, 8])
    data: str
    val: str | None = None
    out: str = "runs"
    steps: int = 2000
    batch_size: int = 8
    crop: int = 256
    lr: float = 1e-4
    warmup: int = 0                   # steps over which the learning rate rises linearly to lr (fresh optimizer)
    aux_lr: float = 1e-3
    device: str = "auto"
    val_every: int = 500
    checkpoint_minutes: float = 5.0
    seed: int = 0
    quantization: str = "noise"       # "mixed": decoders see rounded latents (straight-through)
    latent_gain: float = 1.0          # with --init: fold this gain into the weights first (scale_latents)
    ema: float = 0.0                  # decay of the weights' moving average (0: none)
    precision: str = "auto"           # "bf16" autocast, "float32", or auto: bf16 on CUDA only
    top_share: float = 0.0            # continuous model: share of crops whose quality is drawn from [6, 8]
    fast: tuple[str, ...] = ()        # more parameter-name parts that learn FAST_LR_FACTOR times faster
    rate_ramp: tuple[int, int] | None = None   # (FIRST, STEPS): y's channels from FIRST pay no rate at the
                                      # run's step 0, rising linearly to full rate at step STEPS
    init: str | None = None           # checkpoint or shipped weights file to start from (fine-tuning)
    resume: str | None = None
