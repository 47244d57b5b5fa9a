"""The self-describing bytes of the public :func:`compress` / :func:`decompress`.

Layout (docs/format.md, "Bitstream")::

    "SCIMG" (5 bytes) | version (2; 1 is read) | ImageInfo descriptor | codec body | CRC-32

The descriptor (:class:`~securecomp.codec.info.ImageInfo`) names the codec, model, quality, mode
and size; the body is what the codec wrote. The container reuses :func:`encode_image` and
:func:`decode_image` and carries the descriptor in its authenticated header instead.
"""

from __future__ import annotations

from numbers import Real
from typing import Any, cast

from PIL import Image

from .. import _wire
from ..errors import FormatError, ParameterError, SecurecompError, UnsupportedImageError
from ..images import to_image
from .base import Codec
from .framing import MAGIC, VERSION, VERSIONS, add_checksum, strip_checksum
from .info import DEFAULT_MAX_PIXELS, MAX_QUALITY, ImageInfo, check_pixels, round_quality
from .registry import check_codec_choice, codecs_for_mode, get_codec
from .zoo import refuse_retired

__all__ = ["MAGIC", "VERSION", "DEFAULT_CODEC", "DEFAULT_QUALITY", "compress", "decompress",
           "resolve_codec", "encode_image", "decode_image", "check_quality"]

DEFAULT_CODEC = "learned"
DEFAULT_QUALITY = 6
SIXTEEN_BIT_CODEC = "png"  # the default for "I;16" images, which no lossy codec carries


def compress(image: Any, *, quality: float | None = None, codec: str | None = None, effort: str = "default",
             max_bytes: int | None = None) -> bytes:
    """Compress an image (PIL image, numpy array or path) into self-describing bytes.

    ``quality`` is a real number in [1, 8] (hundredths are kept; default 6; ignored by lossless
    codecs). ``codec`` defaults to "learned", or "png" for 16-bit images. ``effort="max"``
    optimises the learned codec's latents for this image (slower; the same decoder).
    ``max_bytes``: the highest quality whose whole output fits in that many bytes (instead of
    ``quality``).
    """
    picture = to_image(image)
    codec_id, level = resolve_codec(picture, codec, quality)
    if max_bytes is None:
        return _framed(*encode_image(picture, codec_id, level, effort))
    from .budget import fit

    return fit(lambda q: _framed(*encode_image(picture, codec_id, q, effort)), len, max_bytes,
               lossless=get_codec(codec_id).lossless)[1]


def _framed(info: ImageInfo, body: bytes) -> bytes:
    return add_checksum(MAGIC + _wire.u8(VERSION) + info.pack(VERSION) + body)


def decompress(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """The image in bytes made by :func:`compress`; malformed bytes raise :class:`FormatError`.

    An image that declares more than ``max_pixels`` pixels (default 89,478,485, Pillow's
    ``MAX_IMAGE_PIXELS``; at most 2**28) raises DecodeLimitError before its body is decoded.
    """
    data = strip_checksum(data)
    reader = _wire.Reader(data, "bitstream")
    if reader.take(len(MAGIC)) != MAGIC:
        raise FormatError("not a securecomp bitstream (bad magic)")
    version = reader.u8()
    if version not in VERSIONS:
        raise FormatError(f"bitstream version {version} is not supported (this version reads {VERSIONS})",
                          hint="upgrade securecomp to read bitstreams made by a newer version")
    info = ImageInfo.read(reader, version)
    return decode_image(info, bytes(reader.rest()), max_pixels=max_pixels)


def resolve_codec(image: Image.Image, codec: str | None, quality: float | None) -> tuple[str, float]:
    """Fill in the defaults: codec "learned" ("png" for "I;16" images), quality 6. A codec the caller
    names that does not exist is a bad value (ParameterError), not a missing codec."""
    check_codec_choice(codec)
    if codec is None:
        codec = SIXTEEN_BIT_CODEC if image.mode == "I;16" else DEFAULT_CODEC
    return codec, DEFAULT_QUALITY if quality is None else quality


def encode_image(image: Image.Image, codec_id: str, quality: float,
                 effort: str = "default") -> tuple[ImageInfo, bytes]:
    """Encode a PIL image in a carried mode; return its descriptor and the codec body."""
    level = check_quality(quality)
    codec = get_codec(codec_id)
    if effort != "default" and not hasattr(codec, "efforts"):
        raise ParameterError(f"effort {effort!r} is not available with codec {codec.id}",
                             hint="effort='max' works with the learned codec; other codecs take the default")
    if image.mode not in codec.modes:
        raise UnsupportedImageError(
            f"codec {codec.id} cannot carry {image.mode} images",
            hint=f"use {' or '.join(codecs_for_mode(image.mode))} for {image.mode} images",
        )
    # a codec with ``efforts`` also takes compress(image, quality, effort)
    body = cast(Any, codec).compress(image, level, effort) if effort != "default" else codec.compress(image, level)
    stored_quality = 0 if codec.lossless else level
    info = ImageInfo(codec.id, image.mode, image.width, image.height, stored_quality, codec.model)
    return info, body


def decode_image(info: ImageInfo, body: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Decode a codec body described by ``info``; the result has ``info.mode`` and ``info.size``.

    Only SecurecompErrors come out for bad bodies: anything else a codec raises becomes FormatError.
    """
    refuse_retired(info.model)
    codec = get_codec(info.codec)
    _check_descriptor(codec, info)
    check_pixels(info, max_pixels)
    try:
        image = codec.decompress(body, info)
    except SecurecompError:
        raise
    except Exception as exc:    # the last resort: a codec's bug on hostile bytes is still a bad body
        raise FormatError(f"codec {info.codec} could not decode the body ({type(exc).__name__}: {exc})") from exc
    if image.mode != info.mode or image.size != info.size:
        actual, stored = f"{image.mode} {image.size}", f"{info.mode} {info.size}"
        raise FormatError(f"{info.codec} body decodes to {actual}, not {stored}")
    return image


def check_quality(quality: Any) -> float:
    """``quality`` on the hundredths grid (an int where integral) if it is a real number in
    [1, 8], else raise ParameterError."""
    if isinstance(quality, bool) or not isinstance(quality, Real) or not 1 <= float(quality) <= MAX_QUALITY:
        raise ParameterError(f"quality must be a number from 1 to {MAX_QUALITY}, got {quality!r}")
    return round_quality(float(quality))


def _check_descriptor(codec: Codec, info: ImageInfo) -> None:
    if info.mode not in codec.modes:
        raise FormatError(f"codec {codec.id} cannot carry {info.mode} images")
    if (info.quality == 0) != codec.lossless:
        raise FormatError(f"quality {info.quality} is not valid for codec {codec.id}")
    if info.model != codec.model:
        raise FormatError(f"model {info.model!r} is not the model of codec {codec.id}")
