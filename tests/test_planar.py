"""Whole-image latent coding in tiles (codec/planar.py): however the plane is cut in tiles and
h_s in bands, the decoder reconstructs exactly the latents of coding the plane as one piece, and
only the strings are cut."""

from __future__ import annotations

import pytest
import torch
from test_learned_engine import spread

from securecomp.codec import models, planar
from securecomp.codec.checkerboard import CheckerboardGainHyperprior
from securecomp.codec.meanscale import MeanScaleGainHyperprior


@pytest.fixture(autouse=True)
def float32_transforms(monkeypatch):
    monkeypatch.setattr(models, "_native_bf16", lambda: False)


def _coded(model, y, z, tile: int, band_bytes: int, monkeypatch):
    monkeypatch.setattr(planar, "TILE_LATENTS", tile)
    monkeypatch.setattr(planar, "BAND_BYTES", band_bytes)
    monkeypatch.setattr(planar, "CHUNK_BYTES", band_bytes)
    y_hat = y.clone()
    strings = planar.encode(model, y_hat, z)
    decoded = planar.decode(model, strings, (z.shape[0], *z.shape[2:]))
    return strings, y_hat, decoded


@pytest.mark.parametrize("kind", [MeanScaleGainHyperprior, CheckerboardGainHyperprior])
def test_tiles_and_bands_change_the_strings_not_the_latents(kind, monkeypatch):
    torch.manual_seed(3)
    model = spread(kind(16, 24))
    x, q = torch.rand(2, 3, 384, 320), torch.tensor([3.0, 6.5])
    with torch.no_grad():
        y, z = model.analyse(x, q)                                     # a 24 × 20 latent plane
        whole, whole_y_hat, whole_decoded = _coded(model, y, z, 32, 1 << 40, monkeypatch)
        cut, cut_y_hat, cut_decoded = _coded(model, y, z, 4, 1, monkeypatch)   # 6 × 5 tiles, a band per tile row
    assert len(whole) == 1 + model.coding_passes
    assert len(cut) == planar.string_count(model, 24, 20) == 1 + 30 * model.coding_passes   # at 4 × 4 tiles
    assert cut[0] == whole[0]                                          # z: one string either way
    assert torch.equal(whole_decoded, whole_y_hat) and torch.equal(cut_decoded, cut_y_hat)
    assert torch.equal(cut_y_hat, whole_y_hat)
    assert not torch.equal(whole_y_hat, y) and torch.allclose(whole_y_hat, y, atol=0.5 + 1e-3)
    whole_bytes, cut_bytes = sum(map(len, whole)), sum(map(len, cut))
    assert whole_bytes <= cut_bytes <= whole_bytes + 8 * len(cut)      # a word or two per string


def test_h_a_in_bands_gives_the_whole_plane_z(monkeypatch):
    torch.manual_seed(4)
    model = spread(MeanScaleGainHyperprior(16, 24))
    with torch.no_grad():
        y = model.analyse_y(torch.rand(1, 3, 512, 256), torch.tensor([4.0]))
        whole = model.h_a(model._hyper_input(y))
        monkeypatch.setattr(planar, "TILE_LATENTS", 4)
        monkeypatch.setattr(planar, "BAND_BYTES", 1)
        banded = planar.analysis_z(model, y)
    assert torch.allclose(banded, whole, atol=1e-5)


def test_a_tile_of_the_second_pass_sees_its_neighbours_anchors_on_every_side(monkeypatch):
    """Change the latents of one tile (z kept): its own latents change, and so do the non-anchors
    just outside it on every side, whose context reaches into it; the rest of the plane does not."""
    torch.manual_seed(5)
    model = spread(CheckerboardGainHyperprior(16, 24))
    with torch.no_grad():
        y, z = model.analyse(torch.rand(1, 3, 256, 256), torch.tensor([5.0]))      # 16 × 16 latents
        changed_y = y.clone()
        changed_y[:, :, 4:8, 4:8] += 3.0                                            # tile (1, 1) of 4 × 4
        _, y_hat, _ = _coded(model, y, z, 4, 1, monkeypatch)
        _, other, decoded = _coded(model, changed_y, z, 4, 1, monkeypatch)
    assert torch.equal(decoded, other)
    changed = (other != y_hat).any(dim=1)[0]
    assert changed[4:8, 4:8].all()
    assert changed[3, 4:8].any() and changed[8, 4:8].any() and changed[4:8, 3].any() and changed[4:8, 8].any()
    near = torch.zeros_like(changed)
    near[2:10, 2:10] = True
    assert not changed[~near].any()
