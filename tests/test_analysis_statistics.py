"""Entropy, local entropy, adjacent correlation and histogram χ², with their critical values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from securecomp.analysis import (
    adjacent_correlation,
    correlation_critical_value,
    entropy,
    expected_entropy,
    histogram_chi2,
    local_entropy,
)
from securecomp.analysis.statistics import _entropy_of_counts, _row_histograms, local_entropy_interval
from securecomp.errors import ParameterError

# Wu, Zhou, Noonan, Agaian & Chen (2013), local Shannon entropy with k = 30 blocks of 1936 pixels:
# the mean μ, and the α = 0.05 interval as usually quoted from the paper.
PAPER_MEAN = 7.902469317
PAPER_INTERVAL_005 = (7.901901305, 7.903037329)


def _random_image(shape, seed=0):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def test_entropy_of_a_flat_histogram_is_8_bits_and_of_a_constant_image_0():
    assert entropy(np.arange(256, dtype=np.uint8).repeat(4).reshape(32, 32)) == pytest.approx(8.0)
    assert entropy(np.full((16, 16), 7, dtype=np.uint8)) == 0.0


def test_expected_entropy_of_a_random_512x512_image_is_7_9993():
    assert expected_entropy(512 * 512) == pytest.approx(7.9993, abs=5e-5)
    assert abs(entropy(_random_image((512, 512))) - expected_entropy(512 * 512)) < 5e-4


def test_local_entropy_mean_matches_the_paper():
    low, high = local_entropy_interval(blocks=30, block_pixels=1936, alpha=0.05)
    assert (low + high) / 2 == pytest.approx(PAPER_MEAN, abs=1e-9)


def test_local_entropy_interval_accepts_random_images_at_the_nominal_rate_and_the_quoted_one_does_not():
    rng = np.random.default_rng(11)
    sets = rng.integers(0, 256, (400 * 30, 1936), dtype=np.uint8)
    means = _entropy_of_counts(_row_histograms(sets, 256)).reshape(400, 30).mean(axis=1)
    low, high = local_entropy_interval(alpha=0.05)
    accepted = np.mean((means >= low) & (means <= high))
    quoted = np.mean((means >= PAPER_INTERVAL_005[0]) & (means <= PAPER_INTERVAL_005[1]))
    assert 0.92 <= accepted <= 0.98
    assert quoted < 0.4            # μ ± z·σ/k instead of z·σ/√k: rejects most random images


def test_local_entropy_passes_a_random_image_and_fails_a_smooth_one():
    assert local_entropy(_random_image((512, 512)), seed=1).passed
    gradient = np.add.outer(np.arange(512), np.arange(512)).astype(np.uint8)
    result = local_entropy(gradient, seed=1)
    assert not result.passed and result.value < 7


def test_local_entropy_uses_every_channel_and_refuses_too_few_blocks():
    assert local_entropy(_random_image((256, 256, 3)), channel_axis=-1, seed=0).blocks == 30
    with pytest.raises(ParameterError, match="30 non-overlapping"):
        local_entropy(_random_image((256, 256)))


def test_histogram_chi2_critical_value_is_293_25_and_a_flat_histogram_scores_0():
    flat = histogram_chi2(np.arange(256, dtype=np.uint8).repeat(16))
    assert flat.critical == pytest.approx(293.2478, abs=1e-4)
    assert flat.statistic == 0.0 and flat.passed
    assert not histogram_chi2(np.zeros(4096, dtype=np.uint8)).passed


def test_correlation_of_neighbours_is_near_1_for_a_smooth_image_and_within_bounds_for_noise():
    smooth = (np.add.outer(np.arange(256), np.arange(256)) // 2).astype(np.uint8)
    noise = _random_image((512, 512), seed=5)
    for direction in ("horizontal", "vertical", "diagonal"):
        assert adjacent_correlation(smooth, direction=direction) > 0.99
        assert abs(adjacent_correlation(noise, direction=direction)) < 4 * correlation_critical_value(511 * 511)


def test_sampled_correlation_draws_the_requested_pairs_reproducibly():
    image = _random_image((128, 128, 3))
    first = adjacent_correlation(image, pairs=3000, channel_axis=-1, seed=9)
    assert first == adjacent_correlation(image, pairs=3000, channel_axis=-1, seed=9)


def test_correlation_critical_value_is_1_96_over_root_n():
    assert correlation_critical_value(3000) == pytest.approx(1.959964 / math.sqrt(3000), rel=1e-6)


def test_color_images_need_channel_axis_and_directions_are_checked():
    with pytest.raises(ParameterError, match="channel_axis"):
        adjacent_correlation(_random_image((32, 32, 3)))
    with pytest.raises(ParameterError, match="direction"):
        adjacent_correlation(_random_image((32, 32)), direction="sideways")
