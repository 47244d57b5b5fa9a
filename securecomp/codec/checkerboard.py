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
- Latent strings: the anchors of y, the rest of y, then z.
"""

from __future__ import annotations

from collections.abc import Callable

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


def _corrected(parameter_net: nn.Module, hyper: Tensor, context: Tensor) -> Tensor:
    """``hyper`` plus ``parameter_net``'s correction at the non-anchors. The network's layers are
    1×1, so it runs on the non-anchor positions alone, packed into one row (half the work)."""
    n, channels, h, w = hyper.shape
    positions = (~anchors(hyper)).flatten().nonzero().squeeze(1)
    features = torch.cat([hyper, context], dim=1).flatten(2)[:, :, positions]
    correction = parameter_net(features.unsqueeze(2)).squeeze(2).to(hyper.dtype)
    return hyper.flatten(2).index_add(2, positions, correction).view(n, channels, h, w)


def _fixed(symbols: Tensor, means: Tensor) -> Tensor:
    """y_hat in fixed point (exact float64 integers) from symbols and fixed-point means."""
    return symbols * 2**FRAC_BITS + means


def _y_hat(symbols: Tensor, means: Tensor) -> Tensor:
    """y_hat (float32) from symbols and fixed-point means, as the mean-scale model dequantizes."""
    return (_fixed(symbols, means) * 2.0**-FRAC_BITS).float()


def _straight_through(v: Tensor) -> Tensor:
    return v + (torch.round(v) - v).detach()


class CheckerboardGainHyperprior(MeanScaleGainHyperprior):
    """Mean-scale gain hyperprior plus a two-pass checkerboard context."""

    latent_strings = 3    # anchors of y, the rest of y, z

    def __init__(self, N: int = 112, M: int = 320):
        super().__init__(N, M)
        self.context_prediction = nn.Conv2d(M, M, 5, padding=2, groups=M)
        last = nn.Conv2d(M, 2 * M, 1)
        with torch.no_grad():
            for parameter in last.parameters():
                parameter.zero_()
        self.parameter_net = nn.Sequential(nn.Conv2d(3 * M, M, 1), nn.LeakyReLU(0.125), nn.Conv2d(M, M, 1),
                                           nn.LeakyReLU(0.125), last)
        self.context_int = IntegerNetwork(nn.Sequential(self.context_prediction))
        self.parameter_int = IntegerNetwork(self.parameter_net)

    # -- float path (training, refinement) ----------------------------------------------------------
    def _with_context(self, hyper: Tensor, anchor_hat: Tensor) -> Tensor:
        """Parameters (scales, means stacked) of every position: the hyperprior's at the anchors,
        corrected by the context of ``anchor_hat`` (anchors' values, zero elsewhere) at the others."""
        return _corrected(self.parameter_net, hyper, self.context_prediction(anchor_hat))

    def rounded(self, y: Tensor, z_hat: Tensor, rounding: Rounding) -> tuple[Tensor, Tensor, Tensor]:
        """(y_hat, scales, means) with ``rounding`` of y around its means (anchors first)."""
        hyper = self.h_s(z_hat)
        mask = anchors(y)
        anchor_hat = (rounding(y - hyper[:, self.M:]) + hyper[:, self.M:]) * mask
        scales, means = self._with_context(hyper, anchor_hat).chunk(2, dim=1)
        return torch.where(mask, anchor_hat, rounding(y - means) + means), scales, means

    def forward(self, x: Tensor, quality: Tensor) -> dict:
        y = self.g_a(x) * self.gain(quality)
        z_hat, z_likelihoods = self.entropy_bottleneck(self.h_a(self._hyper_input(y)))
        _, scales, means = self.rounded(y, z_hat, _straight_through)
        y_hat, y_likelihoods = self.gaussian_conditional(y, scales, means)
        x_hat = self.g_s(y_hat * self.inverse_gain(quality))
        return {"x_hat": x_hat, "likelihoods": {"y": y_likelihoods, "z": z_likelihoods}}

    # -- exact coding path -----------------------------------------------------------------------
    def _context_fixed(self, hyper: Tensor, anchor_fixed: Tensor) -> Tensor:
        """Fixed-point parameters of every position from the hyperprior's and the anchors' (exact)."""
        return _corrected(self.parameter_int, hyper, self.context_int(anchor_fixed))

    def _tables(self, params_fixed: Tensor) -> tuple[Tensor, Tensor]:
        """(table indexes, means in fixed point) from fixed-point parameters."""
        scales, means = params_fixed.chunk(2, dim=1)
        return self.gaussian_conditional.build_indexes_fixed(scales, FRAC_BITS), means

    def _symbols(self, y: Tensor, z_symbols: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(symbols of y, their table indexes, means in fixed point), anchors first as the decoder."""
        gc, mask = self.gaussian_conditional, anchors(y)
        hyper = self._hyper_fixed(z_symbols)
        means = hyper[:, self.M:]
        symbols = gc.quantize(y, means * 2.0**-FRAC_BITS)
        params = self._context_fixed(hyper, _fixed(symbols, means) * mask)
        indexes, means = self._tables(params)
        symbols = torch.where(mask, symbols, gc.quantize(y, means * 2.0**-FRAC_BITS))
        return symbols, indexes, means

    def code(self, y: Tensor, z: Tensor) -> dict:
        z_symbols = self.entropy_bottleneck.quantize(z)
        symbols, indexes, _ = self._symbols(y.double(), z_symbols)
        mask = anchors(y).expand_as(symbols)
        gc = self.gaussian_conditional
        strings = [gc.encode_symbols(symbols[mask], indexes[mask]),
                   gc.encode_symbols(symbols[~mask], indexes[~mask]),
                   self.entropy_bottleneck.encode_symbols(z_symbols)]
        return {"strings": strings, "shape": (z_symbols.shape[0], *z_symbols.shape[2:])}

    def latents(self, x: Tensor, quality: Tensor) -> Tensor:
        y, z = self.analyse(x, quality)
        symbols, _, means = self._symbols(y.double(), self.entropy_bottleneck.quantize(z))
        return _y_hat(symbols, means).to(x.device)

    def decompress_latents(self, strings: list[bytes], shape: tuple[int, int, int]) -> Tensor:
        """y_hat in the gained domain (before the inverse gain), exact: anchors, then the rest."""
        n, h, w = shape
        gc = self.gaussian_conditional
        z_symbols = self.entropy_bottleneck.decode_symbols(strings[2], (n, self.N, h, w)).to(self._device)
        hyper = self._hyper_fixed(z_symbols)
        indexes, means = self._tables(hyper)
        mask = anchors(hyper).expand_as(indexes)
        symbols = torch.zeros(indexes.shape, dtype=torch.int64, device=self._device)
        symbols[mask] = gc.decode_symbols(strings[0], indexes[mask]).to(self._device)
        indexes, means = self._tables(self._context_fixed(hyper, _fixed(symbols, means) * mask))
        symbols[~mask] = gc.decode_symbols(strings[1], indexes[~mask]).to(self._device)
        return _y_hat(symbols, means)
