"""Pass rates over many trials, judged against the rate an ideal cipher reaches.

A test at level α passes an ideal cipher in a share 1 − α of trials. Over T trials the number of
passes is binomial; a count in either tail beyond ``level`` is a finding: too few passes means the
statistic is off, and too many (e.g. 100 of 100 at α = 0.05, probability 0.6 %) means the
measurement is not doing what it claims (comparing the wrong images, a wrong critical value, or a
cipher whose outputs are not independent).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from scipy.stats import binom

from ..errors import ParameterError

__all__ = ["PassRate", "pass_rate"]

FINDING_LEVEL = 0.01


@dataclass(frozen=True)
class PassRate:
    """``passes`` of ``trials`` against the ideal rate; ``verdict`` is consistent, low or suspicious."""

    passes: int
    trials: int
    ideal: float
    p_low: float        # P(X ≤ passes) for an ideal cipher
    p_high: float       # P(X ≥ passes) for an ideal cipher
    level: float

    @property
    def rate(self) -> float:
        return self.passes / self.trials

    @property
    def verdict(self) -> str:
        if self.p_low < self.level:
            return "low"
        if self.p_high < self.level:
            return "suspicious"
        return "consistent"

    @property
    def explanation(self) -> str:
        ideal = f"an ideal cipher passes {100 * self.ideal:.1f} %"
        if self.verdict == "low":
            return f"significantly fewer passes than ideal ({ideal}; P = {self.p_low:.2g})"
        if self.verdict == "suspicious":
            return f"more passes than an ideal cipher plausibly gets ({ideal}; P = {self.p_high:.2g})"
        return f"consistent with an ideal cipher ({ideal})"

    def as_dict(self) -> dict:
        return {**asdict(self), "rate": self.rate, "verdict": self.verdict}


def pass_rate(passes: int, trials: int, *, ideal: float, level: float = FINDING_LEVEL) -> PassRate:
    """Judge ``passes`` out of ``trials`` with one-sided binomial tests at ``level`` on each side."""
    if trials < 1 or not 0 <= passes <= trials:
        raise ParameterError(f"need 0 <= passes <= trials and trials >= 1, got {passes} of {trials}")
    if not 0.0 < ideal < 1.0:
        raise ParameterError(f"the ideal pass rate must lie strictly between 0 and 1, got {ideal}")
    p_low = float(binom.cdf(passes, trials, ideal))
    p_high = float(binom.sf(passes - 1, trials, ideal))
    return PassRate(int(passes), int(trials), float(ideal), p_low, p_high, level)
