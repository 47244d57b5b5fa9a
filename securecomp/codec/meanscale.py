"""One continuous-rate model: a mean-scale hyperprior with gain units ("mbt2018-mean-gain").

- Mean-scale hyperprior (Minnen, Ballé, Toderici 2018, "Joint autoregressive and hierarchical
  priors", its hyperprior-only variant): h_s predicts a mean and a scale for every element of y.
- Gain units (Cui et al. 2021, "Asymmetric gained deep image compression with continuous rate
  adaptation"): one positive gain vector per integer quality multiplies y before quantization, one
  inverse gain vector multiplies y_hat before g_s. A real quality q in [1, 8] interpolates both
  exponentially between its integer neighbours, so the rate is continuous.

Exactness: the decoder's table choice and means come from the z symbols through ``h_s_int``, an
:class:`IntegerNetwork` (means in fixed point, ``mean = m * 2**-FRAC_BITS``). The gains act only on
the encoder's y (which symbols it picks) and on the decoder's y_hat before g_s (pixels), never on
what both coder sides must agree on. ``quality`` may be a tensor broadcastable to (N, 1, h, w): a
per-position quality map (region-of-interest coding) needs no other change to the transforms.

h_a reads both y and |y| (a first convolution over 2M channels): |y| is what the shipped scale
hyperprior read, so its weights start the |y| half and the y half (the signs the means need) starts
at zero; likewise the mean half of h_s's last layer starts at zero.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import torch
from torch import Tensor, nn

from . import planar
from .entropy import EntropyBottleneck, GaussianConditional
from .layers import FRAC_BITS, IntegerNetwork, ResidualBlock, conv, deconv
from .models import Between, CompressionModel, analysis_transform, run_transform, synthesis_transform, through
from .tiling import HALO_LATENTS

__all__ = ["MeanScaleGainHyperprior", "LAMBDAS", "MIN_QUALITY", "MAX_QUALITY", "lambda_of", "loss_weight",
           "initial_gains", "ConditionalChannels"]

MIN_QUALITY, MAX_QUALITY = 1, 8
# λ of the integer qualities: CompressAI's ladder for 1..6, then extended at the top (Kodak quality
# 8 should reach 38 dB); a real quality interpolates log-linearly.
# Quality 1 was CompressAI's 0.0018 until session 10; lowered so that the smallest files fit the
# issue's 6,000-byte budget on kodim23 (6,550 bytes at 0.0018). Quality 8 was 0.22 until session
# 19; raised to 0.33 because Kodak quality 8 coded 37.66 dB at 0.22 (weights a5117936) while the
# transform's ceiling had risen to 38.43 dB, and near the top PSNR rose about 0.9-1.0 dB per unit
# of ln λ (kodim04 and kodim19, q 7.5 -> 8: docs/codec-continuous.json).
LAMBDAS = (0.0012, 0.0035, 0.0067, 0.0130, 0.0250, 0.0483, 0.1000, 0.3300)
# The loss weighting's centre, kept where it was before qualities 1 and 8 moved, so that validation
# losses stay comparable across the changes (a constant factor, which Adam's steps do not see).
MIDDLE_LAMBDA = (0.0018 * 0.2200) ** 0.5


def _fraction(quality: Tensor) -> tuple[Tensor, Tensor]:
    """(lower integer level index 0..6, fraction in [0, 1]) of qualities in [1, 8]."""
    q = quality.clamp(MIN_QUALITY, MAX_QUALITY) - MIN_QUALITY
    low = q.floor().clamp(max=MAX_QUALITY - MIN_QUALITY - 1)
    return low.long(), q - low


def lambda_of(quality: Tensor | float) -> Tensor:
    """λ of (real) qualities: log-linear between the integer qualities' LAMBDAS."""
    q = torch.as_tensor(quality, dtype=torch.float32)
    low, t = _fraction(q)
    logs = torch.log(torch.tensor(LAMBDAS))
    return torch.exp(logs[low] * (1 - t) + logs[low + 1] * t)


def loss_weight(quality: Tensor | float) -> Tensor:
    """Weight of a quality's rate–distortion loss in training: (λ / λ_mid)**-1/2, λ_mid the
    geometric middle of the range (as it was before quality 1 moved: MIDDLE_LAMBDA). The loss
    grows about as λ**1/2 (the step-0 validation of the first run: 0.46 at quality 1, 4.6 at
    quality 8, for 122 times the λ), so unweighted the top
    qualities would steer the shared weights ten times harder than the bottom ones; weighted, a
    relative change counts alike everywhere, as relative rates do in a BD-rate."""
    return (lambda_of(quality) / MIDDLE_LAMBDA) ** -0.5


def initial_gains(reference: int = 6) -> Tensor:
    """log-gains per integer quality for a model trained at ``reference``: high-rate theory puts
    the optimal quantizer step at λ**-1/2, so the gain is sqrt(λ_q / λ_ref)."""
    lambdas = torch.tensor(LAMBDAS)
    return 0.5 * torch.log(lambdas / lambdas[reference - MIN_QUALITY])


def _interpolated(table: Tensor, quality: Tensor) -> Tensor:
    """Rows of ``table`` (levels, C), one per integer quality, linearly interpolated at ``quality``
    of shape (N,) or (N, 1, h, w) -> (N, C, 1, 1) or (N, C, h, w)."""
    q = quality if quality.dim() == 4 else quality.view(-1, 1, 1, 1)
    low, t = _fraction(q.to(table.dtype))
    columns = table.t()                                    # (C, levels)
    lower = columns[:, low[:, 0]].permute(1, 0, 2, 3)      # (N, C, h, w)
    upper = columns[:, low[:, 0] + 1].permute(1, 0, 2, 3)
    return lower * (1 - t) + upper * t


class GainUnits(nn.Module):
    """Per-quality gain vectors (log-parametrised: always positive), interpolated for real q."""

    def __init__(self, channels: int, log_gains: Tensor):
        super().__init__()
        self.log_gain = nn.Parameter(log_gains[:, None].repeat(1, channels).clone())

    def forward(self, quality: Tensor) -> Tensor:
        """Gains for ``quality`` of shape (N,) or (N, 1, h, w) -> (N, C, 1, 1) or (N, C, h, w)."""
        return torch.exp(_interpolated(self.log_gain, quality))


class ConditionalChannels(nn.Module):
    """A (I)GDN layer's per-quality output channel scale and shift: the conditional convolution of
    Choi, El-Khamy, Lee 2019 ("Variable rate deep image compression with a conditional
    autoencoder"), whose one-hot λ input to two dense layers is a table row per integer quality;
    here real qualities interpolate the rows (log-scales, shifts) as the gains do. Gains alone can
    only rescale y's channels, so g_a and g_s must serve every rate with one representation; these
    let them change it with the rate. The scale folds into the layer's beta and gamma (GDN's
    ``scale``), so only the shift costs a pass. Zero tables (the start, scripts/derive_start.py
    --conditional) leave the layer unchanged. A quality map (region of interest) is resized to the
    layer's resolution and applied elementwise."""

    def __init__(self, channels: int, levels: int = MAX_QUALITY - MIN_QUALITY + 1):
        super().__init__()
        self.log_scale = nn.Parameter(torch.zeros(levels, channels))
        self.shift = nn.Parameter(torch.zeros(levels, channels))

    def forward(self, layer: nn.Module, x: Tensor, quality: Tensor) -> Tensor:
        """``layer`` (a GDN or IGDN) applied to ``x``, its output conditioned on ``quality``."""
        if quality.dim() == 4 and quality.shape[-2:] != (1, 1):
            quality = nn.functional.interpolate(quality, size=x.shape[-2:], mode="nearest")
            scale, shift = torch.exp(_interpolated(self.log_scale, quality)), _interpolated(self.shift, quality)
            return layer(x) * scale.to(x.dtype) + shift.to(x.dtype)
        scale = torch.exp(_interpolated(self.log_scale, quality)).flatten(1).expand(x.shape[0], -1)
        out, shift = layer(x, scale=scale), _interpolated(self.shift, quality).to(x.dtype)
        return out + shift if torch.is_grad_enabled() else out.add_(shift)     # in place: 20 % of a GDN


HIDDEN = (1, 3, 5)    # g_a's GDN and g_s's IGDN layers: their outputs are what ConditionalChannels scale
REFINED = 1           # g_s's first IGDN (1/8 of the image's side): its output goes through the blocks


def _plain(layer: nn.Module, x: Tensor) -> Tensor:
    return layer(x)


def _then(hook, after: nn.Module, layer: nn.Module, x: Tensor) -> Tensor:
    """``hook(layer, x)``, then ``after``: a hook of :func:`.models.through` followed by more layers."""
    return after(hook(layer, x))


class MeanScaleGainHyperprior(CompressionModel):
    """Mean-scale hyperprior with gain units; every coding call takes a ``quality`` in [1, 8]."""

    downsampling = 64
    continuous = True

    def __init__(self, N: int = 112, M: int = 160, analysis: int | None = None, conditional: bool = False,
                 blocks: int = 0):
        """``analysis``: g_a's width (default N): the encoder can be wider than the decoder, at a
        cost in encoding time only (scripts/derive_start.py --encoder-width). ``conditional``:
        g_a's and g_s's hidden layers get :class:`ConditionalChannels`. ``blocks``: residual
        blocks in g_s after its first IGDN (``g_s_blocks``; scripts/derive_start.py --blocks):
        decoder capacity where it is cheap, at 1/64 of the pixels."""
        super().__init__()
        self.N, self.M, self.analysis = N, M, analysis or N
        self.conditioning = None if not conditional else nn.ModuleDict({
            "g_a": nn.ModuleList(ConditionalChannels(self.analysis) for _ in HIDDEN),
            "g_s": nn.ModuleList(ConditionalChannels(N) for _ in HIDDEN)})
        self.g_a, self.g_s = analysis_transform(self.analysis, M), synthesis_transform(N, M)
        self.g_s_blocks = nn.Sequential(*(ResidualBlock(N) for _ in range(blocks))) if blocks else None
        self.h_a = nn.Sequential(conv(2 * M, N, 3, 1), nn.ReLU(inplace=True), conv(N, N), nn.ReLU(inplace=True),
                                 conv(N, N))
        self.h_s = nn.Sequential(deconv(N, N), nn.ReLU(inplace=True), deconv(N, N), nn.ReLU(inplace=True),
                                 conv(N, 2 * M, 3, 1))
        self.gain = GainUnits(M, initial_gains())
        self.inverse_gain = GainUnits(M, -initial_gains())
        self.entropy_bottleneck = EntropyBottleneck(N)
        self.gaussian_conditional = GaussianConditional()
        self.h_s_int = IntegerNetwork(self.h_s)

    @staticmethod
    def widths_of(state: dict[str, Tensor]) -> dict[str, Any]:
        """The constructor's arguments (widths, ``conditional``) for weights ``state`` of this kind."""
        M, N = state["g_s.0.weight"].shape[:2]
        analysis = state["g_a.0.weight"].shape[0]
        blocks = len({name.split(".")[1] for name in state if name.startswith("g_s_blocks.")})
        return ({"N": N, "M": M} | ({"analysis": analysis} if analysis != N else {})
                | ({"conditional": True} if "conditioning.g_a.0.log_scale" in state else {})
                | ({"blocks": blocks} if blocks else {}))

    @property
    def synthesis_halo(self) -> int:
        """Latents of context a tile's g_s needs on each side: g_s reaches 30 px, each residual
        block 16 px more (tiling.HALO_LATENTS, 48 px, covers one)."""
        return HALO_LATENTS + max(0, len(self.g_s_blocks or ()) - 1)

    def _hyper_input(self, y: Tensor) -> Tensor:
        return torch.cat([y, torch.abs(y)], dim=1)

    def _between(self, transform: str, quality: Tensor) -> Between | None:
        """The hooks within ``transform`` ("g_a" or "g_s"): the conditioning on ``quality`` and g_s's
        residual blocks (None: none)."""
        hooks: Between = {}
        if self.conditioning is not None:
            hooks = {i: partial(layer, quality=quality) for i, layer in zip(HIDDEN, self.conditioning[transform])}
        if transform == "g_s" and self.g_s_blocks is not None:
            hooks[REFINED] = partial(_then, hooks.get(REFINED, _plain), self.g_s_blocks)
        return hooks or None

    def y_of(self, x: Tensor, quality: Tensor) -> Tensor:
        """g_a(x) times the gains (float, differentiable: training and measurements)."""
        return through(self.g_a, x, self._between("g_a", quality)) * self.gain(quality)

    def x_hat_of(self, y_hat: Tensor, quality: Tensor) -> Tensor:
        """g_s of gained ``y_hat`` (float, differentiable, not clamped)."""
        return through(self.g_s, y_hat * self.inverse_gain(quality), self._between("g_s", quality))

    def forward(self, x: Tensor, quality: Tensor) -> dict:
        y = self.y_of(x, quality)
        z_hat, z_likelihoods = self.entropy_bottleneck(self.h_a(self._hyper_input(y)))
        scales, means = self.h_s(z_hat).chunk(2, dim=1)
        y_hat, y_likelihoods = self.gaussian_conditional(y, scales, means)
        return {"x_hat": self.x_hat_of(y_hat, quality), "likelihoods": {"y": y_likelihoods, "z": z_likelihoods}}

    def rounded(self, y: Tensor, z_hat: Tensor, rounding) -> tuple[Tensor, Tensor, Tensor]:
        """(y_hat, scales, means): ``rounding`` (round, or a relaxation of it) of y around its means."""
        scales, means = self.h_s(z_hat).chunk(2, dim=1)
        return rounding(y - means) + means, scales, means

    # -- exact coding path (:mod:`.planar`) -------------------------------------------------------
    coding_passes = 1     # every latent position in one pass, with the hyperprior's tables

    def entropy_parameters(self, z_symbols: Tensor) -> tuple[Tensor, Tensor]:
        """(table indexes, means) of y from the integer z symbols, identical on every machine."""
        indexes, means = self._tables(self._hyper_fixed(z_symbols))
        return indexes, means * 2.0**-FRAC_BITS            # exact float64

    def _hyper_fixed(self, z_symbols: Tensor) -> Tensor:
        """h_s's output (scales, means stacked) in fixed point from the integer z symbols, exact."""
        return self.h_s_int(self.entropy_bottleneck.fixed_point(z_symbols, FRAC_BITS))

    def _tables(self, params_fixed: Tensor) -> tuple[Tensor, Tensor]:
        """(table indexes, means in fixed point) from fixed-point parameters (scales, means stacked)."""
        scales, means = params_fixed.chunk(2, dim=1)
        return self.gaussian_conditional.build_indexes_fixed(scales, FRAC_BITS), means

    def tile_pass(self, step: int, hyper: Tensor, window: Tensor, own: tuple[slice, slice]) -> tuple[Tensor, ...]:
        """A tile's coding pass (:mod:`.planar`): (positions in the tile, row-major; their table
        indexes and fixed-point means, packed (n, M, positions)) from h_s's output over the tile
        (``window``: the decoded plane around it, which this model does not use)."""
        indexes, means = self._tables(hyper.flatten(2))
        return torch.arange(indexes.shape[-1], device=hyper.device), indexes, means

    def analyse(self, x: Tensor, quality: Tensor, own: tuple[slice, slice] | None = None) -> tuple[Tensor, Tensor]:
        """(y, z) before quantization: what the encoder codes, or what effort="max" refines.
        ``own``: keep only these latent rows and columns (x holds a tile and its neighbourhood)."""
        y = self.analyse_y(x, quality, own)
        return y, self.h_a(self._hyper_input(y))

    def analyse_y(self, x: Tensor, quality: Tensor, own: tuple[slice, slice] | None = None) -> Tensor:
        """y before quantization (see :meth:`analyse`)."""
        y = run_transform(self.g_a, x, bf16=True, between=self._between("g_a", quality)) * self.gain(quality)
        return y if own is None else y[:, :, own[0], own[1]]

    def latents(self, x: Tensor, quality: Tensor) -> Tensor:
        y, z = self.analyse(x, quality)
        planar.encode(self, y, z)
        return y

    def compress(self, x: Tensor, quality: Tensor) -> dict:
        return self.code(*self.analyse(x, quality))

    def code(self, y: Tensor, z: Tensor) -> dict:
        """Entropy-code given (y, z): ``compress`` after analysis, or after refinement."""
        strings = planar.encode(self, y.float().clone(), z)
        return {"strings": strings, "shape": (z.shape[0], *z.shape[2:])}

    def decompress_latents(self, strings: list[bytes], shape: tuple[int, int, int]) -> Tensor:
        """y_hat in the gained domain (before the inverse gain), exact."""
        return planar.decode(self, strings, shape)

    def decompress(self, strings: list[bytes], shape: tuple[int, int, int], quality: Tensor) -> Tensor:
        return self.synthesise(self.decompress_latents(strings, shape), quality)

    def synthesise(self, y_hat: Tensor, quality: Tensor) -> Tensor:
        """x_hat in [0, 1] from gained latents (decoded, or a window of a decoded latent plane)."""
        x_hat = run_transform(self.g_s, y_hat * self.inverse_gain(quality), bf16=True,
                              between=self._between("g_s", quality))
        return x_hat.clamp_(0, 1).contiguous()

    # -- starting point -------------------------------------------------------------------------
    @torch.no_grad()
    def init_from(self, state: dict[str, Tensor]) -> None:
        """Start from trained weights of the same N: a model of this kind with at most M latent
        channels, or a shipped bmshj2018-hyperprior (scales only). Whatever has the same shape is
        copied; the old channels of y keep their weights, gains and entropy parameters. What the
        start did not have begins silent, so the model codes as the start did: h_a's y half and
        h_s's mean half for a scale hyperprior (its |y| half and scale half are the old h_a and h_s;
        without its final ReLU h_s gives the same bounded scales), and for new latent channels g_s
        reads them with zero weights, h_a ignores them and h_s gives them the smallest scale and
        mean 0; g_a gives them small random outputs, so that training can grow them."""
        old_m, n = state["g_a.6.weight"].shape[:2]
        if n != self.analysis or old_m > self.M:
            raise ValueError(f"weights of width {n}/{old_m} cannot start a {self.analysis}/{self.M} model")
        own = self.state_dict()
        for name, value in state.items():
            if name in own and own[name].shape == value.shape:
                own[name].copy_(value.float())
        if old_m == self.M and "gain.log_gain" in state:
            return
        mean_scale, M, m = "gain.log_gain" in state, self.M, old_m
        old = {name: value.float() for name, value in state.items()}
        self.g_a[6].weight[m:] *= 0.01
        self.g_a[6].bias[m:] = 0
        for name, layer in (("g_a.6.weight", self.g_a[6].weight), ("g_a.6.bias", self.g_a[6].bias),
                            ("g_s.0.weight", self.g_s[0].weight)):
            layer[:m] = old[name]
        self.g_s[0].weight[m:] = 0
        h_a, h_s = old["h_a.0.weight"], (old["h_s.4.weight"], old["h_s.4.bias"])
        self.h_a[0].weight.zero_()
        self.h_a[0].weight[:, M : M + m] = h_a[:, m:] if mean_scale else h_a     # |y| half
        if mean_scale:
            self.h_a[0].weight[:, :m] = h_a[:, :m]                                 # y half
        self.h_a[0].bias.copy_(old["h_a.0.bias"])
        for target, source in zip((self.h_s[4].weight, self.h_s[4].bias), h_s):
            target.zero_()
            target[:m] = source[:m]                                                 # scales
            if mean_scale:
                target[M : M + m] = source[m:]                                      # means
        if mean_scale:
            for gain in (self.gain, self.inverse_gain):
                table = old[f"{'gain' if gain is self.gain else 'inverse_gain'}.log_gain"]
                gain.log_gain[:, :m] = table
                gain.log_gain[:, m:] = table.mean(dim=1, keepdim=True)
