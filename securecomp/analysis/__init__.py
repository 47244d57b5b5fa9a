"""Measurements of both halves of securecomp: compression quality and encryption strength.

Functions follow skimage.metrics: full-word names, the two images first, keyword-only options,
shapes checked (a mismatch raises :class:`securecomp.errors.ParameterError`).

- quality: :func:`psnr`, :func:`ssim`, :func:`ms_ssim`
- differential: :func:`npcr`, :func:`uaci`, :func:`npcr_uaci_test` (Wu, Noonan & Agaian 2011)
- cipher experiments: :func:`cipher_image`, :func:`plaintext_sensitivity`, :func:`key_sensitivity`,
  :func:`sensitivity_experiments` (both), :func:`wrong_key_decryption` (same nonce within every pair),
  judged by :func:`pass_rate`
- statistics: :func:`entropy`, :func:`local_entropy`, :func:`adjacent_correlation`,
  :func:`histogram_chi2`, and :mod:`securecomp.analysis.nist` (SP800-22, :func:`nist_battery`)
- the report: :mod:`securecomp.analysis.report` (``securecomp report`` on the command line)
"""

from __future__ import annotations

import importlib
from typing import Any

# Exports load on first use (PEP 562), so that `securecomp --help` and the other commands do not
# pay for scipy.stats and matplotlib.
_EXPORTS = {
    ".metrics": ("psnr", "ssim", "ms_ssim"),
    ".differential": ("npcr", "uaci", "npcr_uaci_test", "npcr_critical_value", "uaci_critical_interval",
                      "NpcrUaciTest"),
    ".sensitivity": ("cipher_image", "plaintext_sensitivity", "key_sensitivity", "sensitivity_experiments",
                     "wrong_key_decryption"),
    ".passrate": ("pass_rate", "PassRate"),
    ".statistics": ("entropy", "expected_entropy", "local_entropy", "adjacent_correlation", "adjacent_pairs",
                    "correlation_critical_value", "histogram_chi2"),
    ".nist": ("nist_battery", "bits_from_bytes"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [name for names in _EXPORTS.values() for name in names]


def __getattr__(name: str) -> Any:
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_MODULE_OF[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
