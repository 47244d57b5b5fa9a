"""The learned-codec engine: GDN layers, entropy models, the constriction coder, the models.

Small random-initialised models on 64×64 images keep this file fast; trained weights and Kodak
numbers are checked elsewhere (benchmark, zoo tests).
"""

from __future__ import annotations

import copy

import constriction
import numpy as np
import pytest
import torch
from torch import nn

from securecomp.codec import coder
from securecomp.codec.catalog import CONTINUOUS_MODELS, MODELS, model_for
from securecomp.codec.checkerboard import CheckerboardGainHyperprior
from securecomp.codec.entropy import EntropyBottleneck, GaussianConditional
from securecomp.codec.layers import FRAC_BITS, GDN, IGDN, IntegerNetwork
from securecomp.codec.meanscale import MeanScaleGainHyperprior
from securecomp.codec.models import BlockAutoencoder, FactorizedPrior, ScaleHyperprior, parameter_groups

HUGE = [2**31 - 128, -(2**31), 10**9, -(10**9), 123456, -65537, 40000]   # exact in float32


def random_tables(rng: np.random.Generator, count: int) -> coder.CdfTables:
    cdfs = [coder.quantize_pmf(rng.dirichlet(np.full(rng.integers(2, 40), 0.3))) for _ in range(count)]
    starts = np.concatenate([[0], np.cumsum([len(c) for c in cdfs])])
    return coder.CdfTables(np.concatenate(cdfs), starts, rng.integers(-20, 5, count))


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


# -- coder --------------------------------------------------------------------------------------

def test_quantize_pmf_gives_16_bit_cdf_with_every_symbol_possible():
    pmf = np.array([0.5, 0.0, 1e-12, 0.25, 0.25 - 1e-12])
    cdf = coder.quantize_pmf(pmf)
    freq = np.diff(cdf)
    assert cdf[0] == 0 and cdf[-1] == 2**16 and freq.min() >= 1
    assert abs(freq[0] / 2**16 - 0.5) < 1e-3


def test_coder_round_trip_is_exact_including_escapes():
    rng = np.random.default_rng(1)
    tables = random_tables(rng, 7)
    indexes = rng.integers(0, 7, 5000)
    symbols = rng.integers(-30, 45, 5000)
    symbols[rng.choice(5000, len(HUGE), replace=False)] = HUGE
    data = coder.encode(symbols, indexes, tables)
    assert np.array_equal(coder.decode(data, indexes, tables), symbols)


def test_coder_handles_empty_and_all_escaped_inputs():
    rng = np.random.default_rng(2)
    tables = random_tables(rng, 3)
    assert coder.decode(coder.encode(np.zeros(0, int), np.zeros(0, int), tables), np.zeros(0, int), tables).size == 0
    symbols, indexes = np.array(HUGE), np.zeros(len(HUGE), int)
    assert np.array_equal(coder.decode(coder.encode(symbols, indexes, tables), indexes, tables), symbols)


def test_coder_refuses_symbols_it_cannot_represent():
    tables = random_tables(np.random.default_rng(3), 1)
    with pytest.raises(ValueError):
        coder.encode(np.array([2**31]), np.array([0]), tables)
    with pytest.raises(ValueError):
        coder.encode(np.array([0]), np.array([1]), tables)


def test_decoding_garbage_raises_value_error_only():
    rng = np.random.default_rng(6)
    tables = random_tables(rng, 3)
    indexes = rng.integers(0, 3, 500)
    for _ in range(200):
        try:
            coder.decode(rng.bytes(4 * int(rng.integers(0, 40))), indexes, tables)
        except ValueError:
            pass
    with pytest.raises(ValueError):
        coder.decode(b"abc", indexes, tables)


def test_constriction_model_reproduces_the_integer_table_exactly():
    """Probe constriction's decoder at every CDF boundary: quantile 256*cdf[i] starts symbol i.

    An AnsCoder built from words [q, 1] decodes the symbol whose 24-bit fixed-point interval
    contains q (its state's low 24 bits).
    """
    tables = random_tables(np.random.default_rng(4), 5)
    for t in range(tables.count):
        cdf = tables.cdf[tables.starts[t]:tables.starts[t + 1]]
        model = tables.model(t)
        for i in range(len(cdf) - 1):
            for quantile, expected in ((256 * cdf[i], i), (256 * cdf[i + 1] - 1, i)):
                ans = constriction.stream.stack.AnsCoder(np.array([quantile, 1], dtype=np.uint32))
                assert ans.decode(model) == expected


def test_coded_size_matches_table_information_content():
    rng = np.random.default_rng(5)
    tables = random_tables(rng, 4)
    indexes = rng.integers(0, 4, 20000)
    values = np.array([rng.integers(0, tables.escapes[i]) for i in indexes])
    symbols = values + tables.offsets[indexes]
    freq = tables.cdf[tables.starts[indexes] + values + 1] - tables.cdf[tables.starts[indexes] + values]
    information = float(np.sum(16 - np.log2(freq)))
    bits = 8 * len(coder.encode(symbols, indexes, tables))
    assert information <= bits <= information * 1.001 + 64


# -- layers -------------------------------------------------------------------------------------

def reference_gdn(x, beta, gamma, inverse):
    norm = torch.nn.functional.conv2d(x * x, gamma[:, :, None, None], beta)
    return x * torch.sqrt(norm) if inverse else x / torch.sqrt(norm)


@pytest.mark.parametrize("layer", [GDN, IGDN])
def test_gdn_matches_its_formula_in_both_memory_layouts(layer):
    gdn = layer(6)
    with torch.no_grad():
        gdn.gamma.add_(0.05 * torch.rand(6, 6))
    x = torch.randn(2, 6, 8, 10)
    expected = reference_gdn(x, gdn.beta_reparam(gdn.beta), gdn.gamma_reparam(gdn.gamma), layer is IGDN)
    torch.testing.assert_close(gdn(x), expected)
    with torch.no_grad():
        torch.testing.assert_close(gdn(x.contiguous(memory_format=torch.channels_last)), expected)


def test_igdn_approximately_inverts_gdn_and_parameters_stay_nonnegative():
    gdn, igdn = GDN(4), IGDN(4)
    x = 0.1 * torch.randn(1, 4, 8, 8)
    assert torch.allclose(igdn(gdn(x)), x, atol=1e-4)
    assert (gdn(x).abs() <= x.abs() + 1e-7).all()                 # GDN shrinks, IGDN expands
    with torch.no_grad():
        gdn.beta.fill_(-5.0)
        gdn.gamma.fill_(-5.0)
    assert (gdn.beta_reparam(gdn.beta) >= 1e-6 - 1e-12).all()
    assert (gdn.gamma_reparam(gdn.gamma) >= 0).all()
    gdn(x).sum().backward()
    assert torch.isfinite(gdn.beta.grad).all()


def test_integer_network_tracks_the_float_network_and_its_weight_changes():
    model = ScaleHyperprior(8, 12)
    z = torch.randint(-4, 5, (2, 8, 4, 4)).double()
    for _ in range(2):
        expected = model.h_s(z.float())
        got = model.h_s_int(z * 2**FRAC_BITS) / 2**FRAC_BITS
        assert torch.equal(got.isnan(), expected.isnan()) and expected.abs().max() > 0.05
        assert (got - expected).abs().max() < 0.005 + 0.005 * expected.abs().max()
        with torch.no_grad():                         # in-place update: must be picked up
            model.h_s[-2].bias.add_(1.0)
            model.h_s[0].weight.mul_(-3.0)


def test_integer_network_runs_grouped_convolutions_like_the_float_network():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(6, 6, 5, padding=2, groups=6), nn.Conv2d(6, 8, 1, groups=2), nn.LeakyReLU(0.125))
    x = torch.randn(2, 6, 9, 7) * 3
    expected = net(x)
    got = IntegerNetwork(net)(torch.round(x.double() * 2**FRAC_BITS)) / 2**FRAC_BITS
    assert expected.abs().max() > 1 and (got - expected).abs().max() < 0.01


def test_integer_network_stays_exact_for_hostile_inputs():
    model = ScaleHyperprior(8, 12)
    a = torch.full((1, 8, 4, 4), 2.0**60)
    a[0, ::2] *= -1
    out = model.h_s_int(a)
    assert torch.equal(out, torch.round(out)) and out.abs().max() < 2**53


@pytest.mark.parametrize("shape", [(1, 6, 8, 8), (2, 6, 5, 7), (1, 6, 1, 1)])
def test_3x3_convolutions_run_winograd_exactly_up_to_its_bound_and_fall_back_beyond(shape):
    """Winograd's F(2×2, 3×3) must give the integers of unfold + matmul bit for bit (even, odd and
    single-position inputs, batches), up to inputs at its bound; beyond it the direct path runs."""
    from dataclasses import replace

    from securecomp.codec.layers import _conv_exact, _integer_layer, _layer_specs

    torch.manual_seed(1)
    net = nn.Sequential(nn.Conv2d(6, 10, 3, padding=1))
    layer = _integer_layer(_layer_specs(net)[0])
    direct = replace(layer, winograd=None)
    assert layer.winograd is not None and 0 < layer.winograd_limit < layer.limit
    for bound in (2.0**13, layer.winograd_limit, layer.limit):
        a = torch.randint(-1, 2, shape).double() * bound
        a[..., ::2, 1::3] = torch.randint(-2**12, 2**12, a[..., ::2, 1::3].shape).double()
        got = _conv_exact(a, layer.weight, layer)
        assert torch.equal(got, _conv_exact(a, direct.weight, direct)) and torch.equal(got, torch.round(got))


def test_the_hyperprior_synthesis_ends_in_a_winograd_convolution():
    model = MeanScaleGainHyperprior(8, 12)
    layers = model.h_s_int._layers_on(torch.device("cpu"))
    assert [layer.winograd is not None for layer in layers] == [False, False, True]


# -- entropy models -----------------------------------------------------------------------------

def test_entropy_bottleneck_round_trips_hostile_latents_exactly():
    eb = EntropyBottleneck(3).eval()
    eb.update_tables()
    y = torch.randn(2, 3, 5, 7) * 3
    y.view(-1)[: len(HUGE)] = torch.tensor(HUGE, dtype=torch.float64).float()
    data = eb.compress(y)
    symbols = eb.decode_symbols(data, y.shape)
    assert torch.equal(symbols, eb.quantize(y))
    assert torch.equal(eb.decompress(data, y.shape), eb.dequantize(eb.quantize(y)))
    for bad in (float("nan"), float("inf"), 1e12):
        with pytest.raises(ValueError):
            eb.compress(torch.full((1, 3, 1, 1), bad))


def test_gaussian_conditional_round_trips_hostile_latents_exactly():
    gc = GaussianConditional()
    gc.update_tables()
    y = torch.randn(1, 4, 6, 6) * 20
    y.view(-1)[: len(HUGE)] = torch.tensor(HUGE, dtype=torch.float64).float()
    indexes = torch.randint(0, 64, y.shape)
    data = gc.compress(y, indexes)
    assert torch.equal(gc.decode_symbols(data, indexes), gc.quantize(y))


def test_real_bytes_match_the_likelihood_of_a_fitted_density():
    """Fit a factorized density to Laplacian samples; coded bytes ≈ -log2 likelihood."""
    torch.set_num_threads(1)   # tiny ops: OpenMP hand-offs would dominate
    scales = torch.tensor([0.6, 2.0, 6.0])
    samples = torch.distributions.Laplace(0.0, scales[None, :, None]).sample((1, 1, 6000)).reshape(1, 3, -1, 1)
    samples = samples + torch.tensor([0.3, -1.0, 2.0])[None, :, None, None]
    eb = EntropyBottleneck(3)
    main, aux = parameter_groups(eb)
    optimizer, aux_optimizer = torch.optim.Adam(main, lr=1e-2), torch.optim.Adam(aux, lr=1e-1)
    for _ in range(300):
        optimizer.zero_grad(), aux_optimizer.zero_grad()
        _, likelihood = eb(samples, training=True)
        (-torch.log2(likelihood).mean() + eb.aux_loss()).backward()
        optimizer.step(), aux_optimizer.step()
    eb.eval()
    eb.update_tables()
    with torch.no_grad():
        _, likelihood = eb(samples)
    estimate = float(-torch.log2(likelihood).sum())
    real = 8 * len(eb.compress(samples))
    assert abs(real - estimate) <= 0.01 * estimate + 64, (real, estimate)


def test_real_bytes_match_the_gaussian_likelihood_at_table_scales():
    gc = GaussianConditional()
    gc.update_tables()
    indexes = torch.randint(0, 64, (1, 8, 50, 50))
    scales = gc.scale_table[indexes]
    y = torch.randn(indexes.shape) * scales
    estimate = float(-torch.log2(gc.likelihood(torch.round(y), scales)).sum())
    real = 8 * len(gc.compress(y, indexes))
    assert abs(real - estimate) <= 0.01 * estimate + 64, (real, estimate)


def test_tables_travel_with_the_state_dict():
    model = ScaleHyperprior(8, 12).eval()
    model.update_tables()
    x = torch.rand(1, 3, 64, 64)
    fresh = ScaleHyperprior(8, 12).eval()
    fresh.load_state_dict(model.state_dict())
    assert fresh.entropy_bottleneck._cdf.dtype == torch.int32
    with torch.no_grad():
        assert fresh.compress(x) == model.compress(x)


def test_models_refuse_to_code_before_tables_exist():
    with pytest.raises(RuntimeError, match="update_tables"):
        FactorizedPrior(8, 12).eval().compress(torch.rand(1, 3, 64, 64))


# -- models -------------------------------------------------------------------------------------

def spread(model):
    """Random-init latents are ~0; scale g_a's last layer (and h_s's) so that coding is exercised."""
    with torch.no_grad():
        model.g_a[-1].weight.mul_(40)
        if isinstance(model, ScaleHyperprior):
            model.h_a[-1].weight.mul_(20)
            model.h_s[-2].bias.add_(torch.linspace(-1, 3, model.M))
        if isinstance(model, MeanScaleGainHyperprior):
            model.h_a[-1].weight.mul_(20)
            model.h_s[-1].bias[: model.M].add_(torch.linspace(-1, 3, model.M))    # scales
            model.h_s[-1].bias[model.M :].add_(torch.linspace(-2, 2, model.M))    # means
        if isinstance(model, CheckerboardGainHyperprior):                         # a context that matters
            model.parameter_net[-1].weight.normal_(0, 0.5)
    model.eval()
    model.update_tables()
    return model


SMALL = {"bmshj2018-factorized": lambda: FactorizedPrior(16, 24),
         "bmshj2018-hyperprior": lambda: ScaleHyperprior(16, 24),
         "bandara2020-sae": lambda: BlockAutoencoder(64, 16),
         "mbt2018-mean-gain": lambda: MeanScaleGainHyperprior(16, 24),
         "he2021-checkerboard-gain": lambda: CheckerboardGainHyperprior(16, 24)}


def rate(model_id: str, n: int, quality: float = 6.0) -> tuple:
    """The quality argument a continuous-rate model's calls take (none for the others)."""
    return (torch.full((n,), quality),) if model_id in CONTINUOUS_MODELS else ()


@pytest.mark.parametrize("model_id", sorted(MODELS))
def test_decompress_reproduces_the_encoder_latents_exactly(model_id):
    model = spread(SMALL[model_id]())
    x = torch.rand(2, 3, 64, 128)
    with torch.no_grad():
        compressed = model.compress(x, *rate(model_id, 2))
        y_hat = model.decompress_latents(compressed["strings"], compressed["shape"])
        assert torch.equal(y_hat, model.latents(x, *rate(model_id, 2)))
        assert y_hat.abs().max() > 2                                  # non-trivial latents
        x_hat = model.decompress(compressed["strings"], compressed["shape"], *rate(model_id, 2))
    assert x_hat.shape == x.shape and 0 <= x_hat.min() and x_hat.max() <= 1


@pytest.mark.parametrize("model_id", sorted(MODELS))
def test_forward_gives_reconstruction_and_likelihoods(model_id):
    model = SMALL[model_id]()
    out = model(torch.rand(2, 3, 64, 64), *rate(model_id, 2))
    assert out["x_hat"].shape == (2, 3, 64, 64)
    hyperpriors = {"bmshj2018-hyperprior", "mbt2018-mean-gain", "he2021-checkerboard-gain"}
    assert set(out["likelihoods"]) == ({"y", "z"} if model_id in hyperpriors else {"y"})
    for likelihood in out["likelihoods"].values():
        assert (likelihood > 0).all() and (likelihood <= 1).all()
    (out["x_hat"].mean() + model.aux_loss()).backward()


@pytest.mark.parametrize("mixed", [False, True])
def test_training_proxy_is_noise_for_the_rate_and_rounding_for_the_decoder_when_mixed(mixed):
    gaussian, bottleneck = GaussianConditional(), EntropyBottleneck(4)
    gaussian.mixed = bottleneck.mixed = mixed
    y = (torch.randn(2, 4, 8, 8) * 5).requires_grad_()
    scales = torch.full_like(y, 3.0)
    y_hat, likelihoods = gaussian(y, scales, training=True)
    rounded_likelihoods = gaussian.likelihood(torch.round(y), scales)
    assert not torch.allclose(likelihoods, rounded_likelihoods)         # the rate always sees noise
    assert torch.equal(y_hat, torch.round(y)) == mixed                  # the decoder sees the coded value
    y_hat.sum().backward()
    assert torch.equal(y.grad, torch.ones_like(y))                      # straight through
    x_hat, _ = bottleneck(y, training=True)
    medians = bottleneck.medians.view(1, -1, 1, 1)
    assert torch.equal(x_hat, torch.round(y - medians) + medians) == mixed
    gaussian.eval()
    assert torch.equal(gaussian(y, scales)[0], torch.round(y))          # coding is unchanged


def test_a_latent_gain_scales_y_and_its_scales_and_nothing_else():
    original = spread(SMALL["bmshj2018-hyperprior"]()).eval()
    model = copy.deepcopy(original)
    model.scale_latents(2.5)
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        y = original.g_a(x)
        z = original.h_a(torch.abs(y))
        torch.testing.assert_close(model.g_a(x), 2.5 * y)
        torch.testing.assert_close(model.h_a(torch.abs(2.5 * y)), z)                 # z is unchanged
        torch.testing.assert_close(model.h_s(z), 2.5 * original.h_s(z))
        torch.testing.assert_close(model.g_s(2.5 * y), original.g_s(y))             # same image before rounding
        bits = [-torch.log2(m(x)["likelihoods"]["y"]).sum() for m in (original, model)]
    assert bits[1] > bits[0]                                                        # a finer quantizer
    with pytest.raises(ValueError):
        model.scale_latents(0)


def test_model_for_picks_the_architecture_per_quality():
    assert (model_for("bmshj2018-factorized", 1).M, model_for("bmshj2018-factorized", 8).M) == (192, 320)
    assert (model_for("bmshj2018-hyperprior", 4).N, model_for("bmshj2018-hyperprior", 5).N) == (96, 112)
    with pytest.raises(ValueError):
        model_for("bmshj2018-hyperprior", 9)
    with pytest.raises(ValueError):
        model_for("nobody-2000", 1)


# -- cross-machine safety of the hyperprior -------------------------------------------------------

def hyperprior_and_z():
    model = spread(ScaleHyperprior(16, 24))
    with torch.no_grad():
        z_symbols = model._encode(torch.rand(3, 3, 128, 128))[1]
    return model, z_symbols


def test_scale_indexes_do_not_depend_on_thread_count():
    model, z = hyperprior_and_z()
    torch.set_num_threads(1)
    one = model.scale_indexes(z)
    torch.set_num_threads(2)
    assert torch.equal(model.scale_indexes(z), one)
    assert len(one.unique()) > 5


def test_scale_indexes_do_not_depend_on_batch_order():
    model, z = hyperprior_and_z()
    order = torch.tensor([2, 0, 1])
    assert torch.equal(model.scale_indexes(z)[order], model.scale_indexes(z[order]))


def test_scale_indexes_do_not_depend_on_float32_or_float64_promotion():
    model, z = hyperprior_and_z()
    expected = model.scale_indexes(z)
    assert torch.equal(model.scale_indexes(z.double()), expected)
    assert torch.equal(model.scale_indexes(z.float()), expected)
    assert torch.equal(model.double().scale_indexes(z), expected)


def test_decoded_latents_do_not_depend_on_thread_count():
    model, _ = hyperprior_and_z()
    x = torch.rand(1, 3, 128, 128)
    with torch.no_grad():
        compressed = model.compress(x)
        torch.set_num_threads(1)
        one = model.decompress_latents(compressed["strings"], compressed["shape"])
        torch.set_num_threads(2)
        two = model.decompress_latents(compressed["strings"], compressed["shape"])
    assert torch.equal(one, two)
