"""Learned image compression models: transforms (g_a, g_s, h_a, h_s) around the entropy models.

Every model follows one contract (``x`` in [0, 1], shape (N, 3, H, W), H and W multiples of 64):

- ``forward(x) -> {"x_hat": Tensor, "likelihoods": {"y": Tensor[, "z": Tensor]}}`` for training;
- ``compress(x) -> {"strings": [bytes per latent], "shape": (N, h, w)}`` where ``shape`` is the
  batch size and spatial size of the deepest latent; each byte string codes the whole batch;
- ``decompress(strings, shape) -> x_hat`` (clamped to [0, 1]);
- ``decompress_latents(strings, shape) -> y_hat`` and ``latents(x) -> y_hat``: the quantized latent
  as the decoder sees it and as the encoder coded it (identical, bit for bit);
- ``aux_loss()`` (quantile fitting, optimise the ``quantiles`` parameters with it) and
  ``update_tables()`` (build the integer CDF tables; call once after training, before saving).

Model ids follow ``author-year``; :mod:`.catalog` maps (id, quality 1..8) to an architecture.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache

import torch
from torch import Tensor, nn

from .entropy import EntropyBottleneck, GaussianConditional
from .layers import FRAC_BITS, GDN, IGDN, IntegerNetwork, conv, deconv, subpixel

__all__ = ["CompressionModel", "FactorizedPrior", "ScaleHyperprior", "BlockAutoencoder", "parameter_groups",
           "run_transform", "through"]


class CompressionModel(nn.Module):
    """Shared plumbing: auxiliary loss and table updates over every entropy model inside."""

    def aux_loss(self) -> Tensor:
        losses = [m.aux_loss() for m in self.modules() if isinstance(m, EntropyBottleneck)]
        return torch.stack(losses).sum()

    def update_tables(self) -> None:
        """Build every integer CDF table (and derive integer networks) from the current weights."""
        for m in self.modules():
            if isinstance(m, (EntropyBottleneck, GaussianConditional)):
                m.update_tables()
            elif isinstance(m, IntegerNetwork):
                m.update()

    def decompress(self, strings: list[bytes], shape: tuple[int, int, int]) -> Tensor:
        y_hat = self.decompress_latents(strings, shape)
        return self.g_s(_channels_last(y_hat)).clamp_(0, 1).contiguous()

    @property
    def _device(self) -> torch.device:
        return next(self.parameters()).device


def _channels_last(x: Tensor) -> Tensor:
    """NHWC layout: oneDNN convolutions and GDN run ~30 % faster on CPU (same math, the rounding
    of float sums may differ, which never matters: the decoder reads the symbols, not floats)."""
    return x.contiguous(memory_format=torch.channels_last)


PRECISION_VARIABLE = "SECURECOMP_PRECISION"


Between = dict[int, Callable[[nn.Module, Tensor], Tensor]]


def through(transform: nn.Sequential, x: Tensor, between: Between | None = None, *, last: bool = True) -> Tensor:
    """``transform``'s layers (all, or all but the last), layer i applied as ``between[i](layer, x)``
    where given: how a conditioned model (:class:`.meanscale.ConditionalChannels`) runs g_a and g_s."""
    layers = transform if last else transform[:-1]
    if not between:
        return layers(x)
    for i, layer in enumerate(layers):
        x = between[i](layer, x) if i in between else layer(x)
    return x


def run_transform(transform: nn.Sequential, x: Tensor, *, bf16: bool = False, between: Between | None = None) -> Tensor:
    """A coding-time transform in channels-last float32; with ``bf16``, on a CPU with native bf16
    support (AVX-512 BF16 / AMX), every layer but the last in bf16 autocast, which nearly halves
    the time, and the last one, which writes y or the pixels, in float32. On val/gb82 (6 images,
    qualities 1-8, benchmarks/bench_precision.py) g_a so costs nothing, g_s +0.3 % BD-rate (+1.1 %
    with its last layer in bf16 too). What both coder sides must agree on (z symbols, h_s, table
    choice) never runs in bf16. SECURECOMP_PRECISION=float32 turns bf16 off.
    g_s's last layer runs in its sub-pixel form (layers.subpixel: the same pixels up to float
    rounding, in half the time); training keeps the transposed convolution. ``between``: as in
    :func:`through`."""
    x = _channels_last(x)
    last = subpixel(transform[-1])
    if not bf16 or x.device.type != "cpu" or not _native_bf16():
        return last(through(transform, x, between, last=False))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        x = through(transform, x, between, last=False)
    return last(x.float())


@cache
def _native_bf16() -> bool:
    choice = os.environ.get(PRECISION_VARIABLE, "auto")
    return choice == "bf16" or (choice == "auto" and bool(torch.ops.mkldnn._is_mkldnn_bf16_supported()))


def analysis_transform(N: int, M: int) -> nn.Sequential:
    """g_a: four 5×5 stride-2 convolutions with GDN between them (x -> y, /16)."""
    return nn.Sequential(conv(3, N), GDN(N), conv(N, N), GDN(N), conv(N, N), GDN(N), conv(N, M))


def synthesis_transform(N: int, M: int) -> nn.Sequential:
    """g_s: four 5×5 stride-2 transposed convolutions with IGDN between them (y_hat -> x_hat)."""
    return nn.Sequential(deconv(M, N), IGDN(N), deconv(N, N), IGDN(N), deconv(N, N), IGDN(N), deconv(N, 3))


class _SingleLatentModel(CompressionModel):
    """Coding for models with one latent y under an EntropyBottleneck (needs g_a, g_s, M)."""

    downsampling = 16     # image side / side of the coded latent
    latent_strings = 1    # byte strings per coded tile (y)

    def forward(self, x: Tensor) -> dict:
        y_hat, y_likelihoods = self.entropy_bottleneck(self.g_a(x))
        return {"x_hat": self.g_s(y_hat), "likelihoods": {"y": y_likelihoods}}

    def latents(self, x: Tensor) -> Tensor:
        eb = self.entropy_bottleneck
        return eb.dequantize(eb.quantize(self.g_a(_channels_last(x))).to(x.device))

    def compress(self, x: Tensor) -> dict:
        y = self.g_a(_channels_last(x))
        return {"strings": [self.entropy_bottleneck.compress(y)], "shape": (y.shape[0], *y.shape[2:])}

    def decompress_latents(self, strings: list[bytes], shape: tuple[int, int, int]) -> Tensor:
        n, h, w = shape
        return self.entropy_bottleneck.decompress(strings[0], (n, self.M, h, w))


class FactorizedPrior(_SingleLatentModel):
    """Ballé et al. 2018 factorized prior ("bmshj2018-factorized")."""

    def __init__(self, N: int = 128, M: int = 192):
        super().__init__()
        self.N, self.M = N, M
        self.g_a, self.g_s = analysis_transform(N, M), synthesis_transform(N, M)
        self.entropy_bottleneck = EntropyBottleneck(M)


class ScaleHyperprior(CompressionModel):
    """Ballé et al. 2018 scale hyperprior ("bmshj2018-hyperprior"), cross-machine safe.

    Training uses the float h_s. Coding derives the Gaussian table indexes from the z symbols
    through ``h_s_int``, an :class:`IntegerNetwork` copy of h_s, and integer thresholds
    (:meth:`GaussianConditional.build_indexes_fixed`): no floating-point rounding can make the
    decoder pick another table than the encoder, whatever the machine, threads or device.
    """

    downsampling = 64     # image side / side of z, the deepest coded latent
    latent_strings = 2    # y, then z

    def __init__(self, N: int = 128, M: int = 192):
        super().__init__()
        self.N, self.M = N, M
        self.g_a, self.g_s = analysis_transform(N, M), synthesis_transform(N, M)
        self.h_a = nn.Sequential(conv(M, N, 3, 1), nn.ReLU(inplace=True), conv(N, N), nn.ReLU(inplace=True), conv(N, N))
        self.h_s = nn.Sequential(deconv(N, N), nn.ReLU(inplace=True), deconv(N, N), nn.ReLU(inplace=True),
                                 conv(N, M, 3, 1), nn.ReLU(inplace=True))
        self.entropy_bottleneck = EntropyBottleneck(N)
        self.gaussian_conditional = GaussianConditional()
        self.h_s_int = IntegerNetwork(self.h_s)

    def forward(self, x: Tensor) -> dict:
        y = self.g_a(x)
        z_hat, z_likelihoods = self.entropy_bottleneck(self.h_a(torch.abs(y)))
        y_hat, y_likelihoods = self.gaussian_conditional(y, self.h_s(z_hat))
        return {"x_hat": self.g_s(y_hat), "likelihoods": {"y": y_likelihoods, "z": z_likelihoods}}

    @torch.no_grad()
    def scale_latents(self, gain: float) -> None:
        """Fold a gain into the weights (the gain units of Cui et al. 2021): y and the scales h_s
        predicts for it are multiplied by ``gain``, h_a and g_s divide it out again. Before rounding
        nothing changes; after it, the quantizer is ``gain`` times finer: more bits, less distortion.
        A model moved to a larger λ starts from its new operating point instead of crawling to it."""
        if not gain > 0:
            raise ValueError(f"gain must be positive, got {gain}")
        for layer in (self.g_a[-1], self.h_s[-2]):      # convolutions (h_s ends in ReLU: homogeneous)
            layer.weight.mul_(gain)
            layer.bias.mul_(gain)
        self.h_a[0].weight.div_(gain)                     # sees |y|
        self.g_s[0].weight.div_(gain)                     # transposed convolution of y_hat

    def scale_indexes(self, z_symbols: Tensor) -> Tensor:
        """Exact Gaussian table indexes from the integer z symbols (see class docstring)."""
        z_fixed = self.entropy_bottleneck.fixed_point(z_symbols, FRAC_BITS)
        return self.gaussian_conditional.build_indexes_fixed(self.h_s_int(z_fixed), FRAC_BITS)

    def _encode(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        y = self.g_a(_channels_last(x))
        z_symbols = self.entropy_bottleneck.quantize(self.h_a(torch.abs(y)))
        return y, z_symbols, self.scale_indexes(z_symbols)

    def latents(self, x: Tensor) -> Tensor:
        y, _, _ = self._encode(x)
        return self.gaussian_conditional.dequantize(self.gaussian_conditional.quantize(y)).to(x.device)

    def compress(self, x: Tensor) -> dict:
        y, z_symbols, indexes = self._encode(x)
        strings = [self.gaussian_conditional.compress(y, indexes), self.entropy_bottleneck.encode_symbols(z_symbols)]
        return {"strings": strings, "shape": (z_symbols.shape[0], *z_symbols.shape[2:])}

    def decompress_latents(self, strings: list[bytes], shape: tuple[int, int, int]) -> Tensor:
        n, h, w = shape
        z_symbols = self.entropy_bottleneck.decode_symbols(strings[1], (n, self.N, h, w)).to(self._device)
        indexes = self.scale_indexes(z_symbols)
        return self.gaussian_conditional.decompress(strings[0], indexes)


class BlockAutoencoder(_SingleLatentModel):
    """Block-MLP autoencoder baseline ("bandara2020-sae").

    Non-overlapping 8×8 RGB blocks (192 values) -> MLP (192 -> hidden -> latent) -> quantized latent
    with a factorized entropy model -> MLP back. Implemented with pixel (un)shuffle and 1×1
    convolutions, so each block is coded independently of its neighbours.
    """

    block = downsampling = 8

    def __init__(self, hidden: int = 512, latent: int = 64):
        super().__init__()
        self.M = latent
        pixels = 3 * self.block * self.block
        self.g_a = nn.Sequential(nn.PixelUnshuffle(self.block), nn.Conv2d(pixels, hidden, 1), nn.ReLU(inplace=True),
                                 nn.Conv2d(hidden, latent, 1))
        self.g_s = nn.Sequential(nn.Conv2d(latent, hidden, 1), nn.ReLU(inplace=True), nn.Conv2d(hidden, pixels, 1),
                                 nn.PixelShuffle(self.block))
        self.entropy_bottleneck = EntropyBottleneck(latent)


def parameter_groups(model: nn.Module) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
    """(main, aux) parameters: the entropy bottlenecks' ``quantiles`` are trained by ``aux_loss``."""
    main = [p for n, p in model.named_parameters() if not n.endswith("quantiles")]
    aux = [p for n, p in model.named_parameters() if n.endswith("quantiles")]
    return main, aux
