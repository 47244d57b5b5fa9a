"""Classical codecs through Pillow: ``png`` and ``webp-lossless`` (lossless), ``jpeg``, ``webp``,
``jpeg2000`` and ``avif`` (lossy), at the fair settings of the design guide (section 5).

Quality levels. Level q in 1..8 means about the same fidelity whichever lossy codec runs it: the
JPEG 2000 ladder is geometric in rate, 0.1 to 2.5 bits per pixel on a 24-bit image, and each other
codec's setting is the one whose PSNR, averaged over the 24 Kodak images (RGB, 8-bit), comes
closest to what JPEG 2000 gives at that level. The codecs then differ in the bytes they spend:

    level                       1      2      3      4      5      6      7      8
    Kodak PSNR target (dB)   26.4   27.8   29.3   31.2   33.4   36.0   39.1   42.6
    jpeg2000 rate ratio       240    150     96     60     38     24     15    9.6
    jpeg quality                9     13     21     36     65     83     93     97
    webp quality                1      3     12     29     55     79     89     98
    avif quality                7     17     27     39     50     62     79     95

    Kodak bpp (Pillow 13)       1      2      3      4      5      6      7      8
    jpeg2000                 0.10   0.16   0.25   0.40   0.63   1.00   1.60   2.50
    jpeg                     0.23   0.32   0.47   0.70   1.10   1.72   2.77   4.14
    webp                     0.16   0.19   0.30   0.47   0.72   1.11   1.80   3.46
    avif                     0.08   0.13   0.20   0.35   0.60   0.93   1.61   3.43

The JPEG 2000 ratio is raw sample bits over coded bits (``quality_mode="rates"``), so bpp = 24 /
ratio on RGB, 8 / ratio on L and 32 / ratio on RGBA. WebP cannot go below about 27 dB on Kodak, so
its level 1 is its lowest setting. A real level between two integers takes the setting between
theirs (linearly; geometrically for the JPEG 2000 ratio). Lossless codecs ignore the level; the
bitstream stores 0.

Settings. jpeg: ``optimize=True``, libjpeg's default 4:2:0 subsampling. jpeg2000: raw codestream
(no JP2 boxes), ``irreversible=True``, ``mct=1`` for RGB (OpenJPEG applies the colour transform to
exactly three components only). webp: ``method=6``, lossless alpha. webp-lossless: ``lossless=True,
exact=True`` (keeps the colour under transparent pixels), ``method=6``. avif: ``speed=4``,
4:2:0 (4:0:0 for L). png: ``compress_level=9``.

Modes. png carries L, RGB, RGBA and I;16; webp-lossless, webp, jpeg2000 and avif carry L, RGB and
RGBA; jpeg carries L and RGB (JPEG has no alpha channel). WebP has no grayscale: L is stored as RGB
and converted back on decoding. WebP and AVIF drop an alpha channel that is fully opaque, so an
RGBA image may decode as RGB and gets its opaque alpha back. Lossy webp keeps alpha exact; avif and
jpeg2000 code it lossily like the colour channels (an opaque jpeg2000 alpha may come back as 254).
Bodies carry pixels only: ICC profiles, EXIF, comments and PNG transparency keys are not written.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from PIL import (
    AvifImagePlugin,
    Image,
    ImageFile,
    Jpeg2KImagePlugin,
    JpegImagePlugin,
    PngImagePlugin,
    WebPImagePlugin,
)

from ..errors import CodecError, DecodeLimitError, FormatError, UnsupportedImageError
from ..images import pillow_errors, to_sixteen_bit
from .info import ImageInfo

__all__ = ["PillowCodec", "CODECS"]

JPEG2000_RATIO = (240, 150, 96, 60, 38, 24, 15, 9.6)
JPEG_QUALITY = (9, 13, 21, 36, 65, 83, 93, 97)
WEBP_QUALITY = (1, 3, 12, 29, 55, 79, 89, 98)
AVIF_QUALITY = (7, 17, 27, 39, 50, 62, 79, 95)

EIGHT_BIT = frozenset({"L", "RGB", "RGBA"})
# Decoded modes accepted for each carried mode (anything else is a damaged or hostile body).
_DECODED_MODES = {"L": ("L", "RGB"), "RGB": ("RGB",), "RGBA": ("RGBA", "RGB"), "I;16": ("I;16", "I")}

Options = Callable[[str, float], dict[str, Any]]


@dataclass(frozen=True)
class PillowCodec:
    """A codec that stores an image in one Pillow format, with per-level save options.

    Bodies are opened with the format's plugin class rather than ``Image.open``: no other format
    is tried. Before a body is decoded, the size its own headers declare (PNG IHDR, JPEG SOF,
    JPEG 2000 SIZ, WebP VP8/VP8L/VP8X, AVIF ispe) must equal the descriptor's, and Pillow's
    decompression-bomb limit (2 * ``Image.MAX_IMAGE_PIXELS``, about 179 million pixels) applies as
    in ``Image.open``; the descriptor itself was held to the reader's ``max_pixels``
    (:func:`~securecomp.codec.bitstream.decode_image`). A body holds one frame, as written: no
    animation, no progressive JPEG, no JP2 boxes around a JPEG 2000 codestream. The WebP plugin
    applies the bomb limit when it writes too, so the webp codecs refuse to write larger images.
    """

    id: str
    plugin: type[ImageFile.ImageFile]
    lossless: bool
    modes: frozenset[str]
    options: Options
    carriers: Mapping[str, str] = field(default_factory=dict)  # carried mode -> mode the format stores
    bomb_checked: bool = False  # the plugin applies Pillow's decompression-bomb limit itself
    model: str = ""
    check_header: Callable[[bytes, ImageInfo], None] | None = None  # runs before the plugin parses the body

    def compress(self, image: Image.Image, quality: float) -> bytes:
        if image.mode not in self.modes:
            raise CodecError(f"codec {self.id} cannot carry {image.mode} images")
        if self.bomb_checked:
            _check_decodable(self.id, image)
        stored = image.convert(self.carriers[image.mode]) if image.mode in self.carriers else image
        buffer = io.BytesIO()
        with pillow_errors(CodecError, f"codec {self.id} could not encode the image"):
            stored.save(buffer, self.plugin.format, **self.options(image.mode, quality))
        return buffer.getvalue()

    def decompress(self, body: bytes, info: ImageInfo) -> Image.Image:
        if info.mode not in self.modes:
            raise FormatError(f"codec {self.id} cannot carry {info.mode} images")
        if self.check_header is not None:
            self.check_header(body, info)
        _check_pillow_limit(info)   # the WebP plugin allocates its canvas as it opens the body
        with pillow_errors(FormatError, f"{self.id} body is damaged"):
            image = self.plugin(io.BytesIO(body))   # reads the headers only
            _check_size(image, info)  # before decoding: a hostile body cannot allocate more
            _check_one_frame(image, info)
            image.load()
            return _restore_mode(image, info.mode)


def _check_decodable(codec_id: str, image: Image.Image) -> None:
    """Refuse to write a body that Pillow's decompression-bomb limit would refuse to read back."""
    if Image.MAX_IMAGE_PIXELS is not None and image.width * image.height > 2 * Image.MAX_IMAGE_PIXELS:
        raise UnsupportedImageError(
            f"Pillow refuses to decode {codec_id} images of more than {2 * Image.MAX_IMAGE_PIXELS} pixels",
            hint="use png, jpeg2000 or avif for an image this large",
        )


def _check_size(image: Image.Image, info: ImageInfo) -> None:
    if image.size != info.size:
        width, height = image.size
        says = f"{info.width}x{info.height}"
        raise FormatError(f"{info.codec} body holds a {width}x{height} image, the descriptor says {says}")


def _check_pillow_limit(info: ImageInfo) -> None:
    """Pillow's decompression-bomb limit, as ``Image.open`` applies it, to the size the body must
    declare (read at call time: a caller who raised or cleared ``Image.MAX_IMAGE_PIXELS`` gets what
    Pillow would give)."""
    limit = Image.MAX_IMAGE_PIXELS
    pixels = info.width * info.height
    if limit is not None and pixels > 2 * limit:
        raise DecodeLimitError(
            f"the image declares {pixels} pixels, more than Pillow's decompression-bomb limit of {2 * limit}",
            hint="if you trust the input, raise PIL.Image.MAX_IMAGE_PIXELS as well as max_pixels")


def _check_one_frame(image: Image.Image, info: ImageInfo) -> None:
    """A body holds the one frame its codec wrote: no animation, no progressive JPEG scans."""
    if getattr(image, "n_frames", 1) != 1:
        raise FormatError(f"{info.codec} body holds {image.n_frames} frames, not one")  # type: ignore[attr-defined]
    if image.info.get("progressive") or image.info.get("progression"):
        raise FormatError(f"{info.codec} body is a progressive JPEG, which securecomp does not write")


def _webp_header(body: bytes, info: ImageInfo) -> None:
    """The canvas size of a WebP body's first chunk (VP8, VP8L or VP8X) must be the descriptor's:
    libwebp allocates the canvas as soon as the plugin opens the body."""
    if len(body) < 30 or body[:4] != b"RIFF" or body[8:12] != b"WEBP":
        raise FormatError(f"{info.codec} body is not a WebP file")
    chunk = body[12:16]
    if chunk == b"VP8 " and body[23:26] == b"\x9d\x01\x2a":
        size = (int.from_bytes(body[26:28], "little") & 0x3FFF, int.from_bytes(body[28:30], "little") & 0x3FFF)
    elif chunk == b"VP8L" and body[20] == 0x2F:
        bits = int.from_bytes(body[21:25], "little")
        size = ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    elif chunk == b"VP8X":
        size = (int.from_bytes(body[24:27], "little") + 1, int.from_bytes(body[27:30], "little") + 1)
    else:
        raise FormatError(f"{info.codec} body starts with no VP8, VP8L or VP8X header")
    _check_declared(size, info)


def _jpeg2000_header(body: bytes, info: ImageInfo) -> None:
    """A raw codestream (SOC then SIZ), as written: a JP2 box's size may differ from its codestream's."""
    if body[:4] != b"\xff\x4f\xff\x51":
        raise FormatError(f"{info.codec} body is not a raw JPEG 2000 codestream (SOC, SIZ)")


def _check_declared(size: tuple[int, int], info: ImageInfo) -> None:
    if size != info.size:
        says = f"{info.width}x{info.height}"
        raise FormatError(f"{info.codec} body declares a {size[0]}x{size[1]} image, the descriptor says {says}")


def _restore_mode(image: Image.Image, mode: str) -> Image.Image:
    """Convert a decoded image back to the carried ``mode`` where the format changed it."""
    if image.mode not in _DECODED_MODES[mode]:
        raise FormatError(f"body decodes to a {image.mode} image where {mode} was stored")
    if image.mode == mode:
        return image
    return to_sixteen_bit(image) if mode == "I;16" else image.convert(mode)


def _between(table: tuple | list, quality: float, geometric: bool = False) -> float:
    """The setting of a real ``quality`` in [1, 8]: linear (or geometric) between its levels'."""
    low = min(int(quality), len(table) - 1)
    t = quality - low
    a, b = table[low - 1], table[low]
    return a * (b / a) ** t if geometric else a + (b - a) * t


def _png(mode: str, quality: float) -> dict[str, Any]:
    return {"compress_level": 9, "icc_profile": None, "transparency": None}


def _webp_lossless(mode: str, quality: float) -> dict[str, Any]:
    return {"lossless": True, "exact": True, "method": 6}


def _jpeg(mode: str, quality: float) -> dict[str, Any]:
    return {"quality": round(_between(JPEG_QUALITY, quality)), "optimize": True, "comment": None}


def _webp(mode: str, quality: float) -> dict[str, Any]:
    return {"quality": round(_between(WEBP_QUALITY, quality)), "method": 6}


def _jpeg2000(mode: str, quality: float) -> dict[str, Any]:
    return {
        "quality_mode": "rates",
        "quality_layers": [_between(JPEG2000_RATIO, quality, geometric=True)],
        "irreversible": True,
        "mct": 1 if mode == "RGB" else 0,
        "no_jp2": True,
    }


def _avif(mode: str, quality: float) -> dict[str, Any]:
    return {"quality": round(_between(AVIF_QUALITY, quality)), "speed": 4, "icc_profile": None}


CODECS = (
    PillowCodec("png", PngImagePlugin.PngImageFile, True, EIGHT_BIT | {"I;16"}, _png),
    PillowCodec("webp-lossless", WebPImagePlugin.WebPImageFile, True, EIGHT_BIT, _webp_lossless,
                carriers={"L": "RGB"}, bomb_checked=True, check_header=_webp_header),
    PillowCodec("jpeg", JpegImagePlugin.JpegImageFile, False, frozenset({"L", "RGB"}), _jpeg),
    PillowCodec("webp", WebPImagePlugin.WebPImageFile, False, EIGHT_BIT, _webp,
                carriers={"L": "RGB"}, bomb_checked=True, check_header=_webp_header),
    PillowCodec("jpeg2000", Jpeg2KImagePlugin.Jpeg2KImageFile, False, EIGHT_BIT, _jpeg2000,
                check_header=_jpeg2000_header),
    PillowCodec("avif", AvifImagePlugin.AvifImageFile, False, EIGHT_BIT, _avif),
)
