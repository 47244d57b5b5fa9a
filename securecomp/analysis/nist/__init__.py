"""NIST SP800-22 rev1a statistical tests for random bit sequences, vectorised with numpy.

Each test takes a 1-D array of bits (:func:`bits_from_bytes` unpacks bytes, most significant bit
first) and returns its P-value(s); :func:`nist_battery` runs all fifteen over many sequences and
applies the proportion and uniformity rules. Results agree to six digits with Appendix B of the
standard (sts-2.1.2 on the binary expansions of e, √2 and √3) and with the worked examples, except
the spectral test's examples in §2.6, which sts-2.1.2's own code does not reproduce either.
"""

from ._bits import bits_from_bytes
from .battery import (
                      NIST_TESTS,
                      NistBattery,
                      NistRow,
                      NistTestResult,
                      nist_battery,
                      proportion_interval,
                      uniformity_p_value,
)
from .excursions import random_excursions, random_excursions_variant
from .frequency import block_frequency, cumulative_sums, frequency, longest_run_of_ones, runs, spectral
from .matrix import binary_matrix_rank, linear_complexity
from .patterns import approximate_entropy, serial
from .templates import aperiodic_templates, non_overlapping_template, overlapping_template, universal

__all__ = ["bits_from_bytes", "nist_battery", "NistBattery", "NistTestResult", "NistRow", "NIST_TESTS",
           "proportion_interval", "uniformity_p_value", "frequency", "block_frequency", "runs",
           "longest_run_of_ones", "binary_matrix_rank", "spectral", "non_overlapping_template",
           "overlapping_template", "universal", "linear_complexity", "serial", "approximate_entropy",
           "cumulative_sums", "random_excursions", "random_excursions_variant", "aperiodic_templates"]
