"""The ``learned`` codec: a shipped model from the zoo behind the codec protocol.

Any size: the image is cut into tiles of at most 512×512 (so memory stays bounded), each tile is
padded to a multiple of 64 by edge replication, coded, decoded and cropped back. Version 1 (the
per-quality models) codes each tile on its own, so tile edges can show. Version 4 (continuous-rate
models) codes the image as one piece cut in tiles: the transforms see across tile edges
(:mod:`.tiling`), and the latents share one hyperprior and context (:mod:`.planar`). Grayscale (L)
is coded as RGB and converted back; RGBA codes the colour with the model and the alpha channel
losslessly with PNG beside it. Body layout (all integers big-endian)::

    version 1: 1 u8 | tiles, row-major: (h u16 | w u16 | count u8 | count × (len u32 | bytes))
               | alpha
    version 4: 4 u8 | weights tag (4 bytes) | strings (planar.string_count): len u32 | bytes
               | alpha
    alpha:     len u32 | PNG bytes (RGBA only)

In version 1, ``h``/``w`` are the deepest latent's size and ``count`` the number of latent strings.
Versions 2 and 3 (continuous-rate models whose tiles each had their own hyperprior) were written
by retired weights only; they fail naming the securecomp that reads them.
"""

from __future__ import annotations

import os
from typing import NoReturn

import numpy as np
from PIL import Image

from .. import _wire
from ..errors import CodecError, FormatError, ParameterError
from .info import ImageInfo
from .registry import get_codec
from .tiling import PAD, TILE, WINDOW, report_progress
from .tiling import tiles as _tiles
from .zoo import DEFAULT_MODEL

VERSION = 1             # tiles coded on their own
SEAMLESS = 2            # retired: tiles whose transforms see their neighbours, each with its own hyperprior
TAGGED = 3              # retired: version 2 after a 4-byte tag of the model's weights (zoo.weights_tag)
PLANAR = 4              # the weights tag, then the whole image's latents in tiles (planar)
EFFORTS = ("default", "max")
WORD = 4                # the range coder writes whole 32-bit words, at least one per string


def _to_tensor(rgb: np.ndarray):
    import torch
    import torch.nn.functional as F

    x = torch.from_numpy(np.array(rgb)).permute(2, 0, 1)[None].float().div_(255.0)
    h, w = x.shape[2:]
    return F.pad(x, (0, -w % PAD, 0, -h % PAD), mode="replicate")


def _pack_tile(result: dict) -> bytes:
    n, h, w = result["shape"]
    parts = [h.to_bytes(2, "big"), w.to_bytes(2, "big"), bytes([len(result["strings"])])]
    for string in result["strings"]:
        parts += [_wire.u32(len(string)), string]
    return b"".join(parts)


def _latent_size_of(model, tile_h: int, tile_w: int) -> tuple[int, int]:
    """The deepest latent's size for a tile (the tile padded to a multiple of PAD)."""
    factor = model.downsampling
    return (-(-tile_h // PAD) * PAD // factor, -(-tile_w // PAD) * PAD // factor)


def _read_tile(r: _wire.Reader, expected: tuple[int, int], count: int) -> tuple[list[bytes], tuple[int, int, int]]:
    """A tile's latent strings; the header must match the image size and the model's string count
    exactly, and each string be what the range coder writes (whole words, at least one)."""
    h, w = int.from_bytes(r.take(2), "big"), int.from_bytes(r.take(2), "big")
    if (h, w) != expected:
        raise FormatError("learned body: tile header does not match the image size")
    if r.u8() != count:
        raise FormatError(f"learned body: a tile of this model has {count} latent strings")
    strings = [r.take(r.u32()) for _ in range(count)]
    if any(len(s) < WORD or len(s) % WORD for s in strings):
        raise FormatError("learned body: a latent string is empty or not whole 32-bit words")
    return strings, (1, h, w)


class LearnedCodec:
    """A zoo model as a codec (``id`` "learned" for the default model)."""

    lossless = False
    modes = frozenset({"L", "RGB", "RGBA"})
    efforts = EFFORTS

    def __init__(self, model_id: str = DEFAULT_MODEL, codec_id: str = "learned") -> None:
        self.id, self.model = codec_id, model_id

    def shipped_qualities(self) -> list[int]:
        from . import zoo

        return zoo.qualities(self.model)


    def compress(self, image: Image.Image, quality: int, effort: str = "default") -> bytes:
        """``effort="max"`` refines each tile's latents for its own rate–distortion loss before
        coding (:mod:`.refine`, continuous-rate models): fewer bits, the same decoder, ~1 min per
        megapixel."""
        with _inference():
            return self._compress(image, quality, effort)

    def decompress(self, body: bytes, info: ImageInfo) -> Image.Image:
        with _inference():
            return self._decompress(body, info)

    def _compress(self, image: Image.Image, quality: float, effort: str) -> bytes:
        from . import zoo

        if not zoo.is_continuous(self.model) and quality != int(quality):
            raise ParameterError(f"model {self.model} has integer qualities only, not {quality}",
                                 hint="use a whole number from 1 to 8, or the continuous-rate model")
        model, device = _loaded(self.model, quality)
        seamless = getattr(model, "continuous", False)
        if effort not in EFFORTS or (effort == "max" and not seamless):
            raise ParameterError(f"effort {effort!r} is not available for model {self.model}",
                                 hint="effort is 'default', or 'max' with a continuous-rate model")
        rgb = np.asarray(image if image.mode == "RGB" else image.convert("RGB"))    # no third copy of a large image
        if seamless:
            strings = _code_planar(model, rgb, quality, effort, device)
            parts = [bytes([PLANAR]), zoo.weights_tag(self.model), *(_wire.u32(len(s)) + s for s in strings)]
        else:
            parts = [bytes([VERSION])]
            tiles = _tiles(image.width, image.height)
            for done, (top, left, h, w) in enumerate(tiles, 1):
                x = _to_tensor(rgb[top : top + h, left : left + w]).to(device)
                parts.append(_pack_tile(model.compress(x)))
                report_progress(done, len(tiles))
        if image.mode == "RGBA":
            alpha = get_codec("png").compress(image.getchannel("A"), 1)
            parts += [_wire.u32(len(alpha)), alpha]
        return b"".join(parts)

    def _decompress(self, body: bytes, info: ImageInfo) -> Image.Image:
        model, _ = _loaded(self.model, info.quality)
        r = _wire.Reader(body, "learned body")
        version = _read_version(r, model, self.model)
        if version == PLANAR:
            rgb = _decode_planar(model, r, info)
        else:
            rgb = np.empty((info.height, info.width, 3), np.uint8)
            total = len(_tiles(info.width, info.height))
            for done, ((top, left, h, w), strings, shape) in enumerate(_coded_tiles(r, model, info), 1):
                rgb[top : top + h, left : left + w] = self._decode_tile(model, strings, shape, h, w)
                report_progress(done, total)
        image = Image.fromarray(rgb, "RGB")
        if info.mode == "RGBA":
            image.putalpha(self._alpha(r, info))
        elif info.mode == "L":
            image = image.convert("L")
        if r.rest().nbytes:
            raise FormatError("learned body has trailing bytes")
        return image

    @staticmethod
    def _decode_tile(model, strings, shape, h: int, w: int) -> np.ndarray:
        with _corrupt_stream():
            x_hat = model.decompress(strings, shape)
        return _pixels(x_hat[0, :, :h, :w])

    @staticmethod
    def _alpha(r: _wire.Reader, info: ImageInfo) -> Image.Image:
        alpha_info = ImageInfo("png", "L", info.width, info.height)
        return get_codec("png").decompress(r.take(r.u32()), alpha_info)


def decoder_latents(bitstream: bytes) -> bytes:
    """The decoder's quantized latents (y_hat, float32, tile by tile) of a ``compress()`` bitstream.

    Entropy decoding and dequantization are exact, so these bytes are the same on every machine:
    golden tests pin them (the pixels pass through float convolutions and may differ in rounding).
    """
    from . import zoo
    from .framing import MAGIC
    from .framing import strip_checksum as _checked

    r = _wire.Reader(_checked(bitstream), "bitstream")
    r.take(len(MAGIC))
    info = ImageInfo.read(r, r.u8())
    model = zoo.load(info.model, info.quality)
    with _inference():
        if _read_version(r, model, info.model) == PLANAR:
            return _planar_latents(model, r, info).numpy().astype("<f4").tobytes()
        return b"".join(model.decompress_latents(strings, shape).numpy().astype("<f4").tobytes()
                        for _, strings, shape in _coded_tiles(r, model, info))


def _read_version(r: _wire.Reader, model, model_id: str) -> int:
    """The body's version, which must be the model's; a continuous model's body must carry the tag
    of the weights this installation ships (bodies of retired weights name who reads them)."""
    from .zoo import weights_tag

    version = r.u8()
    continuous = getattr(model, "continuous", False)
    if continuous and version == SEAMLESS:
        _retired(model_id, None)
    if continuous and version == TAGGED:         # only retired weights wrote these
        _retired(model_id, bytes(r.take(4)).hex())
    if version != (PLANAR if continuous else VERSION):
        raise FormatError(f"learned body: version {version} is not the version of model {model_id}")
    if continuous and (tag := bytes(r.take(4))) != weights_tag(model_id):
        _retired(model_id, tag.hex())
    return version


def _retired(model_id: str, tag: str | None) -> NoReturn:
    """Bodies of weights this installation does not ship fail, naming the securecomp that reads them
    (``tag`` None: an untagged version-2 body)."""
    from .zoo import reader_of, weights_tag

    unknown = f"the securecomp whose {model_id} weights file has a SHA-256 starting {tag}" if tag else None
    reader = reader_of(model_id, tag or "body-2") or unknown or "an earlier securecomp"
    raise CodecError(f"this image was coded with weights of {model_id} that this securecomp does not ship "
                     f"(it ships {weights_tag(model_id).hex()})", hint=f"decode it with {reader}")


def _coded_tiles(r: _wire.Reader, model, info: ImageInfo):
    """Walk a learned body after its version byte: (tile, latent strings, latent shape) per tile."""
    for tile in _tiles(info.width, info.height):
        yield (tile, *_read_tile(r, _latent_size_of(model, tile[2], tile[3]), model.latent_strings))


def _loaded(model_id: str, quality: int):
    """The shipped model on the device SECURECOMP_DEVICE names (cpu, cuda or auto; default cpu),
    and that device. The bitstream does not depend on it: the decoder derives its tables from
    integers only, so a GPU-encoded image decodes on a CPU and the other way round."""
    from . import zoo

    device = zoo.pick_device(os.environ.get("SECURECOMP_DEVICE", "cpu"))
    return zoo.load(model_id, quality, str(device)), device


def _code_planar(model, rgb: np.ndarray, quality: float, effort: str, device) -> list[bytes]:
    """The strings of a version-4 body: y of every tile from g_a over the tile and its
    neighbourhood (refined per tile at effort "max"), then the whole plane coded (planar)."""
    import torch

    from . import planar
    from .tiling import LATENT, analysis_window, own_latents, padded

    height, width = rgb.shape[:2]
    q = _quality(quality, device)
    y = torch.empty(1, model.M, padded(height) // LATENT, padded(width) // LATENT, device=device)
    z_size = (y.shape[2] // planar.Z_STRIDE, y.shape[3] // planar.Z_STRIDE)
    z = torch.empty(1, model.N, *z_size, device=device) if effort == "max" else None
    tiles = _tiles(width, height, TILE if z is not None else WINDOW)    # refinement's memory grows with its tile
    total = len(tiles) + _passes(model, y.shape[2], y.shape[3])         # analysis, then the coding passes
    for done, tile in enumerate(tiles, 1):
        x, own = analysis_window(rgb, tile)
        x, at = x.to(device), own_latents(tile)
        y[(..., *at)] = model.analyse_y(x, q, own)
        if z is not None:
            _refine_tile(model, x, own, q, y, z, at)
        report_progress(done, total)
    return planar.encode(model, y, planar.analysis_z(model, y) if z is None else z, _counter(len(tiles), total))


def _refine_tile(model, x, own: tuple[slice, slice], q, y, z, at: tuple[slice, slice]) -> None:
    """effort "max": refine a tile's latents (``at`` in ``y``) and its hyper-latents (into ``z``)
    for the model's own rate–distortion loss on the tile's pixels (``own`` in the window ``x``)."""
    from .planar import Z_STRIDE
    from .refine import refine
    from .tiling import LATENT

    pixels = tuple(slice(s.start * LATENT, s.stop * LATENT) for s in own)
    start = y[(..., *at)]
    refined_y, refined_z = refine(model, x[(..., *pixels)], q, start=(start, model.h_a(model._hyper_input(start))))
    y[(..., *at)] = refined_y
    z[(..., *(slice(s.start // Z_STRIDE, s.stop // Z_STRIDE) for s in at))] = refined_z


def _passes(model, height: int, width: int) -> int:
    """How many coding passes (progress steps) planar makes over a latent plane of height × width."""
    from . import planar

    return planar.string_count(model, height, width) - 1


def _counter(done: int, total: int):
    """A progress() for planar that goes on from ``done`` of ``total`` steps."""
    steps = iter(range(done + 1, total + 1))
    return lambda: report_progress(next(steps, total), total)


def _planar_latents(model, r: _wire.Reader, info: ImageInfo, total: int = 0):
    """The decoded latent plane of a version-4 body (exact); progress as the first steps of ``total``."""
    from . import planar
    from .tiling import LATENT, padded

    h, w = padded(info.height) // LATENT, padded(info.width) // LATENT
    strings = [r.take(r.u32()) for _ in range(planar.string_count(model, h, w))]
    if any(len(s) < WORD or len(s) % WORD for s in strings):
        raise FormatError("learned body: a latent string is empty or not whole 32-bit words")
    with _corrupt_stream():
        return planar.decode(model, strings, (1, h // 4, w // 4), _counter(0, total) if total else None)


def _decode_planar(model, r: _wire.Reader, info: ImageInfo) -> np.ndarray:
    """Pixels of a version-4 body: the whole latent plane, then g_s per window (WINDOW) with the
    neighbouring latents as context."""
    from .tiling import LATENT, padded, synthesis_window

    tiles = _tiles(info.width, info.height, WINDOW)
    passes = _passes(model, padded(info.height) // LATENT, padded(info.width) // LATENT)
    total = passes + len(tiles)     # the coding passes, then the synthesis of each window
    plane = _planar_latents(model, r, info, total)
    rgb = np.empty((info.height, info.width, 3), np.uint8)
    q = _quality(info.quality, model._device)
    for done, (top, left, h, w) in enumerate(tiles, passes + 1):
        window, own = synthesis_window(plane, (top, left, h, w), model.synthesis_halo)
        rgb[top : top + h, left : left + w] = _pixels(model.synthesise(window, q)[0, :, own[0], own[1]])
        report_progress(done, total)
    return rgb


def _quality(quality: float, device):
    import torch

    return torch.tensor([float(quality)], device=device)


def _pixels(x_hat) -> np.ndarray:
    """(3, h, w) floats in [0, 1] -> (h, w, 3) uint8; a non-finite value (from hostile escape
    symbols) is an error, never a silently cast pixel."""
    import torch

    if not bool(torch.isfinite(x_hat).all()):
        raise FormatError("learned body: the latents decode to non-finite pixels")
    return x_hat.mul(255.0).round_().clamp_(0, 255).permute(1, 2, 0).cpu().numpy().astype(np.uint8)


class _corrupt_stream:
    """Turns the entropy decoder's ValueError into a FormatError."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        if kind is not None and issubclass(kind, ValueError):
            raise FormatError(f"learned body: corrupt latent stream ({exc})") from None
        return False


def _inference():
    import torch

    return torch.no_grad()


__all__ = ["LearnedCodec", "DEFAULT_MODEL", "TILE"]
