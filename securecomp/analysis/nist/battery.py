"""The SP800-22 battery over many sequences, judged by the proportion and uniformity rules (§4.2).

The bits are cut into sequences of ``sequence_length``; each of the fifteen tests gives one or more
P-values ("rows": e.g. 148 templates) per sequence. For each row:

* proportion rule: the share of sequences with P ≥ α must lie within p̂ ± 3·sqrt(p̂(1 − p̂)/s),
  p̂ = 1 − α, s the number of sequences the test applied to;
* uniformity rule (only with at least 55 sequences, as §4.2.2 asks): the χ² of the P-values in ten
  bins must have a P-value of at least 0.0001.

A test with many rows (templates, excursion states) is expected to have a few failing rows by chance
(about 0.6 of the 148 templates with 10 sequences); it fails when more rows fail than an ideal
generator produces with probability 0.99 (rows treated as independent, which the correlated excursion
states are only roughly). Tests of one or two rows fail with any failing row.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.special import gammaincc
from scipy.stats import binom

from ...errors import ParameterError
from ._bits import check_bits
from .excursions import EXCURSION_STATES, VARIANT_STATES, random_excursions, random_excursions_variant
from .frequency import block_frequency, cumulative_sums, frequency, longest_run_of_ones, runs, spectral
from .matrix import binary_matrix_rank, linear_complexity
from .patterns import approximate_entropy, serial
from .templates import aperiodic_templates, non_overlapping_template, overlapping_template, universal

__all__ = ["NIST_TESTS", "nist_battery", "NistBattery", "NistTestResult", "NistRow", "proportion_interval",
           "uniformity_p_value"]

UNIFORMITY_MINIMUM_SEQUENCES = 55
UNIFORMITY_LEVEL = 0.0001
CHANCE_LEVEL = 0.01


@dataclass(frozen=True)
class _Test:
    title: str
    function: Callable
    labels: tuple[str, ...]
    minimum_bits: int          # the input size SP800-22 recommends


NIST_TESTS: dict[str, _Test] = {
    "frequency": _Test("Frequency (monobit)", frequency, ("",), 100),
    "block_frequency": _Test("Frequency within a block (M = 128)", block_frequency, ("",), 100),
    "cumulative_sums": _Test("Cumulative sums", cumulative_sums, ("forward", "backward"), 100),
    "runs": _Test("Runs", runs, ("",), 100),
    "longest_run_of_ones": _Test("Longest run of ones in a block", longest_run_of_ones, ("",), 128),
    "binary_matrix_rank": _Test("Binary matrix rank (32 x 32)", binary_matrix_rank, ("",), 38_912),
    "spectral": _Test("Discrete Fourier transform (spectral)", spectral, ("",), 1_000),
    "non_overlapping_template": _Test("Non-overlapping template matching (m = 9)", non_overlapping_template,
                                      tuple(format(t, "09b") for t in aperiodic_templates(9)), 1_000),
    "overlapping_template": _Test("Overlapping template matching (m = 9)", overlapping_template, ("",), 1_000_000),
    "universal": _Test("Maurer's universal statistical", universal, ("",), 387_840),
    "approximate_entropy": _Test("Approximate entropy (m = 10)", approximate_entropy, ("",), 1 << 16),
    "random_excursions": _Test("Random excursions", random_excursions,
                               tuple(f"x={x:+d}" for x in EXCURSION_STATES), 1_000_000),
    "random_excursions_variant": _Test("Random excursions variant", random_excursions_variant,
                                       tuple(f"x={x:+d}" for x in VARIANT_STATES), 1_000_000),
    "serial": _Test("Serial (m = 16)", serial, ("P1", "P2"), 1 << 19),
    "linear_complexity": _Test("Linear complexity (M = 500)", linear_complexity, ("",), 1_000_000),
}


def proportion_interval(sequences: int, *, alpha: float = 0.01) -> tuple[float, float]:
    """Acceptable proportion of passing sequences: p̂ ± 3·sqrt(p̂(1 − p̂)/s), p̂ = 1 − α (§4.2.1)."""
    expected = 1.0 - alpha
    spread = 3.0 * math.sqrt(expected * alpha / sequences)
    return expected - spread, expected + spread


def uniformity_p_value(p_values) -> float:
    """P-value of the χ² of the P-values in ten equal bins (§4.2.2); uniform when ≥ 0.0001."""
    values = np.asarray(p_values, dtype=np.float64)
    bins = np.minimum((values * 10).astype(np.int64), 9)
    observed = np.bincount(bins, minlength=10)
    expected = values.size / 10.0
    return float(gammaincc(4.5, float(((observed - expected) ** 2).sum() / expected) / 2.0))


@dataclass(frozen=True)
class NistRow:
    """One P-value of one test over all sequences; NaN where the test did not apply."""

    label: str
    p_values: np.ndarray
    alpha: float

    @property
    def applied(self) -> int:
        return int(np.count_nonzero(~np.isnan(self.p_values)))

    @property
    def proportion(self) -> float:
        applied = self.p_values[~np.isnan(self.p_values)]
        return float(np.mean(applied >= self.alpha)) if applied.size else math.nan

    @property
    def interval(self) -> tuple[float, float]:
        return proportion_interval(max(self.applied, 1), alpha=self.alpha)

    @property
    def uniformity(self) -> float | None:
        if self.applied < UNIFORMITY_MINIMUM_SEQUENCES:
            return None
        return uniformity_p_value(self.p_values[~np.isnan(self.p_values)])

    @property
    def passed(self) -> bool | None:
        if not self.applied:
            return None
        low, high = self.interval
        uniform = self.uniformity
        return low <= self.proportion <= high and (uniform is None or uniform >= UNIFORMITY_LEVEL)

    def chance_of_failing(self) -> float:
        """Probability that an ideal generator fails this row's rules."""
        low, high = self.interval
        applied = self.applied
        inside = binom.cdf(math.floor(high * applied + 1e-9), applied, 1 - self.alpha) \
            - binom.cdf(math.ceil(low * applied - 1e-9) - 1, applied, 1 - self.alpha)
        uniform = UNIFORMITY_LEVEL if self.uniformity is not None else 0.0
        return float(1.0 - inside * (1.0 - uniform))

    def as_dict(self) -> dict:
        low, high = self.interval
        return {"label": self.label, "applied": self.applied, "proportion": _finite(self.proportion),
                "interval": [low, high], "uniformity": self.uniformity, "passed": self.passed,
                "p_values": [_finite(p) for p in self.p_values]}


@dataclass(frozen=True)
class NistTestResult:
    """All rows of one test, and whether more rows failed than chance explains."""

    name: str
    title: str
    rows: tuple[NistRow, ...]
    skipped: str = ""

    @property
    def failing_rows(self) -> int:
        return sum(1 for row in self.rows if row.passed is False)

    @property
    def allowed_failures(self) -> int:
        """Most failing rows an ideal generator shows with probability ≥ 0.99; 0 for tests of one or
        two (closely related) rows, which must pass outright."""
        judged = [row for row in self.rows if row.applied]
        if len(judged) <= 2:
            return 0
        chance = float(np.mean([row.chance_of_failing() for row in judged]))
        return int(binom.ppf(1.0 - CHANCE_LEVEL, len(judged), chance))

    @property
    def passed(self) -> bool | None:
        if self.skipped or not any(row.applied for row in self.rows):
            return None
        return self.failing_rows <= self.allowed_failures

    def as_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "skipped": self.skipped, "passed": self.passed,
                "failing_rows": self.failing_rows, "allowed_failures": self.allowed_failures,
                "rows": [row.as_dict() for row in self.rows]}


@dataclass(frozen=True)
class NistBattery:
    """The battery's outcome: one :class:`NistTestResult` per test."""

    sequences: int
    sequence_length: int
    alpha: float
    tests: tuple[NistTestResult, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        return all(test.passed is not False for test in self.tests)

    def as_dict(self) -> dict:
        return {"sequences": self.sequences, "sequence_length": self.sequence_length, "alpha": self.alpha,
                "passed": self.passed, "tests": [test.as_dict() for test in self.tests]}


def nist_battery(bits, *, sequence_length: int = 1_000_000, alpha: float = 0.01, tests=None,
                 progress: Callable[[int], None] | None = None) -> NistBattery:
    """Run the SP800-22 tests (all fifteen, or those named in ``tests``) on each sequence of ``bits``."""
    values = check_bits(bits, minimum=sequence_length, test="the NIST battery")
    names = _check_names(tests)
    count = values.size // sequence_length
    runnable = [name for name in names if sequence_length >= NIST_TESTS[name].minimum_bits]
    table = {name: np.full((count, len(NIST_TESTS[name].labels)), np.nan) for name in runnable}
    for index in range(count):
        sequence = values[index * sequence_length : (index + 1) * sequence_length]
        for name in runnable:
            result = NIST_TESTS[name].function(sequence)
            if result is not None:
                table[name][index] = np.atleast_1d(result)
        if progress is not None:
            progress(1)
    results = tuple(_test_result(name, table.get(name), alpha, sequence_length) for name in names)
    return NistBattery(count, sequence_length, alpha, results)


def _test_result(name: str, p_values: np.ndarray | None, alpha: float, sequence_length: int) -> NistTestResult:
    test = NIST_TESTS[name]
    if p_values is None:
        return NistTestResult(name, test.title, (), skipped=f"needs sequences of at least {test.minimum_bits} bits, "
                                                            f"not {sequence_length}")
    rows = tuple(NistRow(label, p_values[:, column], alpha) for column, label in enumerate(test.labels))
    return NistTestResult(name, test.title, rows)


def _check_names(tests) -> list[str]:
    names = list(NIST_TESTS) if tests is None else list(tests)
    unknown = [name for name in names if name not in NIST_TESTS]
    if unknown:
        raise ParameterError(f"unknown NIST tests: {', '.join(unknown)}", hint=f"known: {', '.join(NIST_TESTS)}")
    return names


def _finite(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)
