"""The continuous-rate model mbt2018-mean-gain: λ ladder, gain units, exact means, its training."""

from __future__ import annotations

import pytest
import torch

from securecomp.codec import models, zoo
from securecomp.codec.meanscale import LAMBDAS, MeanScaleGainHyperprior, initial_gains, lambda_of
from securecomp.codec.models import ScaleHyperprior
from securecomp.codec.train import rate_distortion
from securecomp.cli import main

from test_learned_engine import spread
from test_train import _events, images  # noqa: F401  (a fixture)


@pytest.fixture(autouse=True)
def float32_transforms(monkeypatch):
    """These tests compare transforms exactly: no bf16 (tests/test_learned_codec.py checks it)."""
    monkeypatch.setattr(models, "_native_bf16", lambda: False)



def test_integer_qualities_take_the_lambda_ladder_and_real_ones_interpolate_log_linearly():
    assert torch.allclose(lambda_of(torch.arange(1.0, 9.0)), torch.tensor(LAMBDAS))
    assert torch.isclose(lambda_of(3.5), torch.tensor((LAMBDAS[2] * LAMBDAS[3]) ** 0.5))
    assert float(lambda_of(8.0)) == pytest.approx(LAMBDAS[-1]) and float(lambda_of(1.0)) == pytest.approx(LAMBDAS[0])
    assert bool((lambda_of(torch.linspace(1, 8, 50)).diff() > 0).all())


def test_gains_are_learned_vectors_at_integer_qualities_and_geometric_means_between():
    model = MeanScaleGainHyperprior(8, 12)
    with torch.no_grad():
        model.gain.log_gain.add_(torch.randn_like(model.gain.log_gain) * 0.1)
    table = model.gain.log_gain.exp()
    gains = model.gain(torch.tensor([1.0, 4.0, 8.0, 4.25]))
    assert gains.shape == (4, 12, 1, 1)
    assert torch.allclose(gains[:3, :, 0, 0], table[[0, 3, 7]])
    assert torch.allclose(gains[3, :, 0, 0], table[3] ** 0.75 * table[4] ** 0.25)


def test_a_quality_map_gives_each_latent_position_the_gain_of_its_quality():
    model = MeanScaleGainHyperprior(8, 12)
    quality_map = torch.tensor([[1.0, 2.5], [6.0, 8.0]]).view(1, 1, 2, 2)
    gains = model.gain(quality_map)
    assert gains.shape == (1, 12, 2, 2)
    for i, j in [(0, 0), (0, 1), (1, 0), (1, 1)]:
        single = model.gain(quality_map[0, 0, i, j].view(1))
        assert torch.allclose(gains[0, :, i, j], single[0, :, 0, 0])


def test_a_quality_scales_y_by_its_gain_and_gains_start_rising_with_quality():
    """(That coded bytes then rise with the quality is a property of trained weights: see the
    continuous-quality test on Kodak, tests/test_learned_kodak.py.)"""
    torch.manual_seed(0)
    model = MeanScaleGainHyperprior(16, 24).eval()
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        y, _ = model.analyse(x, torch.tensor([3.5]))
        assert torch.allclose(y, model.g_a(x) * model.gain(torch.tensor([3.5])))
    assert bool((initial_gains().diff() > 0).all())
    assert torch.allclose(model.gain.log_gain[:, 0], initial_gains())
    assert torch.allclose(model.inverse_gain.log_gain[:, 0], -initial_gains())


def test_means_are_fixed_point_and_the_same_whatever_the_thread_count():
    model = spread(MeanScaleGainHyperprior(16, 24))
    with torch.no_grad():
        z = model.entropy_bottleneck.quantize(model.analyse(torch.rand(2, 3, 128, 128), torch.tensor([2.0, 7.0]))[1])
        torch.set_num_threads(1)
        indexes, means = model.entropy_parameters(z)
        torch.set_num_threads(2)
        again = model.entropy_parameters(z)
    assert torch.equal(indexes, again[0]) and torch.equal(means, again[1])
    assert torch.equal(means * 2**10, torch.round(means * 2**10)) and means.abs().max() > 0.5
    assert len(indexes.unique()) > 5


def test_starting_from_a_scale_hyperprior_reproduces_it_at_quality_6():
    """How the continuous model began (from the per-quality model's quality 6, since retired)."""
    torch.manual_seed(6)
    reference = spread(ScaleHyperprior(16, 24))
    model = MeanScaleGainHyperprior(16, 24)
    model.init_from(reference.state_dict())
    x = torch.rand(1, 3, 128, 128)
    with torch.no_grad():
        ours, theirs = model.eval()(x, torch.tensor([6.0])), reference.eval()(x)
    assert torch.allclose(ours["x_hat"], theirs["x_hat"], atol=1e-5)
    for name in ("y", "z"):
        assert torch.allclose(ours["likelihoods"][name], theirs["likelihoods"][name], atol=1e-6)


def test_a_wider_model_starts_as_the_narrower_one_it_grows_from():
    """M 24 -> 40: the new latent channels are silent (g_s reads them with zero weights, h_a
    ignores them), so reconstructions match and the old channels' likelihoods are unchanged, at
    every quality; g_a already gives them small non-zero outputs, from which training grows them."""
    narrow = spread(MeanScaleGainHyperprior(16, 24)).eval()
    wide = MeanScaleGainHyperprior(16, 40)
    wide.init_from(narrow.state_dict())
    wide.eval()
    x = torch.rand(2, 3, 128, 128)
    for quality in (1.0, 4.5, 8.0):
        q = torch.tensor([quality, quality])
        with torch.no_grad():
            ours, theirs = wide(x, q), narrow(x, q)
            y = wide.g_a(x)
        assert torch.allclose(ours["x_hat"], theirs["x_hat"], atol=1e-5)
        assert torch.allclose(ours["likelihoods"]["y"][:, :24], theirs["likelihoods"]["y"], atol=1e-6)
        assert torch.allclose(ours["likelihoods"]["z"], theirs["likelihoods"]["z"], atol=1e-6)
        assert 0 < float(y[:, 24:].abs().max()) < 0.1 * float(y[:, :24].abs().max())
    with pytest.raises(ValueError, match="width"):
        MeanScaleGainHyperprior(16, 16).init_from(narrow.state_dict())


def test_per_image_lambdas_weigh_each_image_by_its_own():
    out = {"x_hat": torch.zeros(2, 3, 8, 8), "likelihoods": {"y": torch.full((2, 4, 2, 2), 0.5)}}
    x = torch.stack([torch.full((3, 8, 8), 0.1), torch.full((3, 8, 8), 0.2)])
    same = rate_distortion(out, x, 0.01)
    assert torch.isclose(rate_distortion(out, x, torch.tensor([0.01, 0.01]))["loss"], same["loss"])
    mixed = rate_distortion(out, x, torch.tensor([0.0, 0.02]))["loss"]
    expected = (0.02 * 255**2 * 0.04 + 2 * 16 / 64) / 2
    assert float(mixed) == pytest.approx(expected, rel=1e-5)


def _train_v2(images, out, *extra):  # noqa: F811
    return main(["train", "--data", str(images), "--val", str(images), "--model", "mbt2018-mean-gain",
                 "--batch-size", "2", "--crop", "64", "--val-every", "2", "--device", "cpu",
                 "--out", str(out), *extra])


def test_the_continuous_model_refuses_a_training_quality(images, tmp_path, capsys):  # noqa: F811
    assert _train_v2(images, tmp_path / "run", "--steps", "1", "--quality", "3") == 2
    assert "leave out --quality" in capsys.readouterr().err


def test_refined_latents_never_lose_to_the_analysis_and_decode_with_the_normal_decoder():
    from securecomp.codec.refine import Refinement, _hard_loss, refine
    from securecomp.codec.meanscale import lambda_of

    torch.manual_seed(0)
    model = spread(MeanScaleGainHyperprior(16, 24))
    x, quality = torch.rand(1, 3, 64, 64), torch.tensor([4.0])
    y, z = refine(model, x, quality, Refinement(steps=30, check_every=10))
    with torch.no_grad():
        y0, z0 = model.analyse(x, quality)
        lmbda = lambda_of(4.0)
        assert _hard_loss(model, x, y, z, quality, lmbda) < _hard_loss(model, x, y0, z0, quality, lmbda)
        coded = model.code(y, z)
        x_hat = model.decompress(coded["strings"], coded["shape"], quality)
    assert x_hat.shape == x.shape
    assert all(p.requires_grad for p in model.parameters())       # the model is left as it was


def _small_seamless_codec(monkeypatch, blocks: int = 0):
    from securecomp.codec import learned

    torch.manual_seed(1)
    model = MeanScaleGainHyperprior(16, 24, blocks=blocks)
    if blocks:                                   # a residual block that is not the identity
        with torch.no_grad():
            for block in model.g_s_blocks:
                block.conv2.weight.normal_(0, 0.2)
    model = spread(model)
    model.continuous = True
    monkeypatch.setattr(learned, "_loaded", lambda model_id, quality: (model, torch.device("cpu")))
    return learned.LearnedCodec(learned.DEFAULT_MODEL), model


@pytest.mark.parametrize("blocks", [0, 1, 2])
def test_tiles_of_a_continuous_model_see_their_neighbours_like_one_whole_image(monkeypatch, blocks):
    """Version-2 bodies: each tile's latents are those of g_a over the whole image, and each
    tile's pixels those of g_s over the whole latent plane (so no tile edge can show), with
    residual blocks in g_s too (the model's synthesis_halo grows with their reach)."""
    import numpy as np
    from PIL import Image

    from securecomp.codec import tiling
    from securecomp.codec.info import ImageInfo
    from securecomp.codec.learned import PLANAR

    codec, model = _small_seamless_codec(monkeypatch, blocks)
    rng = torch.Generator().manual_seed(0)
    smooth = torch.nn.functional.interpolate(torch.rand(1, 3, 50, 40, generator=rng), size=(700, 600), mode="bilinear")
    pixels = (smooth[0].permute(1, 2, 0) * 255).round().byte().numpy()
    x = torch.nn.functional.pad(torch.from_numpy(pixels).permute(2, 0, 1)[None].float() / 255, (0, 40, 0, 4),
                                mode="replicate")                       # the padded image, 704 × 640
    q = torch.tensor([5.0])
    with torch.no_grad():
        whole_y = model.g_a(x) * model.gain(q)
        plane = torch.randn(1, 24, 44, 40) * 3
        whole_x = model.synthesise(plane, q)
        for tile in tiling.tiles(600, 700):
            window, own = tiling.analysis_window(pixels, tile)
            y, _ = model.analyse(window, q, own)
            assert torch.allclose(y, whole_y[(..., *tiling.own_latents(tile))], atol=1e-4)
            window, own = tiling.synthesis_window(plane, tile, model.synthesis_halo)
            top, left, h, w = tile
            assert torch.allclose(model.synthesise(window, q)[0, :, own[0], own[1]],
                                  whole_x[0, :, top : top + h, left : left + w], atol=2e-3)
    body = codec.compress(Image.fromarray(pixels), 5)
    assert body[0] == PLANAR
    decoded = codec.decompress(body, ImageInfo("learned", "RGB", 600, 700, 5, codec.model))
    assert decoded.size == (600, 700) and np.asarray(decoded).std() > 0


def test_the_next_stage_continues_from_the_shipped_continuous_model(images, tmp_path):  # noqa: F811
    """A session starts from the committed weights file (checkpoints are not kept): it must load
    as the model it is, gains and context included, its record must extend the shipped training
    log, and it validates across the whole quality range."""
    from securecomp.codec.checkerboard import CheckerboardGainHyperprior
    from securecomp.codec.learned import DEFAULT_MODEL

    shipped = zoo.WEIGHTS / zoo.manifest()[DEFAULT_MODEL][zoo.ALL_QUALITIES]["file"]
    assert _train_v2(images, tmp_path / "run", "--steps", "1", "--init", str(shipped), "--precision", "bf16",
                     "--model", DEFAULT_MODEL) == 0
    start = _events(tmp_path / "run")[0]
    assert start["init_shipped"]["file"] == shipped.name and start["init_shipped"]["stages"]
    weights = torch.load(shipped, weights_only=True)
    model = CheckerboardGainHyperprior(**CheckerboardGainHyperprior.widths_of(weights))
    model.load_state_dict(weights)
    run = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)["model"]
    assert all(run[name].shape == value.shape for name, value in model.named_parameters())  # the shipped widths
    validation = [e for e in _events(tmp_path / "run") if e["event"] == "val"][0]
    assert validation["step"] == 0
    assert validation["bpp@1"] < validation["bpp@3"] < validation["bpp@5"] < validation["bpp@8"]
    assert validation["psnr@1"] < validation["psnr@8"]
