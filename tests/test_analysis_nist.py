"""NIST SP800-22 rev1a: worked examples of §2, Appendix B results for e, √2, √3, and the battery rules.

Appendix B lists the P-values sts-2.1.2 gives for the first 10^6 bits of the binary expansions of
e, √2 and √3 (integer part included: e = 10.1011..., √2 = 1.0110...). We compute those expansions
exactly with integer arithmetic instead of shipping the data files.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest

from securecomp.analysis import nist
from securecomp.errors import ParameterError

MILLION = 1_000_000


def bits_of(text: str) -> np.ndarray:
    return np.frombuffer(text.replace(" ", "").encode(), dtype=np.uint8) - ord("0")


def _integer_bits(value: int, count: int) -> np.ndarray:
    data = value.to_bytes((value.bit_length() + 7) // 8, "big")
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8))
    return bits[np.argmax(bits):][:count]           # from the leading one


def _exp_series(low: int, high: int) -> tuple[int, int]:
    """Σ_{k=low+1}^{high} low!/k! as P/Q (binary splitting)."""
    if high - low == 1:
        return 1, high
    middle = (low + high) // 2
    p1, q1 = _exp_series(low, middle)
    p2, q2 = _exp_series(middle, high)
    return p1 * q2 + p2, q1 * q2


@cache
def constant_bits(name: str) -> np.ndarray:
    precision = MILLION + 64
    if name == "e":
        terms, log_factorial = 1, 0.0
        while log_factorial < precision + 64:
            terms += 1
            log_factorial += math.log2(terms)
        p, q = _exp_series(0, terms)
        return _integer_bits(((p + q) << precision) // q, MILLION)
    radicand = {"sqrt2": 2, "sqrt3": 3}[name]
    return _integer_bits(math.isqrt(radicand << (2 * precision)), MILLION)


# Appendix B of SP800-22 rev1a ("Empirical results for sample data"), n = 10^6.
APPENDIX_B = {
    "e": {"frequency": 0.953749, "block_frequency": 0.211072, "cumulative_sums": (0.669886, 0.724265),
          "runs": 0.561917, "longest_run_of_ones": 0.718945, "binary_matrix_rank": 0.306156,
          "spectral": 0.847187, "non_overlapping_template": 0.078790, "overlapping_template": 0.110434,
          "universal": 0.282568, "approximate_entropy": 0.700073, "random_excursions": 0.786868,
          "random_excursions_variant": 0.826009, "serial": (0.766182, 0.462921), "linear_complexity": 0.826335},
    "sqrt2": {"frequency": 0.811881, "block_frequency": 0.833222, "cumulative_sums": 0.879009, "runs": 0.313427,
              "longest_run_of_ones": 0.012117, "binary_matrix_rank": 0.823810, "spectral": 0.581909,
              "non_overlapping_template": 0.569461, "overlapping_template": 0.791982, "universal": 0.130805,
              "approximate_entropy": 0.884740, "random_excursions": 0.216235,
              "random_excursions_variant": 0.566118, "serial": 0.861925, "linear_complexity": 0.317127},
    "sqrt3": {"frequency": 0.610051, "block_frequency": 0.473961, "cumulative_sums": 0.917121, "runs": 0.261123,
              "longest_run_of_ones": 0.446726, "binary_matrix_rank": 0.314498, "spectral": 0.776046,
              "non_overlapping_template": 0.532235, "overlapping_template": 0.082716, "universal": 0.165981,
              "approximate_entropy": 0.180481, "random_excursions": 0.783283,
              "random_excursions_variant": 0.155066, "serial": 0.157500, "linear_complexity": 0.346469},
}
# Which row Appendix B reports for tests with several P-values.
ROW = {"non_overlapping_template": 0, "random_excursions": 4, "random_excursions_variant": 8,
       "cumulative_sums": slice(0, 2), "serial": slice(0, 2)}
CASES = [(constant, test) for constant, tests in APPENDIX_B.items() for test in tests]


@pytest.mark.parametrize(("constant", "test"), CASES, ids=[f"{c}-{t}" for c, t in CASES])
def test_appendix_b_p_values_of_the_binary_expansions(constant, test):
    result = np.atleast_1d(nist.NIST_TESTS[test].function(constant_bits(constant)))
    expected = np.atleast_1d(APPENDIX_B[constant][test])
    got = result[ROW.get(test, 0)] if test in ROW else result[0]
    assert np.round(np.atleast_1d(got)[: expected.size], 6) == pytest.approx(expected, abs=1.5e-6)


def test_appendix_b_all_random_excursion_states_of_e():
    excursions = nist.random_excursions(constant_bits("e"))
    assert np.round(excursions, 6) == pytest.approx(
        [0.573306, 0.197996, 0.164011, 0.007779, 0.786868, 0.440912, 0.797854, 0.778186], abs=1.5e-6)


def test_section_2_10_8_linear_complexity_of_e_with_m_1000_and_2_11_8_serial_with_m_2():
    e = constant_bits("e")
    assert nist.linear_complexity(e, block_length=1000) == pytest.approx(0.845406, abs=1.5e-6)
    assert nist.serial(e, pattern_length=2) == pytest.approx((0.843764, 0.561915), abs=1.5e-6)


def test_section_2_5_8_rank_of_the_first_100000_bits_of_e():
    assert nist.binary_matrix_rank(constant_bits("e")[:100_000]) == pytest.approx(0.532069, abs=1.5e-6)


# The 100-bit sequence of the worked examples (the first 100 bits of π).
PI_100 = bits_of("11001001000011111101101010100010001000010110100011"
                 "00001000110100110001001100011001100010100010111000")

WORKED_EXAMPLES = [
    ("2.1.4 frequency", lambda: nist.frequency(bits_of("1011010101")), 0.527089),
    ("2.1.8 frequency", lambda: nist.frequency(PI_100), 0.109599),
    ("2.2.4 block frequency", lambda: nist.block_frequency(bits_of("0110011010"), block_length=3), 0.801252),
    ("2.2.8 block frequency", lambda: nist.block_frequency(PI_100, block_length=10), 0.706438),
    ("2.3.4 runs", lambda: nist.runs(bits_of("1001101011")), 0.147232),
    ("2.3.8 runs", lambda: nist.runs(PI_100), 0.500798),
    ("2.4.8 longest run", lambda: nist.longest_run_of_ones(bits_of(
        "11001100000101010110110001001100111000000000001001001101010100010001001111010110100000001101011111001100"
        "111001101101100010110010")), 0.180609),
    ("2.7.4 non-overlapping template", lambda: nist.non_overlapping_template(
        bits_of("10100100101110010110"), template_length=3, blocks=2, templates=(0b001,))[0], 0.344154),
    ("2.11.4 serial P1", lambda: nist.serial(bits_of("0011011101"), pattern_length=3)[0], 0.808792),
    ("2.11.4 serial P2", lambda: nist.serial(bits_of("0011011101"), pattern_length=3)[1], 0.670320),
    ("2.12.4 approximate entropy", lambda: nist.approximate_entropy(bits_of("0100110101"), pattern_length=3),
     0.261961),
    ("2.12.8 approximate entropy", lambda: nist.approximate_entropy(PI_100, pattern_length=2), 0.235301),
    ("2.13.4 cumulative sums", lambda: nist.cumulative_sums(bits_of("1011010111"))[0], 0.4116588),
    ("2.13.8 cumulative sums forward", lambda: nist.cumulative_sums(PI_100)[0], 0.219194),
    ("2.13.8 cumulative sums backward", lambda: nist.cumulative_sums(PI_100)[1], 0.114866),
]


@pytest.mark.parametrize(("section", "compute", "expected"), WORKED_EXAMPLES, ids=[w[0] for w in WORKED_EXAMPLES])
def test_worked_examples_of_section_2(section, compute, expected):
    assert compute() == pytest.approx(expected, abs=1.5e-6)


def test_spectral_follows_sts_2_1_2_not_the_inconsistent_example_of_section_2_6_4():
    # §2.6.4 states N1 = 4 for ε = 1001010011, but all five |S_k| lie below T = 5.47, so N1 = 5, as
    # sts-2.1.2 computes (and Appendix B's spectral results above confirm the sts behaviour).
    assert nist.spectral(bits_of("1001010011")) == pytest.approx(0.468160, abs=1.5e-6)


def test_there_are_148_aperiodic_templates_of_9_bits_starting_with_000000001():
    templates = nist.aperiodic_templates(9)
    assert len(templates) == 148 and templates[0] == 1 and templates[-1] == 0b111111110
    assert [len(nist.aperiodic_templates(m)) for m in (2, 3, 4, 5)] == [2, 4, 6, 12]


# --- the battery -----------------------------------------------------------------------------------

def test_proportion_interval_for_1000_sequences_is_the_standards_example():
    low, high = nist.proportion_interval(1000, alpha=0.01)
    assert (low, high) == pytest.approx((0.9805607, 0.9994392), abs=1e-7)


def test_uniformity_p_value_is_high_for_even_p_values_and_tiny_for_clustered_ones():
    assert nist.uniformity_p_value(np.linspace(0.005, 0.995, 100)) > 0.99
    assert nist.uniformity_p_value(np.full(100, 0.42)) < 1e-4


def test_battery_passes_random_bits_and_skips_tests_needing_longer_sequences():
    bits = np.random.default_rng(2022).integers(0, 2, 4 * 400_000, dtype=np.uint8)
    battery = nist.nist_battery(bits, sequence_length=400_000)
    by_name = {test.name: test for test in battery.tests}
    assert battery.sequences == 4 and battery.passed
    assert by_name["linear_complexity"].passed is None and "1000000" in by_name["linear_complexity"].skipped
    assert by_name["frequency"].passed and by_name["universal"].passed
    assert len(by_name["non_overlapping_template"].rows) == 148
    assert battery.as_dict()["tests"][0]["rows"][0]["applied"] == 4


def test_battery_fails_biased_bits():
    bits = (np.random.default_rng(7).random(3 * 100_000) < 0.52).astype(np.uint8)
    battery = nist.nist_battery(bits, sequence_length=100_000, tests=["frequency", "runs", "cumulative_sums"])
    assert not battery.passed
    assert all(test.passed is False for test in battery.tests)


def test_many_templates_may_fail_by_chance_before_the_test_fails():
    row_p_values = np.full((10, 148), 0.5)
    row_p_values[:2, :3] = 0.001             # three templates with 2 of 10 sequences failing
    result = nist.NistTestResult("non_overlapping_template", "t", tuple(
        nist.NistRow(str(i), row_p_values[:, i], 0.01) for i in range(148)))
    assert result.failing_rows == 3 and result.allowed_failures >= 3 and result.passed


def test_random_excursions_report_not_applicable_for_few_cycles():
    assert nist.random_excursions(np.ones(10_000, dtype=np.uint8)) is None
    assert nist.random_excursions_variant(np.ones(10_000, dtype=np.uint8)) is None


@pytest.mark.parametrize("bad", [np.array([0, 1, 2]), np.zeros((4, 4), dtype=np.uint8), np.array([0.5, 1.0])])
def test_inputs_that_are_not_bit_arrays_raise_parameter_error(bad):
    with pytest.raises(ParameterError):
        nist.frequency(bad)


def test_unknown_test_names_are_refused():
    with pytest.raises(ParameterError, match="unknown NIST tests"):
        nist.nist_battery(np.zeros(1000, dtype=np.uint8), sequence_length=1000, tests=["dice"])


def test_bits_from_bytes_takes_the_most_significant_bit_first():
    assert nist.bits_from_bytes(b"\x80\x01").tolist() == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
