"""The continuous-rate model with a checkerboard context: "he2021-checkerboard-gain".

He, Zheng, Sun, Wang, Qin 2021, "Checkerboard context model for efficient learned image
compression", on the mean-scale gain hyperprior of :mod:`.meanscale`. The latent positions split
like a checkerboard: the *anchors* ((row + column) even) are coded first with the hyperprior's
means and scales alone; the other half's means and scales also see the decoded anchors around
them. Decoding takes two passes, where a serial context (Minnen 2018) takes one per position.

- The context is a depthwise 5×5 convolution of the decoded anchors (each channel predicted from
  the same channel's anchors around it; the non-anchors in its window are zero), and the
  parameter network three 1×1 layers over (hyperprior parameters, context) whose output is *added*
  to the hyperprior's parameters at the non-anchors (it runs at those positions only). Its last
  layer starts at zero, so a model started from mean-scale weights codes exactly as they did, and
  training grows the context from there. (He 2021 uses a full 5×5 convolution: 26 times the
  multiply-adds of this one, which the decoder would run in float64 integer arithmetic.)
- Exactness as in the mean-scale model: the anchors' values are fixed-point (symbol · 2^10 plus the
  integer mean), and both the context and the parameter network run as :class:`IntegerNetwork`,
  so both coder sides derive the same tables and means on every machine.
- Coding (:mod:`.planar`): two passes per tile, the anchors and then the rest (:meth:`tile_pass`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from .layers import FRAC_BITS, IntegerNetwork
from .meanscale import MeanScaleGainHyperprior

__all__ = ["CheckerboardGainHyperprior", "anchors"]

Rounding = Callable[[Tensor], Tensor]


def anchors(like: Tensor) -> Tensor:
    """Boolean mask (1, 1, h, w) of the anchor positions of a latent like ``like``: (row + col) even."""
    h, w = like.shape[-2:]
    rows = torch.arange(h, device=like.device)[:, None]
    cols = torch.arange(w, device=like.device)[None, :]
    return ((rows + cols) % 2 == 0)[None, None]


class _Board:
    """A latent's positions in two halves, the anchors and the rest, each in row-major order (the
    order of the coded symbols): ``half`` packs one half of (n, c, h, w) into (n, c, positions),
    ``merge`` puts halves back (zeros for a missing second half)."""

    def __init__(self, like: Tensor):
        mask = anchors(like).flatten()
        self.halves = mask.nonzero().squeeze(1), (~mask).nonzero().squeeze(1)
        self.size = like.shape[-2:]

    def half(self, x: Tensor, which: int) -> Tensor:
        """The anchors' (0) or the rest's (1) values of ``x``, packed."""
        return x.flatten(2)[:, :, self.halves[which]]

    def merge(self, first: Tensor, second: Tensor | None = None) -> Tensor:
        n, c = first.shape[:2]
        whole = first.new_zeros(n, c, self.size.numel()).index_copy_(2, self.halves[0], first)
        if second is not None:
            whole.index_copy_(2, self.halves[1], second)
        return whole.view(n, c, *self.size)


def _corrected(parameter_net: nn.Module, board: _Board, hyper: Tensor, context: Tensor) -> Tensor:
    """The non-anchors' parameters (packed): ``hyper`` plus ``parameter_net``'s correction from
    (hyper, context). The network's layers are 1×1, so it runs on those positions alone."""
    hyper_rest = board.half(hyper, 1)
    features = torch.cat([hyper_rest, board.half(context, 1)], dim=1)
    return hyper_rest + parameter_net(features.unsqueeze(2)).squeeze(2).to(hyper.dtype)


def _straight_through(v: Tensor) -> Tensor:
    return v + (torch.round(v) - v).detach()


class CheckerboardGainHyperprior(MeanScaleGainHyperprior):
    """Mean-scale gain hyperprior plus a two-pass checkerboard context."""

    def __init__(self, N: int = 112, M: int = 320, hidden: int | None = None, analysis: int | None = None,
                 conditional: bool = False, blocks: int = 0):
        """``hidden``: the parameter network's width (default M; a model pruned to fewer latent
        channels keeps its trained one); ``analysis``, ``conditional`` and ``blocks``: as in the
        base class."""
        super().__init__(N, M, analysis, conditional, blocks)
        hidden = hidden or M
        self.context_prediction = nn.Conv2d(M, M, 5, padding=2, groups=M)
        last = nn.Conv2d(hidden, 2 * M, 1)
        with torch.no_grad():
            for parameter in last.parameters():
                parameter.zero_()
        self.parameter_net = nn.Sequential(nn.Conv2d(3 * M, hidden, 1), nn.LeakyReLU(0.125),
                                           nn.Conv2d(hidden, hidden, 1), nn.LeakyReLU(0.125), last)
        self.context_int = IntegerNetwork(nn.Sequential(self.context_prediction))
        self.parameter_int = IntegerNetwork(self.parameter_net)

    @staticmethod
    def widths_of(state: dict[str, Tensor]) -> dict[str, Any]:
        widths = MeanScaleGainHyperprior.widths_of(state)
        if "parameter_net.2.weight" in state:
            widths["hidden"] = state["parameter_net.2.weight"].shape[0]
        return widths

    # -- float path (training, refinement) ----------------------------------------------------------
    def _with_context(self, hyper: Tensor, anchor_hat: Tensor) -> Tensor:
        """Parameters (scales, means stacked) of every position: the hyperprior's at the anchors,
        corrected by the context of ``anchor_hat`` (anchors' values, zero elsewhere) at the others."""
        board = _Board(hyper)
        rest = _corrected(self.parameter_net, board, hyper, self.context_prediction(anchor_hat))
        return board.merge(board.half(hyper, 0), rest)

    def rounded(self, y: Tensor, z_hat: Tensor, rounding: Rounding) -> tuple[Tensor, Tensor, Tensor]:
        """(y_hat, scales, means) with ``rounding`` of y around its means (anchors first)."""
        hyper = self.h_s(z_hat)
        mask = anchors(y)
        anchor_hat = (rounding(y - hyper[:, self.M:]) + hyper[:, self.M:]) * mask
        scales, means = self._with_context(hyper, anchor_hat).chunk(2, dim=1)
        return torch.where(mask, anchor_hat, rounding(y - means) + means), scales, means

    def forward(self, x: Tensor, quality: Tensor) -> dict:
        y = self.y_of(x, quality)
        z_hat, z_likelihoods = self.entropy_bottleneck(self.h_a(self._hyper_input(y)))
        _, scales, means = self.rounded(y, z_hat, _straight_through)
        y_hat, y_likelihoods = self.gaussian_conditional(y, scales, means)
        return {"x_hat": self.x_hat_of(y_hat, quality), "likelihoods": {"y": y_likelihoods, "z": z_likelihoods}}

    # -- exact coding path (:mod:`.planar`) -----------------------------------------------------
    coding_passes = 2     # the anchors, then the rest

    def tile_pass(self, step: int, hyper: Tensor, window: Tensor, own: tuple[slice, slice]) -> tuple[Tensor, ...]:
        """A tile's pass ``step`` (:mod:`.planar`): (its positions in the tile, row-major; their
        table indexes and fixed-point means, packed). The anchors' parameters are h_s's; the rest's
        are corrected by the context of the decoded anchors in ``window`` (the latent plane around
        the tile, float32 y_hat; ``own`` is the tile within it), read back in fixed point (exact)."""
        board = _Board(hyper)
        if step == 0:
            return (board.halves[0], *self._tables(board.half(hyper, 0)))
        anchors_fixed = window.double() * 2**FRAC_BITS * anchors(window)
        context = self.context_int(anchors_fixed)[:, :, own[0], own[1]]
        return (board.halves[1], *self._tables(_corrected(self.parameter_int, board, hyper, context)))
