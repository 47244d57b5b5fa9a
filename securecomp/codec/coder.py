"""Entropy coder: integer symbols + integer CDF tables <-> bytes (range coding with constriction).

This module knows nothing about torch or about learned models. It maps a flat array of integer
``symbols``, each with the ``index`` of the table it is coded with, to bytes and back, using a set
of integer CDF tables (:class:`CdfTables`) built elsewhere (see :mod:`securecomp.codec.entropy`).

Tables
    Every table is a 16-bit integer CDF: ``cdf[0] == 0``, ``cdf[-1] == 2**16``, strictly increasing
    (every symbol has a frequency >= 1). A table with ``n + 1`` CDF entries codes ``n`` symbols:
    positions ``0 .. n-2`` stand for the values ``offset .. offset + n - 2``; the last position
    ``n - 1`` is the ESCAPE symbol.

Escapes
    A value outside its table's range is coded as the escape symbol, and its overflow (how far it
    lies outside the range, zig-zag mapped to ``w >= 0``) is coded after all regular symbols with
    an Elias-gamma-like bypass code: the bit length of ``w`` (uniform over 0..63), then the bits
    below its leading one in chunks of at most 16 bits (uniform models). Nothing is clipped: every
    value in ``[-2**31, 2**31)`` decodes to itself exactly; values outside raise ``ValueError``.

Exactness (what we verified in constriction 0.5's source and by probing)
    ``constriction.stream.model.Categorical(p, perfect=False)`` builds its fixed-point CDF at
    24-bit precision with ``left_cum[i] = floor(sum(p[:i]) * scale) + i``, where
    ``scale = (2**24 - n) / sum(p)`` and the sums run in the dtype of ``p`` in index order. We
    feed ``p[i] = 256 * freq[i] - 1`` in float64: every partial sum is an integer below 2**24, so it
    is exact, ``sum(p) == 2**24 - n`` exactly, ``scale == 1.0`` and therefore
    ``left_cum[i] == 256 * cdf[i]``: constriction's model IS our 16-bit table scaled by 2**8, with
    no floating-point rounding anywhere, on every platform. ``tests/test_learned_engine.py`` checks
    this by probing the decoder at every CDF boundary. The uniform models used for escapes are
    integer arithmetic inside constriction. Words are serialised little-endian.

Symbols are grouped by table (a stable sort on ``index``; the decoder knows the indexes and
repeats the sort), so each table costs one vectorised constriction call; there is no Python loop
per symbol.
"""

from __future__ import annotations

from dataclasses import dataclass

import constriction
import numpy as np

__all__ = ["PRECISION", "CdfTables", "encode", "decode", "quantize_pmf"]

PRECISION = 16                  # bits of every CDF table
_SCALE_BITS = 24 - PRECISION    # constriction's categorical models run at 24 bits
_LENGTH_CODE = 64               # the escape bit length is coded uniformly over 0..63
_CHUNK = 16                     # escape mantissas are coded in chunks of <= 16 bits
SYMBOL_LIMIT = 1 << 31          # codable values are in [-SYMBOL_LIMIT, SYMBOL_LIMIT)


@dataclass(frozen=True)
class CdfTables:
    """``T`` integer CDF tables packed into one array.

    ``cdf[starts[t]:starts[t + 1]]`` is table ``t`` (``int32``, 0 .. 2**16, strictly increasing);
    ``offsets[t]`` is the value coded at position 0 of table ``t``.
    """

    cdf: np.ndarray
    starts: np.ndarray
    offsets: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "cdf", np.ascontiguousarray(self.cdf, dtype=np.int64))
        object.__setattr__(self, "starts", np.ascontiguousarray(self.starts, dtype=np.int64))
        object.__setattr__(self, "offsets", np.ascontiguousarray(self.offsets, dtype=np.int64))
        if len(self.starts) != len(self.offsets) + 1 or np.any(np.diff(self.starts) < 3):
            raise ValueError("every CDF table needs at least 3 entries (one value and the escape)")
        if self.starts[0] != 0 or self.starts[-1] != len(self.cdf):
            raise ValueError("CDF table starts do not cover the packed array")
        first, last = self.cdf[self.starts[:-1]], self.cdf[self.starts[1:] - 1]
        steps = np.diff(self.cdf)
        steps[self.starts[1:-1] - 1] = 1                       # ignore the jumps between tables
        if np.any(first != 0) or np.any(last != 1 << PRECISION) or np.any(steps < 1):
            raise ValueError(f"CDF tables must rise strictly from 0 to 2**{PRECISION}")

    @property
    def count(self) -> int:
        return len(self.offsets)

    @property
    def escapes(self) -> np.ndarray:
        """Position of the escape symbol in each table (= number of regular values)."""
        return np.diff(self.starts) - 2

    def model(self, t: int) -> constriction.stream.model.Categorical:
        """Constriction model reproducing table ``t`` exactly (see module docstring)."""
        freq = np.diff(self.cdf[self.starts[t]:self.starts[t + 1]]).astype(np.float64)
        return constriction.stream.model.Categorical(freq * (1 << _SCALE_BITS) - 1.0, perfect=False)


def quantize_pmf(pmf: np.ndarray) -> np.ndarray:
    """Integer CDF (``len(pmf) + 1`` entries, 0 .. 2**16) of a nonnegative pmf, every symbol >= 1.

    Each symbol first gets 1, the remaining ``2**16 - n`` counts are shared in proportion to
    ``pmf`` by the largest-remainder method.
    """
    pmf = np.asarray(pmf, dtype=np.float64)
    n = len(pmf)
    if not 2 <= n <= (1 << PRECISION) // 2:
        raise ValueError(f"a table of {n} symbols does not fit {PRECISION}-bit precision")
    pmf = np.where(np.isfinite(pmf) & (pmf > 0), pmf, 0.0)
    total = pmf.sum()
    pmf = pmf / total if total > 0 else np.full(n, 1.0 / n)
    share = pmf * ((1 << PRECISION) - n)
    freq = np.floor(share).astype(np.int64)
    left = (1 << PRECISION) - n - int(freq.sum())
    freq[np.argsort(freq - share, kind="stable")[:left]] += 1
    return np.concatenate([[0], np.cumsum(freq + 1)]).astype(np.int32)


def encode(symbols: np.ndarray, indexes: np.ndarray, tables: CdfTables) -> bytes:
    """Range-code ``symbols[i]`` with table ``indexes[i]``; returns little-endian 32-bit words."""
    symbols, indexes = _check(symbols, indexes, tables)
    order = _table_order(indexes, tables.count)
    idx = indexes[order]
    values = symbols[order] - tables.offsets[idx]
    escapes = tables.escapes[idx]
    outside = (values < 0) | (values >= escapes)
    overflow = np.where(values < 0, -2 * values - 1, 2 * (values - escapes))[outside]
    values[outside] = escapes[outside]
    encoder = constriction.stream.queue.RangeEncoder()
    for t, lo, hi in _groups(idx, tables.count):
        encoder.encode(values[lo:hi].astype(np.int32), tables.model(t))
    _encode_overflow(encoder, overflow)
    return encoder.get_compressed().astype("<u4").tobytes()


def decode(data: bytes, indexes: np.ndarray, tables: CdfTables) -> np.ndarray:
    """Inverse of :func:`encode` for the same ``indexes`` and ``tables``; returns int64 symbols.

    Damaged data raises ``ValueError`` (or decodes to wrong symbols: the coder has no checksum;
    integrity is the container's job).
    """
    indexes = _check_indexes(indexes, tables)
    if len(data) % 4:
        raise ValueError("entropy-coded data must be a whole number of 32-bit words")
    words = np.frombuffer(data, dtype="<u4").astype(np.uint32)
    try:
        return _decode(constriction.stream.queue.RangeDecoder(words), indexes, tables)
    except (AssertionError, RuntimeError, OverflowError) as exc:   # constriction's complaints
        raise ValueError(f"corrupt entropy-coded data: {exc}") from None


def _decode(decoder, indexes: np.ndarray, tables: CdfTables) -> np.ndarray:
    order = _table_order(indexes, tables.count)
    idx = indexes[order]
    values = np.empty(len(idx), dtype=np.int64)
    for t, lo, hi in _groups(idx, tables.count):
        values[lo:hi] = decoder.decode(tables.model(t), hi - lo)
    escapes = tables.escapes[idx]
    outside = values == escapes
    w = _decode_overflow(decoder, int(outside.sum()))
    values[outside] = np.where(w % 2 == 1, -(w + 1) // 2, escapes[outside] + w // 2)
    symbols = np.empty_like(values)
    symbols[order] = values + tables.offsets[idx]
    return symbols


def _table_order(indexes: np.ndarray, count: int) -> np.ndarray:
    """The stable order that groups symbols by table. A stable sort has one result, so the dtype
    only picks the algorithm: numpy radix-sorts 16-bit keys, ~15 times faster than its int64 timsort."""
    keys = indexes.astype(np.uint16) if count <= 1 << 16 else indexes
    return np.argsort(keys, kind="stable")


def _groups(sorted_indexes: np.ndarray, count: int):
    """(table, start, stop) of each non-empty run of equal indexes in a sorted index array."""
    bounds = np.searchsorted(sorted_indexes, np.arange(count + 1))
    for t in np.flatnonzero(np.diff(bounds)):
        yield int(t), int(bounds[t]), int(bounds[t + 1])


def _encode_overflow(encoder, w: np.ndarray) -> None:
    """Elias-gamma-like bypass code for overflows ``w >= 0``: bit length, then mantissa chunks."""
    nbits = np.frexp(w.astype(np.float64))[1].astype(np.int64)  # exact: w < 2**33
    encoder.encode(nbits.astype(np.int32), constriction.stream.model.Uniform(_LENGTH_CODE))
    mantissa = w - np.where(nbits > 0, np.left_shift(1, np.maximum(nbits - 1, 0)), 0)
    for k, sel, width in _chunks(nbits):
        chunk = (mantissa[sel] >> (k * _CHUNK)) & ((1 << width) - 1)
        encoder.encode(chunk.astype(np.int32), constriction.stream.model.Uniform(), (1 << width).astype(np.int32))


def _decode_overflow(decoder, count: int) -> np.ndarray:
    nbits = decoder.decode(constriction.stream.model.Uniform(_LENGTH_CODE), count).astype(np.int64)
    if np.any(nbits > 34):
        raise ValueError("corrupt escape code in entropy-coded data")
    w = np.where(nbits > 0, np.left_shift(1, np.maximum(nbits - 1, 0)), 0)
    for k, sel, width in _chunks(nbits):
        chunk = decoder.decode(constriction.stream.model.Uniform(), (1 << width).astype(np.int32))
        w[sel] += chunk.astype(np.int64) << (k * _CHUNK)
    return w


def _chunks(nbits: np.ndarray):
    """(chunk number, selection, chunk widths) for the mantissas of ``nbits - 1`` bits."""
    mantissa_bits = np.maximum(nbits - 1, 0)
    for k in range(int(-(-mantissa_bits.max(initial=0) // _CHUNK))):
        sel = mantissa_bits > k * _CHUNK
        yield k, sel, np.minimum(mantissa_bits[sel] - k * _CHUNK, _CHUNK)


def _check(symbols, indexes, tables: CdfTables) -> tuple[np.ndarray, np.ndarray]:
    symbols = np.asarray(symbols)
    if symbols.dtype.kind not in "iu":
        raise TypeError(f"symbols must be integers, not {symbols.dtype}")
    symbols = symbols.reshape(-1).astype(np.int64)
    indexes = _check_indexes(indexes, tables)
    if symbols.shape != indexes.shape:
        raise ValueError(f"{symbols.size} symbols but {indexes.size} indexes")
    if symbols.size and (symbols.min() < -SYMBOL_LIMIT or symbols.max() >= SYMBOL_LIMIT):
        raise ValueError("symbol outside the codable range [-2**31, 2**31)")
    return symbols, indexes


def _check_indexes(indexes, tables: CdfTables) -> np.ndarray:
    indexes = np.asarray(indexes).reshape(-1)
    if indexes.dtype.kind not in "iu":
        raise TypeError(f"indexes must be integers, not {indexes.dtype}")
    indexes = indexes.astype(np.int64)
    if indexes.size and (indexes.min() < 0 or indexes.max() >= tables.count):
        raise ValueError(f"table index outside 0..{tables.count - 1}")
    return indexes
