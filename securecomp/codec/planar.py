"""Whole-image latent coding in tiles: the entropy coding of the continuous-rate models.

The latents of the whole image are coded as if the image were one piece: one hyperprior (z) for
the whole latent plane, h_s over the whole of it, and a context that sees across tile edges. Only
the bitstream is cut in tiles (``TILE_LATENTS`` latent positions a side: 512 pixels), so that the
coder's memory stays bounded. Before this (body version 3) every tile had its own hyperprior,
whose edges cost 2-4.5 % of the rate (scripts in ``benchmarks/``; measured in session 11).

- z is one string for the whole plane; its prior is factorized, so nothing is lost by that.
- h_s runs on bands of whole tile rows of z, and within a band on chunks of columns, each with
  ``HYPER_HALO`` rows and columns of its neighbours: it is an :class:`IntegerNetwork`, exact, so
  a chunk gives the values the whole plane would. A band holds as many tile rows as
  ``BAND_BYTES`` of h_s's output allow, a chunk gives at most ``CHUNK_BYTES`` (its working
  memory is several times that): an image of up to about 1.7 MP is one chunk, with no halo to
  compute twice.
- Each tile is coded in the model's passes (``model.coding_passes``: 1 for the mean-scale model;
  2 for the checkerboard, anchors then the rest). A pass takes its tables from the model
  (``model.tile_pass``), given h_s's output over the tile and the decoded latents around it
  (``CONTEXT_HALO`` positions). The first pass of a band runs before the second pass of the band
  above it, so a tile's context sees its neighbours' anchors on every side.
- Strings: z, then the first pass of every tile (row-major), then the second pass of every tile.

Both coder sides keep the latent plane in float32 (``y_hat = (symbol·2^10 + mean) · 2^-10``),
and the context reads its anchors back from it, so they derive the same tables on every machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
from torch import Tensor

from .layers import FRAC_BITS

__all__ = ["TILE_LATENTS", "encode", "decode", "analysis_z"]

TILE_LATENTS = 32       # latent positions per tile side (512 pixels)
HYPER_HALO = 2          # rows of z around a band for h_s (its receptive field reaches 1.5)
ANALYSIS_HALO = 8       # rows of y around a band for h_a (its receptive field reaches 7)
CONTEXT_HALO = 2        # latent positions around a tile for the 5×5 context
BAND_BYTES = 64 << 20   # h_s output (float64) held per band (at least one tile row)
CHUNK_BYTES = 32 << 20  # h_s output computed at once (its working memory is several times that)
Z_STRIDE = 4            # latent positions per z position

Tile = tuple[int, slice, slice]                                    # (index, rows, columns) in the latent plane
Progress = Callable[[], None]
SymbolsOf = Callable[[int, int, Tensor, Tensor, Tensor], Tensor]   # (pass, tile, values, indexes, means) -> symbols


def _grid(height: int, width: int) -> list[list[Tile]]:
    """Tiles of the latent plane, by tile row."""
    rows = [slice(top, min(top + TILE_LATENTS, height)) for top in range(0, height, TILE_LATENTS)]
    cols = [slice(left, min(left + TILE_LATENTS, width)) for left in range(0, width, TILE_LATENTS)]
    return [[(i * len(cols) + j, r, c) for j, c in enumerate(cols)] for i, r in enumerate(rows)]


def _bands(model, plane: Tensor) -> Iterator[list[list[Tile]]]:
    """Groups of whole tile rows whose h_s output fits BAND_BYTES (at least one row each)."""
    n, _, height, width = plane.shape
    grid = _grid(height, width)
    per_row = n * 2 * model.M * TILE_LATENTS * width * 8
    step = max(1, BAND_BYTES // per_row)
    for start in range(0, len(grid), step):
        yield grid[start : start + step]


def _rows_of(band: list[list[Tile]]) -> tuple[int, int]:
    return band[0][0][1].start, band[-1][0][1].stop


def _window(plane: Tensor, rows: slice, cols: slice, halo: int) -> tuple[Tensor, tuple[slice, slice]]:
    """``plane``'s rows and columns with ``halo`` around them (within the plane), and where the
    asked part sits in that window."""
    r0, c0 = max(rows.start - halo, 0), max(cols.start - halo, 0)
    r1, c1 = min(rows.stop + halo, plane.shape[-2]), min(cols.stop + halo, plane.shape[-1])
    own = slice(rows.start - r0, rows.stop - r0), slice(cols.start - c0, cols.stop - c0)
    return plane[:, :, r0:r1, c0:c1], own


def _chunks(width: int, column_bytes: int, unit: int) -> Iterator[slice]:
    """Columns 0..width in chunks of whole ``unit``s whose columns take at most CHUNK_BYTES."""
    step = max(unit, CHUNK_BYTES // column_bytes // unit * unit)
    for left in range(0, width, step):
        yield slice(left, min(left + step, width))


def analysis_z(model, y: Tensor) -> Tensor:
    """z of the whole latent plane ``y`` (before quantization): h_a run on chunks of each band,
    with ANALYSIS_HALO rows and columns around them (float: z need only be close to the
    whole-plane one, the decoder gets its symbols)."""
    n, _, height, width = y.shape
    z = y.new_empty(n, model.N, height // Z_STRIDE, width // Z_STRIDE)
    for band in _bands(model, y):
        top, bottom = _rows_of(band)
        rows = slice(top, bottom)
        for cols in _chunks(width, n * 2 * model.M * (bottom - top + 2 * ANALYSIS_HALO) * 4, TILE_LATENTS):
            window, own = _window(y, rows, cols, ANALYSIS_HALO)
            own_z = tuple(slice(s.start // Z_STRIDE, s.stop // Z_STRIDE) for s in own)
            z[:, :, top // Z_STRIDE : bottom // Z_STRIDE, cols.start // Z_STRIDE : cols.stop // Z_STRIDE] = \
                model.h_a(model._hyper_input(window))[(..., *own_z)]
    return z


def _hyper(model, z_symbols: Tensor, top: int, bottom: int) -> Tensor:
    """h_s's fixed-point output (scales, means stacked) for latent rows top..bottom: exact. It
    runs on chunks of columns (with HYPER_HALO around them) that each give at most CHUNK_BYTES."""
    n, _, _, width = z_symbols.shape
    rows = slice(top // Z_STRIDE, bottom // Z_STRIDE)
    parts = []
    for cols in _chunks(width, n * 2 * model.M * (bottom - top) * Z_STRIDE * 8, TILE_LATENTS // Z_STRIDE):
        window, own = _window(z_symbols, rows, cols, HYPER_HALO)
        parts.append(model._hyper_fixed(window)[(..., *(slice(s.start * Z_STRIDE, s.stop * Z_STRIDE) for s in own))])
    return torch.cat(parts, dim=3) if len(parts) > 1 else parts[0]


def _y_hat(symbols: Tensor, means: Tensor) -> Tensor:
    """y_hat (float32) from symbols and fixed-point means."""
    return ((symbols * 2**FRAC_BITS + means) * 2.0**-FRAC_BITS).float()


def _code(model, step: int, tile: Tile, hyper: Tensor, plane: Tensor, symbols_of: SymbolsOf) -> None:
    """One pass over one tile: its tables, its symbols (``symbols_of``), its y_hat into ``plane``."""
    index, rows, cols = tile
    window, own = _window(plane, rows, cols, CONTEXT_HALO)
    positions, indexes, means = model.tile_pass(step, hyper, window, own)
    region = plane[:, :, rows, cols]
    values = region.flatten(2).clone()
    symbols = symbols_of(step, index, values[:, :, positions], indexes, means)
    values[:, :, positions] = _y_hat(symbols.to(means.device), means).to(plane.dtype)
    region.copy_(values.view_as(region))


def _run(model, plane: Tensor, z_symbols: Tensor, symbols_of: SymbolsOf, progress: Progress | None) -> None:
    """Every pass of every tile, in an order where each context is complete (module docstring);
    ``progress()`` after each."""
    done = progress or (lambda: None)
    waiting: list[tuple[Tile, Tensor]] = []      # tiles of the band above, before their later passes
    for band in [*_bands(model, plane), []]:     # the empty band last: the last band's later passes
        current = []
        if band:
            top, bottom = _rows_of(band)
            hyper = _hyper(model, z_symbols, top, bottom)
            current = [(tile, hyper[:, :, tile[1].start - top : tile[1].stop - top, tile[2]])
                       for row in band for tile in row]
        for step, tiles in [(0, current), *((later, waiting) for later in range(1, model.coding_passes))]:
            for tile, tile_hyper in tiles:
                _code(model, step, tile, tile_hyper, plane, symbols_of)
                done()
        waiting = current


def string_count(model, height: int, width: int) -> int:
    """How many strings :func:`encode` writes for a latent plane of height × width."""
    return 1 + model.coding_passes * sum(map(len, _grid(height, width)))


def encode(model, y: Tensor, z: Tensor, progress: Progress | None = None) -> list[bytes]:
    """The strings of latent plane ``y`` (n, M, h, w) with hyper-latent ``z``; ``y`` is left
    holding y_hat, what the decoder will reconstruct. ``progress()`` after each tile's pass."""
    gc, eb = model.gaussian_conditional, model.entropy_bottleneck
    z_symbols = eb.quantize(z)
    tiles = sum(map(len, _grid(*y.shape[-2:])))
    strings: list[bytes] = [b""] * (model.coding_passes * tiles)

    def quantized(step: int, index: int, values: Tensor, indexes: Tensor, means: Tensor) -> Tensor:
        symbols = gc.quantize(values.double(), means * 2.0**-FRAC_BITS)
        strings[step * tiles + index] = gc.encode_symbols(symbols, indexes)
        return symbols

    _run(model, y, z_symbols, quantized, progress)
    return [eb.encode_symbols(z_symbols), *strings]


def decode(model, strings: list[bytes], shape: tuple[int, int, int], progress: Progress | None = None) -> Tensor:
    """y_hat (n, M, 4h, 4w) from :func:`encode`'s strings; ``shape`` is z's (n, h, w)."""
    n, h, w = shape
    device = model._device
    z_symbols = model.entropy_bottleneck.decode_symbols(strings[0], (n, model.N, h, w)).to(device)
    plane = torch.zeros(n, model.M, h * Z_STRIDE, w * Z_STRIDE, device=device)
    tiles = (len(strings) - 1) // model.coding_passes

    def decoded(step: int, index: int, values: Tensor, indexes: Tensor, means: Tensor) -> Tensor:
        return model.gaussian_conditional.decode_symbols(strings[1 + step * tiles + index], indexes)

    _run(model, plane, z_symbols, decoded, progress)
    return plane
