"""Target size: the highest quality whose whole output fits in a byte budget (``max_bytes``).

Bisection on the real quality (hundredths, as the descriptor carries it) over [1, 8]. Sizes rise
with quality for every lossy codec, though not always strictly (a codec's setting can be the same
for neighbouring qualities), so the search keeps the largest output that fits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ..errors import ParameterError
from .info import MAX_QUALITY, QUALITY_STEP

__all__ = ["fit", "parse_size"]

T = TypeVar("T")
_ENOUGH = 0.98       # stop once the output uses this much of the budget


def fit(encode: Callable[[float], T], size: Callable[[T], int], max_bytes: int, *,
        lossless: bool = False) -> tuple[float, T]:
    """(quality, output) of the highest quality whose ``size(encode(quality))`` is at most
    ``max_bytes``; ParameterError naming the smallest reachable size when even quality 1 is over."""
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes <= 0:
        raise ParameterError(f"max_bytes must be a positive whole number of bytes, got {max_bytes!r}")
    low, high = 1 * QUALITY_STEP, MAX_QUALITY * QUALITY_STEP
    best = (low / QUALITY_STEP, encode(low / QUALITY_STEP))
    smallest = size(best[1])
    if smallest > max_bytes:
        what = "the output" if lossless else "the output at the lowest quality"
        raise ParameterError(f"{what} takes {smallest} bytes, more than max_bytes={max_bytes} bytes",
                             hint=f"allow at least {smallest} bytes, or make the image smaller")
    if lossless:
        return best
    top = (high / QUALITY_STEP, encode(high / QUALITY_STEP))
    if size(top[1]) <= max_bytes:
        return top
    while high - low > 1 and size(best[1]) < _ENOUGH * max_bytes:
        middle = (low + high) // 2
        output = encode(middle / QUALITY_STEP)
        if size(output) <= max_bytes:
            low, best = middle, (middle / QUALITY_STEP, output)
        else:
            high = middle
    return best


_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2, "mib": 1024**2}


def parse_size(text: str) -> int:
    """'40000', '40k', '40kB', '40KiB', '1.5M' -> bytes (k = 1000, KiB = 1024)."""
    cleaned = text.strip().lower().replace(" ", "")
    number = cleaned.rstrip("kmgib")
    unit = cleaned[len(number):]
    try:
        value = float(number) * _UNITS[unit]
    except (ValueError, KeyError):
        raise ParameterError(f"cannot read the size {text!r}", hint="e.g. 40000, 40k, 40kB or 40KiB") from None
    if value < 1 or value != int(value):
        raise ParameterError(f"size {text!r} is not a positive whole number of bytes")
    return int(value)
