"""Encode-time refinement of the latents (``effort="max"``): stochastic Gumbel annealing.

Yang, Bamler, Mandt 2020, "Improving inference for neural image compression": starting from the
analysis transform's (y, z), gradient steps on the model's own loss λ·255²·MSE + bpp for this one
image, with rounding replaced by a two-way Gumbel-softmax between floor and ceil whose temperature
anneals towards hard rounding. Every ``check_every`` steps the hard-rounded loss is measured and
the best (y, z) so far kept (the analysis output counts as the first candidate, so refinement never
makes an image worse by that measure). Only the encoder changes: the result is coded by
``model.code`` and decodes with the normal decoder. Plain straight-through rounding diverged on
these models (docs/codec.md); the annealed soft rounding is what works.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import torch
from torch import Tensor

from .layers import lower_bound

__all__ = ["Refinement", "refine"]


@dataclass(frozen=True)
class Refinement:
    steps: int = 50
    lr: float = 1e-2
    start_temperature: float = 0.5
    end_temperature: float = 0.05
    check_every: int = 25

    def temperature(self, step: int) -> float:
        """Exponential annealing from start_temperature to end_temperature over the steps."""
        t = step / max(self.steps - 1, 1)
        return self.start_temperature * (self.end_temperature / self.start_temperature) ** t


def _soft_round(v: Tensor, temperature: float) -> Tensor:
    """SGA: floor or ceil, drawn with Gumbel noise, relaxed at ``temperature`` (differentiable)."""
    floor = torch.floor(v).detach()
    frac = (v - floor).clamp(1e-4, 1 - 1e-4)
    logits = torch.stack([-torch.atanh(frac), -torch.atanh(1 - frac)], dim=-1) / temperature
    weights = torch.nn.functional.gumbel_softmax(logits, tau=1.0, hard=False)
    return floor + weights[..., 1]


def _loss(model, x: Tensor, y_hat: Tensor, z_hat: Tensor, params: tuple[Tensor, Tensor],
          quality: Tensor, lmbda: Tensor) -> Tensor:
    scales, means = params
    gc = model.gaussian_conditional
    bits = -(torch.log2(lower_bound(gc.likelihood(y_hat, scales, means), gc.likelihood_bound)).sum()
             + torch.log2(model.entropy_bottleneck.likelihood(z_hat)).sum())
    x_hat = model.x_hat_of(y_hat, quality)
    mse = torch.mean((x_hat.clamp(0, 1) - x) ** 2)
    return lmbda * 255**2 * mse + bits / (x.shape[2] * x.shape[3])


def _hard_loss(model, x, y, z, quality, lmbda) -> float:
    medians = model.entropy_bottleneck._broadcast(model.entropy_bottleneck.medians, z)
    z_hat = torch.round(z - medians) + medians
    y_hat, scales, means = model.rounded(y, z_hat, torch.round)
    return float(_loss(model, x, y_hat, z_hat, (scales, means), quality, lmbda))


def refine(model, x: Tensor, quality: Tensor, settings: Refinement = Refinement(),
           start: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
    """(y, z) for ``model.code`` that lower this image's rate–distortion loss at ``quality``,
    starting from ``start`` (the analysis of ``x`` by default)."""
    from .meanscale import lambda_of

    with torch.no_grad():
        y0, z0 = model.analyse(x, quality) if start is None else start
    lmbda = lambda_of(quality).to(x.device).view(-1)[0]
    requires = [p.requires_grad for p in model.parameters()]
    model.requires_grad_(False)
    try:
        return _descend(model, x, y0, z0, quality, lmbda, settings)
    finally:
        for p, flag in zip(model.parameters(), requires):
            p.requires_grad_(flag)


def _descend(model, x, y0, z0, quality, lmbda, settings: Refinement) -> tuple[Tensor, Tensor]:
    y, z = y0.clone().requires_grad_(True), z0.clone().requires_grad_(True)
    optimizer = torch.optim.Adam([y, z], lr=settings.lr)
    with torch.no_grad():
        best = (_hard_loss(model, x, y0, z0, quality, lmbda), y0, z0)
    eb = model.entropy_bottleneck
    for step in range(settings.steps):
        tau = settings.temperature(step)
        with torch.enable_grad():
            medians = eb._broadcast(eb.medians, z)
            z_hat = _soft_round(z - medians, tau) + medians
            y_hat, scales, means = model.rounded(y, z_hat, partial(_soft_round, temperature=tau))
            loss = _loss(model, x, y_hat, z_hat, (scales, means), quality, lmbda)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
        optimizer.step()
        if (step + 1) % settings.check_every == 0 or step + 1 == settings.steps:
            with torch.no_grad():
                hard = _hard_loss(model, x, y, z, quality, lmbda)
                if hard < best[0] and math.isfinite(hard):
                    best = (hard, y.detach().clone(), z.detach().clone())
    return best[1], best[2]
