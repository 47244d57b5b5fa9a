"""NPCR/UACI and their critical values (Wu, Noonan & Agaian 2011), and pass-rate judgement."""

from __future__ import annotations

import numpy as np
import pytest

from securecomp.analysis import npcr, npcr_critical_value, npcr_uaci_test, pass_rate, uaci, uaci_critical_interval
from securecomp.analysis.differential import npcr_expected, npcr_uaci_batch, uaci_expected
from securecomp.errors import ParameterError

# Table 2 of Wu, Noonan & Agaian, "NPCR and UACI randomness tests for image encryption" (2011):
# side of a square 8-bit image, α -> (N*_α, U*−_α, U*+_α) in percent.
WU_TABLE = {
    (256, 0.05): (99.5693, 33.2824, 33.6447), (256, 0.01): (99.5527, 33.2255, 33.7016),
    (256, 0.001): (99.5341, 33.1594, 33.7677),
    (512, 0.05): (99.5893, 33.3730, 33.5541), (512, 0.01): (99.5810, 33.3445, 33.5826),
    (512, 0.001): (99.5717, 33.3115, 33.6156),
    (1024, 0.05): (99.5994, 33.4183, 33.5088), (1024, 0.01): (99.5952, 33.4040, 33.5231),
    (1024, 0.001): (99.5906, 33.3875, 33.5396),
}


@pytest.mark.parametrize(("side", "alpha"), list(WU_TABLE), ids=[f"{s}x{s}-a{a}" for s, a in WU_TABLE])
def test_critical_values_reproduce_the_wu_noonan_agaian_table(side, alpha):
    npcr_star, uaci_low, uaci_high = WU_TABLE[side, alpha]
    assert round(npcr_critical_value(side * side, alpha=alpha), 4) == npcr_star
    low, high = uaci_critical_interval(side * side, alpha=alpha)
    assert (round(low, 4), round(high, 4)) == (uaci_low, uaci_high)


def test_ideal_means_are_f_over_f_plus_1_and_f_plus_2_over_3f_plus_3():
    assert npcr_expected() == pytest.approx(100 * 255 / 256)
    assert uaci_expected() == pytest.approx(100 * 257 / 768)


def test_npcr_and_uaci_of_a_hand_computed_pair():
    first = np.array([[0, 255], [10, 20]], dtype=np.uint8)
    second = np.array([[0, 0], [11, 20]], dtype=np.uint8)
    assert npcr(first, second) == pytest.approx(50.0)
    assert uaci(first, second) == pytest.approx(100 * (255 + 1) / (4 * 255))


def test_batch_matches_pairwise_values():
    rng = np.random.default_rng(1)
    reference = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    others = rng.integers(0, 256, (5, 32, 32, 3), dtype=np.uint8)
    changed, intensity = npcr_uaci_batch(reference, others, largest_value=255)
    assert changed == pytest.approx([npcr(reference, other) for other in others])
    assert intensity == pytest.approx([uaci(reference, other) for other in others])


def test_independent_pairs_of_uniform_images_pass_each_test_at_the_nominal_rate():
    rng = np.random.default_rng(2004)
    trials, side = 400, 128
    first = rng.integers(0, 256, (trials, side, side), dtype=np.uint8)
    second = rng.integers(0, 256, (trials, side, side), dtype=np.uint8)
    changed, intensity = npcr_uaci_batch(first, second, largest_value=255)
    low, high = uaci_critical_interval(side * side)
    npcr_passes = int((changed >= npcr_critical_value(side * side)).sum())
    uaci_passes = int(((intensity >= low) & (intensity <= high)).sum())
    assert pass_rate(npcr_passes, trials, ideal=0.95).verdict == "consistent"
    assert pass_rate(uaci_passes, trials, ideal=0.95).verdict == "consistent"


def test_a_uaci_that_is_too_high_fails_although_npcr_passes():
    rng = np.random.default_rng(3)
    first = rng.integers(0, 256, (256, 256), dtype=np.uint8)
    result = npcr_uaci_test(first, (first + 128).astype(np.uint8))
    assert result.npcr == 100.0 and result.npcr_passed
    assert result.uaci > result.uaci_high and not result.uaci_passed and not result.passed


def test_a_plain_image_against_a_shifted_copy_fails_npcr():
    image = np.tile(np.arange(256, dtype=np.uint8), (256, 1))
    shifted = image.copy()
    shifted[0, 0] += 1
    result = npcr_uaci_test(image, shifted, alpha=0.05)
    assert not result.npcr_passed and result.as_dict()["npcr_passed"] is False


def test_sixteen_bit_images_use_f_65535():
    first = np.zeros((64, 64), dtype=np.uint16)
    second = np.full((64, 64), 65535, dtype=np.uint16)
    assert uaci(first, second) == pytest.approx(100.0)
    assert npcr_uaci_test(first, second).npcr_critical == pytest.approx(
        npcr_critical_value(4096, largest_value=65535))


@pytest.mark.parametrize("metric", [npcr, uaci, npcr_uaci_test])
def test_shape_mismatch_raises_parameter_error(metric):
    with pytest.raises(ParameterError, match="shape"):
        metric(np.zeros((8, 8), np.uint8), np.zeros((8, 9), np.uint8))


def test_float_cipher_images_are_refused():
    with pytest.raises(ParameterError, match="integers"):
        npcr(np.zeros((8, 8)), np.zeros((8, 8)))


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1])
def test_alpha_outside_zero_one_is_refused(alpha):
    with pytest.raises(ParameterError, match="alpha"):
        npcr_critical_value(512 * 512, alpha=alpha)


# --- pass rates ----------------------------------------------------------------------------------

def test_ninety_five_of_a_hundred_is_consistent_with_an_ideal_cipher():
    rate = pass_rate(95, 100, ideal=0.95)
    assert rate.verdict == "consistent" and "consistent" in rate.explanation


def test_a_hundred_of_a_hundred_at_alpha_005_is_suspicious():
    rate = pass_rate(100, 100, ideal=0.95)
    assert rate.p_high == pytest.approx(0.95**100)
    assert rate.verdict == "suspicious"


def test_eighty_five_of_a_hundred_is_significantly_low():
    assert pass_rate(85, 100, ideal=0.95).verdict == "low"


def test_all_passes_over_few_trials_is_not_suspicious():
    assert pass_rate(10, 10, ideal=0.95).verdict == "consistent"
