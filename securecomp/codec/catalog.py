"""Which architecture each model id is: :func:`model_for` maps (id, quality 1..8) to a freshly
initialised model (:mod:`.models` holds the per-quality architectures, :mod:`.meanscale` and
:mod:`.checkerboard` the continuous-rate ones; this module sits above them all, so none imports
its users)."""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor

from .checkerboard import CheckerboardGainHyperprior
from .meanscale import MeanScaleGainHyperprior
from .models import BlockAutoencoder, CompressionModel, FactorizedPrior, ScaleHyperprior

__all__ = ["MODELS", "PER_QUALITY_MODELS", "CONTINUOUS_MODELS", "CONTINUOUS_MODEL", "QUALITIES", "model_for"]

QUALITIES = range(1, 9)


def _factorized(quality: int) -> FactorizedPrior:
    return FactorizedPrior(128, 192) if quality <= 5 else FactorizedPrior(192, 320)


def _hyperprior(quality: int) -> ScaleHyperprior:
    """Narrower than CompressAI's 128/192 and 192/320: all eight qualities ship in ~54 MB of fp16
    weights (the 60 MB budget) and the nets train in CPU-sized runs. The wider net starts at quality
    5, where it had the lower validation loss (scripts/train_cpu.sh, stage wide)."""
    return ScaleHyperprior(96, 144) if quality <= 4 else ScaleHyperprior(112, 160)


def _sae(quality: int) -> BlockAutoencoder:
    return BlockAutoencoder(512, 64)


# One model for every quality (continuous rate), class by id. A fresh model has N = 112 (as
# qualities 5-8 had) and M = 320 latent channels; weights about to be loaded give their own widths
# (model_for's ``like``, the class's ``widths_of``): the shipped he2021-checkerboard-gain is
# 112/192 since session 18: pruned to the 160 channels that training brought to life in session 13
# (scripts/derive_start.py --keep), grown to 192 in session 17 and woken in 18 (--latents, --wake).
CONTINUOUS_MODELS: dict[str, type[MeanScaleGainHyperprior]] = {
    "mbt2018-mean-gain": MeanScaleGainHyperprior,
    "he2021-checkerboard-gain": CheckerboardGainHyperprior,
}
CONTINUOUS_WIDTH = (112, 320)
# the one in training (and its benchmarks'); today also `learned`'s model (zoo.DEFAULT_MODEL)
CONTINUOUS_MODEL = "he2021-checkerboard-gain"


PER_QUALITY_MODELS: dict[str, Callable[[int], CompressionModel]] = {
    "bmshj2018-factorized": _factorized,
    "bmshj2018-hyperprior": _hyperprior,
    "bandara2020-sae": _sae,
}
MODELS = (*PER_QUALITY_MODELS, *CONTINUOUS_MODELS)


def model_for(model_id: str, quality: int | None = None, *, like: dict[str, Tensor] | None = None) -> CompressionModel:
    """A freshly initialised model of ``model_id`` with the architecture used at ``quality`` (1..8;
    a continuous-rate model has one architecture for all and takes no quality, but takes its widths
    from ``like``, weights it is about to load, where given)."""
    if model_id not in MODELS:
        raise ValueError(f"unknown model {model_id!r}; known models: {', '.join(MODELS)}")
    if model_id in CONTINUOUS_MODELS:
        kind = CONTINUOUS_MODELS[model_id]
        if like is not None and "g_a.6.weight" in like:
            return kind(**kind.widths_of(like))
        return kind(*CONTINUOUS_WIDTH)
    if quality is None or quality not in QUALITIES:
        raise ValueError(f"quality {quality} outside 1..8")
    return PER_QUALITY_MODELS[model_id](quality)
