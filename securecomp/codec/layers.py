"""Layers of the learned transforms: GDN / IGDN, conv helpers, and integer networks.

- :class:`GDN` / :class:`IGDN`: generalized divisive normalization (Ballé, Laparra, Simoncelli
  2016, "Density modeling of images using a generalized normalization transformation"), with
  ``beta`` and ``gamma`` kept nonnegative by the reparametrisation used in CompressAI
  (square of a lower-bounded parameter, minus a small pedestal).
- :class:`IntegerNetwork`: an exact integer-arithmetic copy of a small float conv stack (Ballé,
  Johnston, Minnen 2019, "Integer networks for data compression with latent-variable models"),
  used to derive entropy-model parameters that encoder and decoder must agree on bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Literal, TypeGuard
from weakref import WeakKeyDictionary

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["GDN", "IGDN", "ResidualBlock", "conv", "deconv", "lower_bound", "subpixel", "IntegerNetwork", "FRAC_BITS"]


class _LowerBound(torch.autograd.Function):
    """max(x, bound) whose gradient still flows when it pushes x up towards the bound."""

    @staticmethod
    def forward(ctx, x: Tensor, bound: Tensor) -> Tensor:
        ctx.save_for_backward(x, bound)
        return torch.max(x, bound)

    @staticmethod
    def backward(ctx, grad: Tensor):
        x, bound = ctx.saved_tensors
        pass_through = (x >= bound) | (grad < 0)
        return pass_through.type_as(grad) * grad, None


def lower_bound(x: Tensor, bound: float) -> Tensor:
    """``max(x, bound)`` with a straight-through gradient below the bound (CompressAI's LowerBound)."""
    return _LowerBound.apply(x, torch.tensor(bound, dtype=x.dtype, device=x.device))


class _NonNegative(nn.Module):
    """Stores ``v`` as ``sqrt(v + pedestal)`` and returns ``lower_bound(p, .)**2 - pedestal``."""

    def __init__(self, minimum: float = 0.0, reparam_offset: float = 2.0**-18):
        super().__init__()
        self.pedestal = reparam_offset**2
        self.bound = (minimum + self.pedestal) ** 0.5

    def init(self, v: Tensor) -> Tensor:
        return torch.sqrt(torch.clamp(v + self.pedestal, min=self.pedestal))

    def forward(self, p: Tensor) -> Tensor:
        return lower_bound(p, self.bound) ** 2 - self.pedestal


class GDN(nn.Module):
    """y_i = x_i / sqrt(beta_i + sum_j gamma_ij x_j^2); the inverse form multiplies instead."""

    def __init__(self, channels: int, *, inverse: bool = False, beta_min: float = 1e-6, gamma_init: float = 0.1):
        super().__init__()
        self.inverse = inverse
        self.beta_reparam = _NonNegative(minimum=beta_min)
        self.gamma_reparam = _NonNegative()
        self.beta = nn.Parameter(self.beta_reparam.init(torch.ones(channels)))
        self.gamma = nn.Parameter(self.gamma_reparam.init(gamma_init * torch.eye(channels)))

    def forward(self, x: Tensor, scale: Tensor | None = None) -> Tensor:
        """The 1×1 "convolution" runs as one batched matmul in x's own memory layout. ``scale``
        (n, c): multiply each image's output channels by it, folded into beta and gamma (exact:
        s·x/sqrt(n) = x/sqrt(n/s²), and s·x·sqrt(n) = x·sqrt(s²n)), so that it costs no pass."""
        n, c, h, w = x.shape
        beta = self.beta_reparam(self.beta).expand(n, c)
        gamma = self.gamma_reparam(self.gamma).expand(n, c, c)
        if scale is not None:
            factor = scale.square() if self.inverse else scale.square().reciprocal()
            beta, gamma = beta * factor, gamma * factor[:, :, None]
        channels_last = not x.is_contiguous() and x.is_contiguous(memory_format=torch.channels_last)
        if channels_last:
            flat = x.permute(0, 2, 3, 1).reshape(n, h * w, c)  # (n, hw, c), a view
            norm = torch.baddbmm(beta.view(n, 1, c), flat * flat, gamma.transpose(1, 2))
        else:
            flat = x.reshape(n, c, h * w)                      # (n, c, hw)
            norm = torch.baddbmm(beta.view(n, c, 1), gamma, flat * flat)
        out = self._normalize(norm, flat)
        return out.view(n, h, w, c).permute(0, 3, 1, 2) if channels_last else out.view(n, c, h, w)

    def _normalize(self, norm: Tensor, flat: Tensor) -> Tensor:
        if torch.is_grad_enabled():
            return flat * (torch.sqrt(norm) if self.inverse else torch.rsqrt(norm))
        return (norm.sqrt_() if self.inverse else norm.rsqrt_()).mul_(flat)   # in place at inference


class IGDN(GDN):
    """Inverse GDN (approximate inverse of :class:`GDN`, used in the synthesis transform)."""

    def __init__(self, channels: int, **kwargs):
        super().__init__(channels, inverse=True, **kwargs)


class ResidualBlock(nn.Module):
    """x + conv(ReLU(conv(x))), two 3×3 convolutions at one resolution (He et al. 2016; the
    decoder's residual blocks of Cheng et al. 2020). The second convolution starts at zero, so a new
    block is the identity and a trained model given one codes as it did."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        with torch.no_grad():
            for parameter in self.conv2.parameters():
                parameter.zero_()

    def forward(self, x: Tensor) -> Tensor:
        out = self.conv2(torch.relu(self.conv1(x)))
        return out + x if torch.is_grad_enabled() else out.add_(x)


def conv(in_channels: int, out_channels: int, kernel_size: int = 5, stride: int = 2) -> nn.Conv2d:
    """'Same'-padded strided convolution: H -> H / stride."""
    return nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=kernel_size // 2)


def deconv(in_channels: int, out_channels: int, kernel_size: int = 5, stride: int = 2) -> nn.ConvTranspose2d:
    """Transposed convolution: H -> H * stride (exactly)."""
    return nn.ConvTranspose2d(
        in_channels, out_channels, kernel_size, stride=stride,
        padding=kernel_size // 2, output_padding=stride - 1,
    )


def _parameters_key(module: nn.Module) -> tuple:
    """Changes whenever a parameter of ``module`` is replaced or modified in place (optimizer
    steps, ``load_state_dict``, ``.to()``): what is derived from the weights is keyed on it."""
    return tuple((p.data_ptr(), p._version, p.dtype, p.device) for p in module.parameters())


# --------------------------------------------------------------------------------------------
# Sub-pixel form of a transposed convolution
# --------------------------------------------------------------------------------------------


class SubpixelConv:
    """A stride-s ConvTranspose2d as the stride-1 convolution with s·s times its output channels
    followed by ``pixel_shuffle(s)`` (Shi et al. 2016): output s·i + r of the transposed
    convolution sums input i + t times kernel tap r + padding - s·t, so each phase r is a plain
    convolution over every s-th tap. The same products, summed in another order (float rounding
    apart): g_s's last layer (112 -> 3 channels, 5×5, stride 2) so runs in less than half the time
    on CPU, where oneDNN's transposed convolution with few outputs is slow. The derived weights
    hold no reference to the layer (``subpixel`` caches them per layer)."""

    def __init__(self, deconv: nn.ConvTranspose2d):
        (rows, pad_rows), (cols, pad_cols) = (_phase_taps(deconv, dim) for dim in (0, 1))
        self.stride, self.padding = deconv.stride[0], (pad_rows, pad_cols)
        with torch.no_grad():
            w = F.pad(deconv.weight, (0, 1, 0, 1))[:, :, rows][..., cols]    # (in, out, s, T, s, T)
            self.weight = w.permute(1, 2, 4, 0, 3, 5).reshape(-1, w.shape[0], rows.shape[1], cols.shape[1])
            self.bias = None if deconv.bias is None else deconv.bias.repeat_interleave(self.stride**2)
        self.key = _parameters_key(deconv)

    def __call__(self, x: Tensor) -> Tensor:
        return F.pixel_shuffle(F.conv2d(x, self.weight, self.bias, padding=self.padding), self.stride)


def _phase_taps(deconv: nn.ConvTranspose2d, dim: int) -> tuple[Tensor, int]:
    """(taps, pad) along ``dim``: taps[r, j] is the kernel tap that input i + j - pad meets at
    output s·i + r, or the kernel's size (a zero tap appended to the kernel) where none does."""
    k, s, p = deconv.kernel_size[dim], deconv.stride[dim], _padding(deconv)[dim]
    pad = (k - 1 - p) // s
    device = deconv.weight.device
    taps = torch.arange(s, device=device)[:, None] + p + s * (pad - torch.arange(2 * pad + 1, device=device))[None, :]
    return taps.where((taps >= 0) & (taps < k), k), pad


def _padding(layer: nn.ConvTranspose2d) -> tuple[int, ...]:
    assert not isinstance(layer.padding, str)       # ConvTranspose2d takes no "same" / "valid"
    return layer.padding


def _has_subpixel_form(layer: nn.Module) -> TypeGuard[nn.ConvTranspose2d]:
    """A transposed convolution whose output is exactly s times its input's size, with as many
    taps before as after each output phase: the ``deconv`` layers of g_s (kernel 5, stride 2)."""
    if not isinstance(layer, nn.ConvTranspose2d) or layer.groups != 1 or layer.dilation != (1, 1):
        return False
    shapes = zip(layer.kernel_size, layer.stride, _padding(layer), layer.output_padding)
    return len(set(layer.stride)) == 1 and all(k + op - 2 * p == s and (k - 1 - p) // s == (s - 1 + p) // s
                                                for k, s, p, op in shapes)


_SUBPIXEL: WeakKeyDictionary[nn.Module, SubpixelConv] = WeakKeyDictionary()


def subpixel(layer: nn.Module) -> Callable[[Tensor], Tensor]:
    """``layer`` itself, or, for a transposed convolution that has one, its sub-pixel form
    (:class:`SubpixelConv`), derived once per weights and re-derived whenever they change."""
    if not _has_subpixel_form(layer):
        return layer
    form = _SUBPIXEL.get(layer)
    if form is None or form.key != _parameters_key(layer):
        form = _SUBPIXEL[layer] = SubpixelConv(layer)
    return form


# --------------------------------------------------------------------------------------------
# Integer networks
# --------------------------------------------------------------------------------------------

FRAC_BITS = 10          # fixed-point activations: a = round(x * 2**FRAC_BITS)
_WEIGHT_BITS = 14       # |H| <= 2**14 per output channel
_BIAS_BITS = 48         # |B| < 2**48
_MAX_SHIFT = 40         # weight scale exponent cap (dead channels)
_EXACT = 2**53 - 1      # float64 represents every integer up to here exactly


class IntegerNetwork(nn.Module):
    """Integer-arithmetic copy of a float ``nn.Sequential`` of Conv2d (grouped too) / ConvTranspose2d and
    ReLU / LeakyReLU layers (Ballé et al. 2019), for values both coder sides must agree on.

    Activations are fixed-point integers ``a ≈ x * 2**FRAC_BITS`` carried in float64 tensors.
    Each layer computes ``acc = H * a + B`` with integer weights ``H = round(W * 2**e_o)`` (a
    power-of-two scale ``e_o`` per output channel, ``|H| <= 2**14``) and integer biases
    ``B = round(b * 2**(e_o + FRAC_BITS))``, then ``a' = round(acc * 2**-e_o)``, then the
    activation (LeakyReLU rounds ``a' * slope``, one IEEE multiplication), then saturation to the
    next layer's input limit.

    Why the result is identical on every machine, thread count, device and batch order:
    - deriving ``H``, ``B``, ``e_o`` uses only exact operations (``frexp``, multiplication by a
      power of two, ``round``, integer sums in int64) on the float weights, so any machine holding
      the same weights (e.g. the shipped fp16 values) derives the same integers;
    - every input to a layer is saturated to ``±limit`` with
      ``limit * max_o(sum |H_o|) + max |B| <= 2**53 - 1``, so every product and every partial sum
      of the accumulation is an integer below 2**53, represented exactly in float64; additions of
      exact integers that never round are associative, so summation order (BLAS blocking, FMA,
      threads, GPU kernels) cannot change the result;
    - the convolutions are written as explicit ``unfold``/``matmul``/``fold`` (gemm and sums only;
      no library's float FFT or Winograd algorithm is ever selected); 3×3 ones run an integer
      Winograd F(2×2, 3×3) (``_winograd``: integer transforms, gemm and sums) while the inputs stay
      under a bound that keeps its larger partial sums below 2**53 too, unfold + matmul above it:
      both give the exact integers, so which one ran never shows;
    - rescaling by a power of two and ``round`` are exact; one multiplication by the LeakyReLU slope
      is a correctly rounded IEEE operation, identical everywhere.
    The saturation limits are astronomically above real activations (~2**30 for realistic
    weights) and only guard exactness for hostile inputs.

    The integer parameters are derived from the float network on first use and re-derived
    whenever its parameters change (tracked through tensor version counters), so they are never
    stale and need no storage; :meth:`update` forces a derivation.
    """

    def __init__(self, float_net: nn.Sequential):
        super().__init__()
        self._float_net = [float_net]   # a list hides it from this module's parameters
        self._layers: list[IntegerLayer] = []
        self._key: tuple | None = None
        _layer_specs(float_net)         # fail early on unsupported layers

    def update(self) -> None:
        """(Re)derive the integer parameters from the float network's current weights."""
        self._layers = [_integer_layer(spec) for spec in _layer_specs(self._float_net[0])]
        self._key = self._weights_key()

    def forward(self, a: Tensor) -> Tensor:
        """Fixed-point integer input (any float or int dtype) -> fixed-point integer output (float64)."""
        a = a.to(torch.float64)
        if not torch.equal(a, torch.round(a)):
            raise ValueError("IntegerNetwork expects integer-valued fixed-point input")
        for layer in self._layers_on(a.device):
            a = _run_layer(layer, a)
        return a

    def _layers_on(self, device: torch.device) -> list[IntegerLayer]:
        if self._key != self._weights_key():
            self.update()
        if self._layers and self._layers[0].weight.device != device:
            self._layers = [layer.to(device) for layer in self._layers]
        return self._layers

    def _weights_key(self) -> tuple:
        return _parameters_key(self._float_net[0])


Activation = Literal["relu", "leaky"] | None


@dataclass(frozen=True)
class LayerSpec:
    """One convolution of a float network and the activation after it (if any)."""

    conv: nn.Conv2d | nn.ConvTranspose2d
    activation: Activation = None
    slope: float = 0.0          # LeakyReLU's negative slope


@dataclass(frozen=True)
class IntegerLayer:
    """A convolution in exact fixed-point form: integer weights and biases, per-channel shifts."""

    transposed: bool
    weight: Tensor
    bias: Tensor
    shift: Tensor                 # per output channel: weights are scaled by 2**shift
    limit: float                  # inputs are clamped to ±limit, so every sum stays exact
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    output_padding: tuple[int, ...]
    kernel: tuple[int, ...]
    activation: Activation
    slope: float
    groups: int = 1
    winograd: Tensor | None = None    # 3×3 convolutions: the weights in the Winograd domain (_winograd)
    winograd_limit: float = 0.0       # ... usable while the inputs stay within ±winograd_limit

    def to(self, device: torch.device) -> IntegerLayer:
        moved = {f.name: getattr(self, f.name).to(device) for f in fields(self)
                 if isinstance(getattr(self, f.name), Tensor)}
        return replace(self, **moved)


def _layer_specs(net: nn.Sequential) -> list[LayerSpec]:
    """Each conv of ``net`` with the activation that follows it (if any)."""
    specs: list[LayerSpec] = []
    for module in net:
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            specs.append(LayerSpec(module))
        elif isinstance(module, (nn.ReLU, nn.LeakyReLU)) and specs and specs[-1].activation is None:
            activation: Activation = "relu" if isinstance(module, nn.ReLU) else "leaky"
            specs[-1] = LayerSpec(specs[-1].conv, activation, float(getattr(module, "negative_slope", 0.0)))
        else:
            raise TypeError(f"IntegerNetwork cannot convert {module!r}")
    for spec in specs:
        c = spec.conv
        grouped = c.groups != 1 and isinstance(c, nn.ConvTranspose2d)
        if grouped or c.dilation != (1, 1) or c.padding_mode != "zeros" or isinstance(c.padding, str):
            raise TypeError(f"IntegerNetwork supports plain convolutions only, not {c!r}")
    return specs


@torch.no_grad()
def _integer_layer(spec: LayerSpec) -> IntegerLayer:
    c = spec.conv
    transposed = isinstance(c, nn.ConvTranspose2d)
    w = c.weight.detach().to(torch.float64)
    w_out = w.transpose(0, 1) if transposed else w           # (out, in, k, k)
    bias = c.bias.detach().to(torch.float64) if c.bias is not None else w_out.new_zeros(len(w_out))
    shift = _weight_shift(w_out, bias)
    h = torch.round(w_out * torch.exp2(shift)[:, None, None, None])
    b = torch.round(bias * torch.exp2(shift + FRAC_BITS))
    l1 = h.abs().to(torch.int64).flatten(1).sum(dim=1)       # exact integer sums
    headroom = _EXACT - int(b.abs().max())
    if headroom <= 0:
        raise ValueError("bias too large for exact integer arithmetic")
    limit = float(headroom // max(int(l1.max()), 1))
    weight = h.transpose(0, 1) if transposed else h
    assert not isinstance(c.padding, str)              # _layer_specs refuses "same" / "valid"
    layer = IntegerLayer(transposed=transposed, weight=weight, bias=b, shift=shift, limit=limit, stride=c.stride,
                         padding=c.padding, output_padding=getattr(c, "output_padding", (0, 0)),
                         kernel=c.kernel_size, activation=spec.activation, slope=spec.slope, groups=c.groups)
    return _with_winograd(layer) if _winograd_shaped(layer) else layer


def _weight_shift(w_out: Tensor, bias: Tensor) -> Tensor:
    """Per output channel exponent e with max|W| * 2**e <= 2**14 and |b| * 2**(e + FRAC_BITS) < 2**48.

    ``frexp`` gives the binary exponent exactly, so e is the same on every machine.
    """
    weight_exp = torch.frexp(w_out.abs().flatten(1).amax(dim=1))[1].to(torch.float64)
    bias_exp = torch.frexp(bias.abs())[1].to(torch.float64)
    shift = torch.minimum(_WEIGHT_BITS - weight_exp, _BIAS_BITS - FRAC_BITS - bias_exp)
    return torch.clamp(shift, max=_MAX_SHIFT)


def _run_layer(layer: IntegerLayer, a: Tensor) -> Tensor:
    a = a.clamp(-layer.limit, layer.limit)
    weight = layer.weight
    acc = _deconv_exact(a, weight, layer) if layer.transposed else _conv_exact(a, weight, layer)
    out = acc.add_(layer.bias[:, None, None]).mul_(torch.exp2(-layer.shift)[:, None, None]).round_()   # acc is ours
    if layer.activation == "relu":
        out = out.clamp_(min=0)
    elif layer.activation == "leaky":
        out = torch.where(out < 0, torch.round(out * layer.slope), out)
    return out


def _conv_exact(a: Tensor, weight: Tensor, layer: IntegerLayer) -> Tensor:
    """Conv2d as unfold + matmul, per group (exact for integer data with bounded sums); a 1×1
    convolution is one matmul, a depthwise one a sum of shifted products (no unfolded copy)."""
    n, c, h, w = a.shape
    k, s, p, g = layer.kernel, layer.stride, layer.padding, layer.groups
    oh = (h + 2 * p[0] - k[0]) // s[0] + 1
    ow = (w + 2 * p[1] - k[1]) // s[1] + 1
    if k == (1, 1) and s == (1, 1) and p == (0, 0) and g == 1:
        return (weight.flatten(1) @ a.reshape(n, c, h * w)).view(n, -1, h, w)
    if layer.winograd is not None and float(a.abs().max()) <= layer.winograd_limit:
        return _winograd(a, layer.winograd)
    if g == c == len(weight) and s == (1, 1):
        padded = F.pad(a, (p[1], p[1], p[0], p[0]))
        out = torch.zeros(n, c, oh, ow, dtype=a.dtype, device=a.device)
        for i in range(k[0]):
            for j in range(k[1]):
                out.addcmul_(weight[:, 0, i, j].view(1, c, 1, 1), padded[:, :, i : i + oh, j : j + ow])
        return out
    cols = F.unfold(a, k, padding=p, stride=s)                      # (n, in*k*k, L)
    out = weight.view(g, len(weight) // g, -1) @ cols.view(n, g, -1, cols.shape[-1])   # (n, g, out/g, L)
    return out.view(n, -1, oh, ow)


# Winograd's F(2×2, 3×3) (Lavin & Gray 2016, "Fast algorithms for convolutional neural networks")
# in integers: 2×2 outputs from a 4×4 input tile with 16 products per channel pair instead of 36.
# G's halves are scaled out (G' = 2G), so every transform has integer entries and the result is
# 4 times the convolution. B^T d B sums at most 4 inputs, A^T M A at most 9 products' sums: with
# u1 the largest sum over input channels of |U'|, every partial sum stays within 36 · u1 · max|d|.
_WINOGRAD_G = torch.tensor([[2, 0, 0], [1, 1, 1], [1, -1, 1], [0, 0, 2]], dtype=torch.float64)
_WINOGRAD_BT = torch.tensor([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], dtype=torch.float64)
_WINOGRAD_AT = torch.tensor([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=torch.float64)
_WINOGRAD_GROWTH = 4 * 9


def _winograd_shaped(layer: IntegerLayer) -> bool:
    return (not layer.transposed and layer.kernel == (3, 3) and layer.stride == (1, 1)
            and layer.padding == (1, 1) and layer.groups == 1)


def _with_winograd(layer: IntegerLayer) -> IntegerLayer:
    """``layer`` with its weights in the Winograd domain, U' = G' H G'^T as (16, in, out), and the
    input bound under which every partial sum of the algorithm is an exact integer (float64)."""
    g = _WINOGRAD_G.to(layer.weight.device)
    u = torch.einsum("ai,ocij,bj->abco", g, layer.weight, g).flatten(0, 1)
    u1 = int(u.abs().to(torch.int64).sum(dim=1).max())
    return replace(layer, winograd=u.contiguous(), winograd_limit=float(_EXACT // (_WINOGRAD_GROWTH * max(u1, 1))))


def _winograd(a: Tensor, u: Tensor) -> Tensor:
    """3×3 'same' convolution of integer ``a`` by Winograd-domain weights ``u`` (16, in, out):
    2.25 times fewer multiplications than unfold + matmul, the same exact integers (callers check
    the input bound, see _with_winograd), the sums again as matmuls only."""
    n, c, h, w = a.shape
    tiles = F.pad(a, (1, 1 + w % 2, 1, 1 + h % 2)).unfold(2, 4, 2).unfold(3, 4, 2)     # (n, c, th, tw, 4, 4)
    th, tw = tiles.shape[2:4]
    bt, at = _WINOGRAD_BT.to(a.device), _WINOGRAD_AT.to(a.device)
    v = tiles.reshape(n, c, th, tw, 16) @ torch.kron(bt, bt).t()                       # B^T d B per tile
    m = torch.bmm(v.permute(4, 0, 2, 3, 1).reshape(16, n * th * tw, c), u)               # (16, tiles, out)
    y = (torch.kron(at, at) @ m.view(16, -1)).view(2, 2, n, th, tw, -1)                 # A^T M A: 4 × the result
    return y.permute(2, 5, 3, 0, 4, 1).reshape(n, -1, 2 * th, 2 * tw)[:, :, :h, :w].mul(0.25)


def _deconv_exact(a: Tensor, weight: Tensor, layer: IntegerLayer) -> Tensor:
    """ConvTranspose2d as matmul + fold (fold sums overlapping exact integer contributions)."""
    n, cin, h, w = a.shape
    k, s, p, op = layer.kernel, layer.stride, layer.padding, layer.output_padding
    cols = weight.flatten(1).t() @ a.reshape(n, cin, h * w)         # (n, out*k*k, h*w)
    oh = (h - 1) * s[0] - 2 * p[0] + k[0] + op[0]
    ow = (w - 1) * s[1] - 2 * p[1] + k[1] + op[1]
    return F.fold(cols, (oh, ow), k, padding=p, stride=s)
