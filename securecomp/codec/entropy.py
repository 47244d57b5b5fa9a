"""Entropy models: quantization, likelihoods and the integer CDF tables used by the coder.

- :class:`EntropyBottleneck`: the factorized density of Ballé et al. 2018 ("Variational image
  compression with a scale hyperprior", appendix 6.1): per channel a monotone cumulative made of
  small dense layers (filters (3, 3, 3)), learned quantiles for the table range (auxiliary loss),
  medians as quantization offsets.
- :class:`GaussianConditional`: zero-mean (or mean-shifted) Gaussians whose scales come from a
  hyperprior; one integer CDF per entry of a fixed scale table.

Both share the coding contract of :mod:`securecomp.codec.coder`: ``update_tables()`` builds
16-bit integer CDFs (every symbol >= 1, escape symbol last) from the float density and stores
them in int32 buffers, so they travel with the state dict; ``compress``/``decompress`` use only
those integer tables. Never rebuild tables after loading shipped weights: the float density is
not bit-reproducible across machines, the stored tables are.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import coder
from .layers import FRAC_BITS, lower_bound

__all__ = ["EntropyBottleneck", "GaussianConditional", "default_scale_table"]

_MAX_HALF_WIDTH = 1 << 12   # tables span at most 2 * 4096 + 1 values; the rest is escaped


class _TableModule(nn.Module):
    """Owns packed integer CDF tables in resizable int32 buffers (_cdf, _cdf_starts, _offsets).

    ``mixed`` (a training setting, not saved): see :func:`_quantize_proxy`.
    """

    mixed = False

    def __init__(self) -> None:
        super().__init__()
        for name in ("_cdf", "_cdf_starts", "_offsets"):
            self.register_buffer(name, torch.zeros(0, dtype=torch.int32))

    def _set_tables(self, cdfs: list[np.ndarray], offsets: list[int]) -> None:
        device = self._cdf.device
        starts = np.concatenate([[0], np.cumsum([len(c) for c in cdfs])])
        self._cdf = torch.from_numpy(np.concatenate(cdfs).astype(np.int32)).to(device)
        self._cdf_starts = torch.from_numpy(starts.astype(np.int32)).to(device)
        self._offsets = torch.tensor(offsets, dtype=torch.int32, device=device)

    def tables(self) -> coder.CdfTables:
        """The integer tables as numpy arrays for :mod:`coder`; raises if never built."""
        if self._cdf.numel() == 0:
            raise RuntimeError(f"{type(self).__name__} has no CDF tables; call update_tables() first")
        return coder.CdfTables(self._cdf.cpu().numpy(), self._cdf_starts.cpu().numpy(), self._offsets.cpu().numpy())

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        for name in ("_cdf", "_cdf_starts", "_offsets"):
            key = prefix + name
            if key in state_dict:
                setattr(self, name, torch.zeros_like(state_dict[key], dtype=torch.int32, device=self._cdf.device))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


def _quantize_proxy(x: Tensor, offset: Tensor, training: bool, mixed: bool) -> tuple[Tensor, Tensor]:
    """(value the likelihood is taken at, value the next network sees).

    Coding rounds to the integer grid shifted by ``offset`` (medians or means). Training replaces
    rounding by additive uniform noise in [-0.5, 0.5), a differentiable proxy, for both; with
    ``mixed`` (Minnen & Singh 2020, "mixed quantization") the next network sees the rounded value
    instead, with a straight-through gradient, so it learns on what coding will give it.
    """
    if not training:
        rounded = torch.round(x - offset) + offset
        return rounded, rounded
    noisy = x + torch.empty_like(x).uniform_(-0.5, 0.5)
    if not mixed:
        return noisy, noisy
    return noisy, x + (torch.round(x - offset) + offset - x).detach()


def _at_least_float32(x: Tensor) -> Tensor:
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


def _check_codable(values: Tensor) -> Tensor:
    """``values`` (already rounded) as int64; raise instead of wrapping or clipping."""
    if not torch.isfinite(values).all():
        raise ValueError("latent contains NaN or infinity")
    if values.numel() and (values.min() < -coder.SYMBOL_LIMIT or values.max() >= coder.SYMBOL_LIMIT):
        raise ValueError("latent value outside the codable range [-2**31, 2**31)")
    return values.to(torch.int64)


class EntropyBottleneck(_TableModule):
    """Factorized (per-channel, non-parametric) density model for latents ``(N, C, ...)``."""

    def __init__(self, channels: int, *, tail_mass: float = 1e-9, init_scale: float = 10.0,
                 filters: tuple[int, ...] = (3, 3, 3), likelihood_bound: float = 1e-9):
        super().__init__()
        self.channels, self.tail_mass, self.likelihood_bound = channels, tail_mass, likelihood_bound
        self.matrices, self.biases, self.factors = nn.ParameterList(), nn.ParameterList(), nn.ParameterList()
        widths = (1, *filters, 1)
        scale = init_scale ** (1 / (len(filters) + 1))
        for i in range(len(filters) + 1):
            init = math.log(math.expm1(1 / scale / widths[i + 1]))
            self.matrices.append(nn.Parameter(torch.full((channels, widths[i + 1], widths[i]), init)))
            self.biases.append(nn.Parameter(torch.rand(channels, widths[i + 1], 1) - 0.5))
            if i < len(filters):
                self.factors.append(nn.Parameter(torch.zeros(channels, widths[i + 1], 1)))
        self.quantiles = nn.Parameter(torch.tensor([-init_scale, 0.0, init_scale]).repeat(channels, 1, 1))
        target = math.log(2 / tail_mass - 1)
        self.register_buffer("target", torch.tensor([-target, 0.0, target]), persistent=False)

    # -- density ------------------------------------------------------------------------------
    def _logits_cumulative(self, x: Tensor, stop_gradient: bool) -> Tensor:
        """Logit of the cumulative at ``x`` of shape (C, 1, L), always in float32 or wider."""
        with torch.autocast(x.device.type, enabled=False):
            return self._logits_cumulative_full(x.float() if x.dtype in (torch.float16, torch.bfloat16) else x,
                                                stop_gradient)

    def _logits_cumulative_full(self, x: Tensor, stop_gradient: bool) -> Tensor:
        for i, (matrix, bias) in enumerate(zip(self.matrices, self.biases)):
            if stop_gradient:
                matrix, bias = matrix.detach(), bias.detach()
            x = torch.matmul(F.softplus(matrix), x) + bias
            if i < len(self.factors):
                factor = self.factors[i].detach() if stop_gradient else self.factors[i]
                x = x + torch.tanh(factor) * torch.tanh(x)
        return x

    def _likelihood(self, x: Tensor, stop_gradient: bool = False) -> Tensor:
        lower = self._logits_cumulative(x - 0.5, stop_gradient)
        upper = self._logits_cumulative(x + 0.5, stop_gradient)
        sign = -torch.sign(lower + upper).detach()
        return torch.abs(torch.sigmoid(sign * upper) - torch.sigmoid(sign * lower))

    @property
    def medians(self) -> Tensor:
        """Quantization offsets, shape (C,)."""
        return self.quantiles[:, 0, 1].detach()

    def aux_loss(self) -> Tensor:
        """L1 distance of the quantiles' cumulative logits to the tail-mass targets."""
        logits = self._logits_cumulative(self.quantiles, stop_gradient=True)
        return torch.abs(logits - self.target).sum()

    def forward(self, x: Tensor, training: bool | None = None) -> tuple[Tensor, Tensor]:
        """(x_hat, likelihoods): rounding around the medians, or its training proxy (_quantize_proxy).

        Half-precision inputs (autocast) are promoted to float32 first: bf16 cannot carry the noise.
        """
        training = self.training if training is None else training
        x = _at_least_float32(x)
        x_rate, x_hat = _quantize_proxy(x, self._broadcast(self.medians, x), training, self.mixed)
        return x_hat, self.likelihood(x_rate)

    def likelihood(self, values: Tensor) -> Tensor:
        """Probability mass of the unit interval around each of ``values`` (N, C, ...), bounded below."""
        per_channel = values.transpose(0, 1).reshape(self.channels, 1, -1)
        likelihood = self._likelihood(per_channel).reshape(values.transpose(0, 1).shape).transpose(0, 1)
        return lower_bound(likelihood, self.likelihood_bound)

    # -- quantization -------------------------------------------------------------------------
    @staticmethod
    def _broadcast(per_channel: Tensor, like: Tensor) -> Tensor:
        return per_channel.to(like.dtype).view(1, -1, *([1] * (like.dim() - 2)))

    def quantize(self, x: Tensor) -> Tensor:
        """Integer symbols ``round(x - median)`` (int64); huge or non-finite values raise."""
        return _check_codable(torch.round(x.detach() - self._broadcast(self.medians, x)))

    def dequantize(self, symbols: Tensor, dtype: torch.dtype = torch.float32) -> Tensor:
        """x_hat = symbols + medians."""
        return symbols.to(dtype) + self._broadcast(self.medians, symbols.to(dtype))

    def fixed_point(self, symbols: Tensor, frac_bits: int = FRAC_BITS) -> Tensor:
        """x_hat in fixed point, ``symbols * 2**f + round(median * 2**f)``, exact integers (float64)."""
        medians = torch.round(self.medians.to(torch.float64) * 2.0**frac_bits)
        return symbols.to(torch.float64) * 2.0**frac_bits + self._broadcast(medians, symbols.to(torch.float64))

    # -- tables and coding ----------------------------------------------------------------------
    @torch.no_grad()
    def update_tables(self) -> None:
        """Build the per-channel integer CDF tables from the current density and quantiles.

        Channel c covers the values ``median + k`` for ``k`` in ``-minima .. maxima`` (the learned
        quantiles rounded outwards); the escape symbol gets the tail mass outside that range.
        """
        q = self.quantiles[:, 0, :].detach()
        minima = torch.ceil(q[:, 1] - q[:, 0]).clamp(0, _MAX_HALF_WIDTH).long()
        maxima = torch.ceil(q[:, 2] - q[:, 1]).clamp(0, _MAX_HALF_WIDTH).long()
        lengths = (minima + maxima + 1).tolist()
        start = (q[:, 1] - minima.to(q.dtype))[:, None, None]
        samples = start + torch.arange(max(lengths), dtype=q.dtype, device=q.device)
        pmf = self._likelihood(samples, stop_gradient=True)[:, 0].double().cpu().numpy()
        end = start + (minima + maxima).to(q.dtype)[:, None, None]
        below = torch.sigmoid(self._logits_cumulative(start - 0.5, True))
        above = torch.sigmoid(-self._logits_cumulative(end + 0.5, True))
        tails = (below + above).flatten().double().cpu().numpy()
        cdfs = [coder.quantize_pmf(np.append(pmf[c, :n], tails[c])) for c, n in enumerate(lengths)]
        self._set_tables(cdfs, (-minima).tolist())

    def compress(self, x: Tensor) -> bytes:
        """Entropy-code ``x`` (N, C, ...) around the medians; one byte string for the whole batch."""
        return self.encode_symbols(self.quantize(x))

    def encode_symbols(self, symbols: Tensor) -> bytes:
        return coder.encode(symbols.cpu().numpy(), self._channel_indexes(symbols.shape), self.tables())

    def decode_symbols(self, data: bytes, shape: tuple[int, ...]) -> Tensor:
        """int64 symbols of ``shape`` (N, C, ...) from :meth:`encode_symbols` bytes (on CPU)."""
        symbols = coder.decode(data, self._channel_indexes(shape), self.tables())
        return torch.from_numpy(symbols).view(*shape)

    def decompress(self, data: bytes, shape: tuple[int, ...]) -> Tensor:
        return self.dequantize(self.decode_symbols(data, shape).to(self.quantiles.device))

    def _channel_indexes(self, shape) -> np.ndarray:
        if len(shape) < 2 or shape[1] != self.channels:
            raise ValueError(f"expected a latent of {self.channels} channels, got shape {tuple(shape)}")
        idx = np.arange(self.channels).reshape(1, -1, *([1] * (len(shape) - 2)))
        return np.broadcast_to(idx, tuple(shape)).reshape(-1)


def default_scale_table(low: float = 0.11, high: float = 256.0, levels: int = 64) -> Tensor:
    """CompressAI's scale table exp(linspace(log low, log high, levels))."""
    return torch.exp(torch.linspace(math.log(low), math.log(high), levels))


def _std_normal_cdf(x: Tensor) -> Tensor:
    return 0.5 * torch.erfc(-x * (2**-0.5))


class GaussianConditional(_TableModule):
    """Gaussian likelihoods with hyperprior scales (and optionally means, for mbt2018-mean).

    Symbols are ``round(y - means)`` (means = 0 when absent); the table for a symbol is chosen by
    an index into ``scale_table``: :meth:`build_indexes` (float scales, for estimates) or
    :meth:`build_indexes_fixed` (integer fixed-point scales from an :class:`IntegerNetwork`, the
    exact path the coder uses).
    """

    def __init__(self, scale_table: Tensor | None = None, *, scale_bound: float = 0.11,
                 tail_mass: float = 1e-9, likelihood_bound: float = 1e-9):
        super().__init__()
        table = default_scale_table() if scale_table is None else torch.as_tensor(scale_table, dtype=torch.float32)
        if table.dim() != 1 or len(table) < 2 or not bool((table[1:] > table[:-1]).all()) or table[0] <= 0:
            raise ValueError("scale_table must be increasing and positive")
        self.register_buffer("scale_table", table.clone())
        self.scale_bound, self.tail_mass, self.likelihood_bound = scale_bound, tail_mass, likelihood_bound

    def likelihood(self, y_hat: Tensor, scales: Tensor, means: Tensor | None = None) -> Tensor:
        with torch.autocast(y_hat.device.type, enabled=False):
            y_hat, scales = _at_least_float32(y_hat), _at_least_float32(scales)
            means = _at_least_float32(means) if means is not None else None
            return self._likelihood(y_hat, scales, means)

    def _likelihood(self, y_hat: Tensor, scales: Tensor, means: Tensor | None) -> Tensor:
        values = torch.abs(y_hat - means if means is not None else y_hat)
        scales = lower_bound(scales, self.scale_bound)
        upper = _std_normal_cdf((0.5 - values) / scales)
        lower = _std_normal_cdf((-0.5 - values) / scales)
        return upper - lower

    def forward(self, y: Tensor, scales: Tensor, means: Tensor | None = None,
                training: bool | None = None) -> tuple[Tensor, Tensor]:
        """(y_hat, likelihoods): rounding around the means, or its training proxy (_quantize_proxy).

        Half-precision inputs (autocast) are promoted to float32 first: bf16 cannot carry the noise.
        """
        training = self.training if training is None else training
        y = _at_least_float32(y)
        y_rate, y_hat = _quantize_proxy(y, means if means is not None else torch.zeros_like(y), training, self.mixed)
        return y_hat, lower_bound(self.likelihood(y_rate, scales, means), self.likelihood_bound)

    def quantize(self, y: Tensor, means: Tensor | None = None) -> Tensor:
        """Integer symbols ``round(y - means)`` (int64); huge or non-finite values raise."""
        y = y.detach()
        return _check_codable(torch.round(y - means.to(y.dtype) if means is not None else y))

    def dequantize(self, symbols: Tensor, means: Tensor | None = None, dtype: torch.dtype = torch.float32) -> Tensor:
        if means is None:
            return symbols.to(dtype)
        return (symbols.to(torch.float64) + means.to(torch.float64)).to(dtype)

    def build_indexes(self, scales: Tensor) -> Tensor:
        """Table index per element: the number of table entries below the (bounded) scale."""
        scales = scales.detach().clamp(min=self.scale_bound).to(self.scale_table.dtype).contiguous()
        return torch.searchsorted(self.scale_table[:-1].contiguous(), scales)

    def build_indexes_fixed(self, scales_fixed: Tensor, frac_bits: int = FRAC_BITS) -> Tensor:
        """Exact table index from integer scales ``s ≈ scale * 2**frac_bits`` (float64 integers).

        The thresholds ``floor(table[i] * 2**f)`` are exact integers (a power-of-two scaling and a
        floor of the stored float32 table), and ``s <= floor(t) <=> s <= t`` for integer ``s``, so
        the index is a pure integer comparison: identical on every machine.
        """
        thresholds = torch.floor(self.scale_table[:-1].to(torch.float64) * 2.0**frac_bits)
        return torch.searchsorted(thresholds.to(scales_fixed.device), scales_fixed.to(torch.float64).contiguous())

    @torch.no_grad()
    def update_tables(self) -> None:
        """One integer CDF per scale-table entry, covering ±ceil(6.1 σ) (tail mass 1e-9)."""
        multiplier = -float(torch.special.ndtri(torch.tensor(self.tail_mass / 2, dtype=torch.float64)))
        cdfs, offsets = [], []
        for scale in self.scale_table.double().cpu():
            center = min(int(math.ceil(float(scale) * multiplier)), _MAX_HALF_WIDTH)
            values = torch.abs(torch.arange(-center, center + 1, dtype=torch.float64))
            pmf = _std_normal_cdf((0.5 - values) / scale) - _std_normal_cdf((-0.5 - values) / scale)
            tail = 2 * _std_normal_cdf(torch.tensor(-0.5 - center, dtype=torch.float64) / scale)
            cdfs.append(coder.quantize_pmf(np.append(pmf.numpy(), float(tail))))
            offsets.append(-center)
        self._set_tables(cdfs, offsets)

    def compress(self, y: Tensor, indexes: Tensor, means: Tensor | None = None) -> bytes:
        """Entropy-code ``round(y - means)`` with the tables picked by ``indexes``."""
        return self.encode_symbols(self.quantize(y, means), indexes)

    def encode_symbols(self, symbols: Tensor, indexes: Tensor) -> bytes:
        """Entropy-code integer symbols with the tables picked by ``indexes`` (same shape)."""
        return coder.encode(symbols.cpu().numpy(), indexes.cpu().numpy(), self.tables())

    def decode_symbols(self, data: bytes, indexes: Tensor) -> Tensor:
        symbols = coder.decode(data, indexes.cpu().numpy(), self.tables())
        return torch.from_numpy(symbols).view(indexes.shape)

    def decompress(self, data: bytes, indexes: Tensor, means: Tensor | None = None) -> Tensor:
        """y_hat (float32, on the device of ``indexes``) from :meth:`compress` bytes."""
        symbols = self.decode_symbols(data, indexes).to(indexes.device)
        return self.dequantize(symbols, means)
