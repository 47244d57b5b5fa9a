"""The checkerboard context (he2021-checkerboard-gain): it starts as the mean-scale model it grows
from, its anchors are coded as the hyperprior alone would code them, the context changes the
other half's tables and means, and both passes stay exact."""

from __future__ import annotations

import math

import pytest
import torch
from test_learned_engine import spread

from securecomp.codec import models, planar
from securecomp.codec.checkerboard import CheckerboardGainHyperprior, anchors
from securecomp.codec.meanscale import LAMBDAS, MeanScaleGainHyperprior


@pytest.fixture(autouse=True)
def float32_transforms(monkeypatch):
    """These tests compare transforms exactly: no bf16 (tests/test_learned_codec.py checks it)."""
    monkeypatch.setattr(models, "_native_bf16", lambda: False)


def _pair() -> tuple[MeanScaleGainHyperprior, CheckerboardGainHyperprior]:
    torch.manual_seed(3)
    base = spread(MeanScaleGainHyperprior(16, 24))
    grown = CheckerboardGainHyperprior(16, 24)
    grown.init_from(base.state_dict())
    grown.eval().update_tables()
    return base, grown


def test_anchors_are_the_even_squares_of_the_checkerboard():
    mask = anchors(torch.zeros(1, 2, 3, 4))[0, 0]
    assert mask.tolist() == [[True, False, True, False], [False, True, False, True], [True, False, True, False]]


def test_it_starts_as_the_mean_scale_model_it_grows_from():
    base, grown = _pair()
    x, q = torch.rand(2, 3, 64, 128), torch.tensor([2.5, 7.0])
    with torch.no_grad():
        assert torch.equal(grown.latents(x, q), base.latents(x, q))
        ours, theirs = grown(x, q), base(x, q)
        coded = grown.compress(x, q)
        assert len(coded["strings"]) == planar.string_count(grown, 4, 8) == 3     # z, anchors, the rest
        assert torch.equal(grown.decompress_latents(coded["strings"], coded["shape"]), base.latents(x, q))
    assert torch.allclose(ours["x_hat"], theirs["x_hat"], atol=1e-6)
    assert torch.allclose(ours["likelihoods"]["y"], theirs["likelihoods"]["y"], atol=1e-6)
    y_bytes = sum(map(len, coded["strings"][1:]))
    assert abs(y_bytes - len(base.compress(x, q)["strings"][1])) <= 8     # one more string: a word or two


def test_the_context_changes_only_the_non_anchors_tables_and_decoding_stays_exact(monkeypatch):
    base, grown = _pair()
    with torch.no_grad():
        grown.parameter_net[-1].weight.normal_(0, 0.5)
    x, q = torch.rand(1, 3, 128, 128), torch.tensor([4.0])
    passes = {}
    tile_pass = grown.tile_pass

    def spied(step, *args):
        passes[step] = tile_pass(step, *args)
        return passes[step]

    with torch.no_grad():
        y, z = grown.analyse(x, q)
        z_symbols = grown.entropy_bottleneck.quantize(z)
        hyper_indexes, hyper_means = (v.flatten(2) for v in base.entropy_parameters(z_symbols))
        monkeypatch.setattr(grown, "tile_pass", spied)
        coded = grown.code(y, z)
        (first, first_indexes, first_means), (rest, _, rest_means) = passes[0], passes[1]
        assert torch.equal(first, anchors(y).flatten().nonzero().squeeze(1))
        assert torch.equal(first_indexes, hyper_indexes[:, :, first])
        assert torch.equal(first_means * 2.0**-10, hyper_means[:, :, first])
        assert not torch.equal(rest_means * 2.0**-10, hyper_means[:, :, rest])
        assert torch.equal(rest_means, torch.round(rest_means))                   # fixed point
        torch.set_num_threads(1)
        one = grown.decompress_latents(coded["strings"], coded["shape"])
        torch.set_num_threads(2)
        two = grown.decompress_latents(coded["strings"], coded["shape"])
    assert torch.equal(one, two) and torch.equal(one, grown.latents(x, q))


def test_a_damaged_second_pass_string_changes_the_image_not_the_anchors():
    _, grown = _pair()
    x, q = torch.rand(1, 3, 64, 64), torch.tensor([5.0])
    with torch.no_grad():
        coded = grown.compress(x, q)
        strings = list(coded["strings"])
        strings[2] = bytes(len(strings[2]))           # z, the anchors, the rest
        try:
            damaged = grown.decompress_latents(strings, coded["shape"])
        except ValueError:              # the coder may also refuse it outright
            return
        clean = grown.latents(x, q)
    mask = anchors(clean).expand_as(clean)
    assert torch.equal(damaged[mask], clean[mask]) and not torch.equal(damaged, clean)


def test_refinement_and_training_see_the_context():
    from securecomp.codec.meanscale import lambda_of
    from securecomp.codec.refine import Refinement, _hard_loss, refine

    _, grown = _pair()
    x, q = torch.rand(1, 3, 64, 64), torch.tensor([4.0])
    y, z = refine(grown, x, q, Refinement(steps=20, check_every=10))
    with torch.no_grad():
        y0, z0 = grown.analyse(x, q)
        assert _hard_loss(grown, x, y, z, q, lambda_of(4.0)) < _hard_loss(grown, x, y0, z0, q, lambda_of(4.0))
    grown.train()
    out = grown(x, q)
    (-torch.log2(out["likelihoods"]["y"]).sum()).backward()
    assert grown.parameter_net[-1].weight.grad.abs().sum() > 0           # the context learns from the rate


def test_pruning_channels_nothing_reads_leaves_the_kept_channels_and_the_image_unchanged(repo_script):
    """scripts/derive_start.py --keep: when g_s, h_a and the parameter network ignore channels [keep, M),
    the pruned model (built at its own widths by the catalog) gives the same y, tables and pixels."""
    from securecomp.codec.catalog import model_for

    torch.manual_seed(5)
    M, keep = 24, 16
    model = spread(CheckerboardGainHyperprior(16, M))
    with torch.no_grad():
        model.parameter_net[-1].weight.normal_(0, 0.3)
        model.g_s[0].weight[keep:] = 0
        model.h_a[0].weight[:, keep:M] = 0
        model.h_a[0].weight[:, M + keep :] = 0
        for block in range(3):                      # hyper scales, hyper means, context
            model.parameter_net[0].weight[:, block * M + keep : (block + 1) * M] = 0
    pruned_state = repo_script("scripts/derive_start.py").pruned(model.state_dict(), keep)
    small = model_for("he2021-checkerboard-gain", like=pruned_state)
    assert (small.M, small.parameter_net[2].weight.shape[0]) == (keep, M)   # the context keeps its width
    small.load_state_dict(pruned_state)
    model.eval().update_tables()
    small.eval().update_tables()
    x, q = torch.rand(1, 3, 128, 128), torch.tensor([5.0])
    with torch.no_grad():
        full, cut = model(x, q), small(x, q)
        assert torch.allclose(cut["x_hat"], full["x_hat"], atol=1e-5)
        assert torch.allclose(cut["likelihoods"]["y"], full["likelihoods"]["y"][:, :keep], atol=1e-6)
        coded = small.compress(x, q)
        assert torch.equal(small.decompress_latents(coded["strings"], coded["shape"]),
                           small.latents(x, q))


def test_pruning_keeps_every_channel_when_asked_to_and_refuses_a_bad_count(repo_script):
    state = CheckerboardGainHyperprior(16, 24).state_dict()
    script = repo_script("scripts/derive_start.py")
    assert all(torch.equal(value, state[name]) for name, value in script.pruned(state, 24).items())
    with pytest.raises(SystemExit, match="--keep"):
        script.pruned(state, 25)


def test_growing_the_latents_keeps_the_pixels_and_gives_the_new_channels_a_gradient(repo_script):
    """scripts/derive_start.py --latents: the new channels hold 0 (g_a writes them with zero
    weights), so the old channels' symbols and the pixels stay as they were and the new ones cost
    next to nothing; g_s reads them with random weights, so the distortion's gradient reaches g_a's
    new rows at once (the M = 320 of session 8 read them with zero weights: no gradient at all)."""
    from securecomp.codec.catalog import model_for

    script = repo_script("scripts/derive_start.py")
    torch.manual_seed(13)
    model = spread(CheckerboardGainHyperprior(16, 24)).eval()
    model.update_tables()
    state = script.grown(model.state_dict(), 32)
    wide = model_for("he2021-checkerboard-gain", like=state)
    assert (wide.M, wide.parameter_net[2].weight.shape[0]) == (32, 24)
    wide.load_state_dict(state)
    wide.eval().update_tables()
    x, q = torch.rand(1, 3, 128, 128), torch.tensor([6.5])
    with torch.no_grad():
        latents = wide.latents(x, q)
        assert torch.equal(latents[:, :24], model.latents(x, q)) and not latents[:, 24:].any()
        old, new = model.compress(x, q), wide.compress(x, q)
        assert torch.equal(wide.decompress(new["strings"], new["shape"], q),
                           model.decompress(old["strings"], old["shape"], q))
        assert sum(map(len, new["strings"])) <= sum(map(len, old["strings"])) + 64
        assert wide.g_s[0].weight[24:].std() > 0.5 * wide.g_s[0].weight[:24].std()     # read, not silent

    wide.train()
    (wide(x, q)["x_hat"] - x).square().mean().backward()
    assert wide.g_a[6].weight.grad[24:].abs().sum() > 0
    with pytest.raises(SystemExit, match="--latents"):
        script.grown(state, 32)


def test_waking_resets_the_silenced_channels_gains_and_nothing_else(repo_script):
    """scripts/derive_start.py --wake FIRST: channels FIRST and up get the mean gains of the others
    (both tables, per quality); every other weight is kept."""
    script = repo_script("scripts/derive_start.py")
    state = CheckerboardGainHyperprior(16, 24).state_dict()
    state["gain.log_gain"][:, 20:] = -3.0                  # as the rate left session 17's grown channels
    woken = script.woken(state, 20)
    for name in ("gain.log_gain", "inverse_gain.log_gain"):
        expected = state[name][:, :20].mean(dim=1, keepdim=True).expand(-1, 4)
        assert torch.allclose(woken[name][:, 20:], expected) and torch.equal(woken[name][:, :20], state[name][:, :20])
    assert woken["gain.log_gain"][:, 20:].min() > -3
    assert all(torch.equal(woken[name], value) for name, value in state.items() if "gain" not in name)
    for first in (0, 24):
        with pytest.raises(SystemExit, match="--wake"):
            script.woken(state, first)


def test_retargeting_moves_one_qualitys_gains_by_high_rate_theory(repo_script):
    """scripts/derive_start.py --retarget Q OLD: quality Q's gain rises by sqrt(λ_Q / OLD) and its
    inverse gain falls by as much; every other quality and weight is kept."""
    script = repo_script("scripts/derive_start.py")
    model = CheckerboardGainHyperprior(16, 24)
    state = {name: value.clone() for name, value in model.state_dict().items()}
    moved = script.retargeted(state, 8, 0.22)
    shift = 0.5 * math.log(LAMBDAS[-1] / 0.22)
    assert torch.allclose(moved["gain.log_gain"][-1], state["gain.log_gain"][-1] + shift)
    assert torch.allclose(moved["inverse_gain.log_gain"][-1], state["inverse_gain.log_gain"][-1] - shift)
    assert all(torch.equal(moved[name][:-1], value[:-1]) for name, value in state.items() if "gain" in name)
    assert all(torch.equal(moved[name], value) for name, value in state.items() if "gain" not in name)
    model.load_state_dict(moved)
    assert torch.allclose(model.gain(torch.tensor([8.0])).log().flatten(), moved["gain.log_gain"][-1])
    for quality, old in ((0, 0.22), (9, 0.22), (8, 0.0)):
        with pytest.raises(SystemExit, match="--retarget"):
            script.retargeted(state, quality, old)


def test_widening_the_encoder_keeps_its_latents_and_lets_the_new_channels_learn(repo_script):
    """scripts/derive_start.py --encoder-width: g_a widened to more hidden channels gives the same y (so the
    same bitstream), the catalog builds the model at those widths, and the new channels' readout
    weights, zero at the start, get a gradient."""
    from securecomp.codec.catalog import model_for

    torch.manual_seed(6)
    model = spread(CheckerboardGainHyperprior(16, 24))
    wide_state = repo_script("scripts/derive_start.py").widened(model.state_dict(), 24)
    wide = model_for("he2021-checkerboard-gain", like=wide_state)
    assert (wide.analysis, wide.N, wide.M) == (24, 16, 24)
    wide.load_state_dict(wide_state)
    x, q = torch.rand(1, 3, 128, 128), torch.tensor([6.0])
    with torch.no_grad():
        assert torch.allclose(wide.g_a(x), model.g_a(x), atol=1e-5)
    assert torch.equal(wide.latents(x, q), model.latents(x, q))
    assert not wide.g_a[6].weight[:, 16:].any()

    wide.train()
    (wide(x, q)["x_hat"] - x).square().mean().backward()
    assert wide.g_a[6].weight.grad[:, 16:].abs().sum() > 0
    assert wide.g_a[2].weight.grad[:16, 16:].abs().sum() > 0


def test_widening_refuses_a_narrower_encoder(repo_script):
    with pytest.raises(SystemExit, match="--encoder-width"):
        repo_script("scripts/derive_start.py").widened(CheckerboardGainHyperprior(16, 24).state_dict(), 8)


def test_conditioning_starts_as_the_identity_and_then_changes_each_quality_on_its_own(repo_script):
    """scripts/derive_start.py --conditional: the conditioned model codes and decodes exactly as its
    start did; its tables get a gradient; once trained, a change to quality 8's row moves quality 8's
    y and pixels and leaves quality 2's alone, and quality 7.5 feels half of it."""
    from securecomp.codec.catalog import model_for

    torch.manual_seed(7)
    model = spread(CheckerboardGainHyperprior(16, 24)).eval()
    model.update_tables()
    state = repo_script("scripts/derive_start.py").conditioned(model.state_dict())
    conditioned = model_for("he2021-checkerboard-gain", like=state)
    conditioned.load_state_dict(state)
    conditioned.eval().update_tables()
    x, q = torch.rand(1, 3, 128, 128), torch.tensor([6.5])
    coded = conditioned.compress(x, q)
    assert coded["strings"] == model.compress(x, q)["strings"]
    assert torch.equal(conditioned.decompress(coded["strings"], coded["shape"], q),
                       model.decompress(coded["strings"], coded["shape"], q))

    conditioned.train()
    (conditioned(x, q)["x_hat"] - x).square().mean().backward()
    for transform in ("g_a", "g_s"):
        tables = conditioned.conditioning[transform][1]
        assert tables.log_scale.grad[5:7].abs().sum() > 0 and not tables.log_scale.grad[[0, 1, 2, 3, 4, 7]].any()

    with torch.no_grad():
        conditioned.conditioning["g_a"][0].log_scale[7] = 0.3
        conditioned.conditioning["g_s"][2].shift[7] = 0.05
        low, high, half = (torch.tensor([v]) for v in (2.0, 8.0, 7.5))
        assert torch.equal(conditioned.y_of(x, low), model.y_of(x, low))
        assert not torch.allclose(conditioned.y_of(x, high), model.y_of(x, high))
        y = model.y_of(x, high)
        assert not torch.allclose(conditioned.x_hat_of(y, high), model.x_hat_of(y, high))
        first = conditioned.conditioning["g_a"][0]
        scale = first(torch.nn.Identity(), torch.ones(1, 16, 2, 2), half.expand(1, 1, 2, 2))
        assert torch.allclose(scale, torch.full_like(scale, 0.15).exp())
    with pytest.raises(SystemExit, match="conditioned already"):
        repo_script("scripts/derive_start.py").conditioned(state)


@pytest.mark.parametrize("conditional", [False, True])
def test_decoder_blocks_start_as_the_identity_learn_and_change_only_the_pixels(repo_script, conditional):
    """scripts/derive_start.py --blocks: g_s with residual blocks after its first IGDN codes and
    decodes exactly as its start did (with or without conditioning, whose hook they follow); the
    blocks get a gradient; once they are not the identity the strings stay and the pixels move, and
    the widths found in the weights rebuild the model."""
    from securecomp.codec.catalog import model_for

    script = repo_script("scripts/derive_start.py")
    torch.manual_seed(11)
    model = CheckerboardGainHyperprior(16, 24, conditional=conditional)
    if conditional:
        with torch.no_grad():
            model.conditioning["g_s"][0].shift[5:7] = 0.1
    model = spread(model).eval()
    model.update_tables()
    state = script.with_blocks(model.state_dict(), 2)
    blocked = model_for("he2021-checkerboard-gain", like=state)
    assert len(blocked.g_s_blocks) == 2 and (blocked.conditioning is not None) == conditional
    blocked.load_state_dict(state)
    blocked.eval().update_tables()
    x, q = torch.rand(1, 3, 128, 128), torch.tensor([6.5])
    coded = blocked.compress(x, q)
    assert coded["strings"] == model.compress(x, q)["strings"]
    before = model.decompress(coded["strings"], coded["shape"], q)
    assert torch.equal(blocked.decompress(coded["strings"], coded["shape"], q), before)

    blocked.train()
    (blocked(x, q)["x_hat"] - x).square().mean().backward()
    assert blocked.g_s_blocks[1].conv2.weight.grad.abs().sum() > 0
    with torch.no_grad():
        blocked.g_s_blocks[0].conv2.weight.normal_(std=0.05)
    blocked.eval()
    assert blocked.compress(x, q)["strings"] == coded["strings"]
    assert not torch.allclose(blocked.decompress(coded["strings"], coded["shape"], q), before, atol=1e-3)
    with pytest.raises(SystemExit, match="blocks already"):
        script.with_blocks(state, 1)
    with pytest.raises(SystemExit, match="at least 1"):
        script.with_blocks(model.state_dict(), 0)


def test_a_quality_map_conditions_each_region_at_every_resolution():
    """ConditionalChannels take a per-latent quality map (region of interest) at any layer's
    resolution: each region gets its own quality's scale."""
    from securecomp.codec.meanscale import ConditionalChannels

    layer = ConditionalChannels(4)
    with torch.no_grad():
        layer.log_scale[0] = 0.5                      # quality 1
    quality_map = torch.tensor([[1.0, 8.0]]).view(1, 1, 1, 2)
    out = layer(torch.nn.Identity(), torch.ones(1, 4, 4, 8), quality_map)
    assert torch.allclose(out[..., :4], torch.full((1, 4, 4, 4), 0.5).exp())
    assert torch.equal(out[..., 4:], torch.ones(1, 4, 4, 4))


@pytest.mark.parametrize("inverse", [False, True])
@pytest.mark.parametrize("channels_last", [False, True])
def test_a_scale_folded_into_gdn_equals_scaling_its_output(inverse, channels_last):
    """GDN(x, scale): the per-image channel scale folded into beta and gamma is the plain product."""
    from securecomp.codec.layers import GDN

    torch.manual_seed(8)
    layer = GDN(6, inverse=inverse)
    with torch.no_grad():
        layer.gamma.add_(torch.rand(6, 6) * 0.1)
    x = torch.randn(2, 6, 5, 7)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    scale = torch.rand(2, 6) + 0.5
    with torch.no_grad():
        assert torch.allclose(layer(x, scale=scale), layer(x) * scale[:, :, None, None], rtol=1e-5, atol=1e-6)
