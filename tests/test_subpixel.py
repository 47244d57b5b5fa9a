"""The sub-pixel form of g_s's last layer (layers.subpixel): the transposed convolution's output,
for odd and even input sizes, from weights derived once and re-derived when they change; coding
uses it, training keeps the transposed convolution."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from securecomp.codec import models
from securecomp.codec.layers import SubpixelConv, deconv, subpixel
from securecomp.codec.meanscale import MeanScaleGainHyperprior


@pytest.mark.parametrize("size", [(16, 16), (9, 13), (1, 1), (6, 5)])
@pytest.mark.parametrize("layer", [deconv(112, 3), deconv(8, 5, kernel_size=9), deconv(6, 4, stride=1),
                                   nn.ConvTranspose2d(5, 3, 4, stride=2, padding=1, bias=False)],
                         ids=["g_s-last", "k9", "stride1", "k4-no-bias"])
def test_the_subpixel_form_gives_the_transposed_convolution(layer, size):
    torch.manual_seed(0)
    x = torch.randn(2, layer.in_channels, *size)
    form = subpixel(layer)
    with torch.no_grad():
        expected = layer(x)
        got = form(x)
        in_channels_last = form(x.contiguous(memory_format=torch.channels_last))
    assert isinstance(form, SubpixelConv)
    assert got.shape == expected.shape == (2, layer.out_channels, size[0] * layer.stride[0], size[1] * layer.stride[1])
    # float32 sums of up to 112 x 9 products in another order: a few ulps of values ~1 (CI saw 1.1e-5);
    # a wrong tap or phase would be off by ~1
    tolerance = 1e-6 * layer.in_channels * layer.kernel_size[0] * layer.kernel_size[1] / layer.stride[0] ** 2
    assert (got - expected).abs().max() < max(tolerance, 1e-5)
    assert (in_channels_last - expected).abs().max() < max(tolerance, 1e-5)


@pytest.mark.parametrize("layer", [deconv(4, 3, kernel_size=3), nn.ConvTranspose2d(4, 4, 5, 2, 2, 1, groups=2),
                                   nn.ConvTranspose2d(4, 3, 5, 2, 2), nn.Conv2d(4, 3, 5, 2, 2)],
                         ids=["k3", "grouped", "odd-output", "conv"])
def test_layers_without_a_subpixel_form_run_as_they_are(layer):
    assert subpixel(layer) is layer


def test_the_form_is_derived_once_and_again_after_every_weight_change():
    layer = deconv(8, 3)
    x = torch.randn(1, 8, 5, 6)
    form = subpixel(layer)
    assert subpixel(layer) is form
    with torch.no_grad():
        layer.weight.mul_(-2.0)                     # an optimizer step: in place
    assert subpixel(layer) is not form
    layer.load_state_dict(deconv(8, 3).state_dict())
    with torch.no_grad():
        assert (subpixel(layer)(x) - layer(x)).abs().max() < 1e-5


def test_coding_runs_g_s_with_the_form_and_training_with_the_transposed_convolution(monkeypatch):
    monkeypatch.setattr(models, "_native_bf16", lambda: False)
    torch.manual_seed(1)
    model = MeanScaleGainHyperprior(16, 24)
    y_hat = torch.randn(1, 24, 4, 5)
    with torch.no_grad():
        coded = models.run_transform(model.g_s, y_hat)
        trained = model.g_s(y_hat)
    assert isinstance(subpixel(model.g_s[-1]), SubpixelConv) and isinstance(model.g_s[-1], nn.ConvTranspose2d)
    assert (coded - trained).abs().max() < 1e-5
    model.g_s(y_hat).sum().backward()
    assert model.g_s[-1].weight.grad is not None
