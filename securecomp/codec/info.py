"""ImageInfo: what a decoder needs besides the codec body (codec, model, quality, mode, size).

The same bytes describe the image in the container header and in a bare ``compress()`` bitstream
(docs/format.md, "Image descriptor"). Version 1 carries an integer quality (u8); version 2 a real
one in hundredths (u16: 330 is quality 3.3), so a quality is exact on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import _wire
from ..errors import DecodeLimitError, FormatError, ParameterError

MODES = {1: "L", 2: "RGB", 3: "RGBA", 4: "I;16"}
MODE_IDS = {name: code for code, name in MODES.items()}
MAX_SIDE = 1 << 16          # width and height are at most 65536
MAX_PIXELS = 1 << 28        # and their product at most 268,435,456
DEFAULT_MAX_PIXELS = 89_478_485  # what a reader decodes unless asked for more: Pillow's MAX_IMAGE_PIXELS
MAX_CODEC_ID = 32
MAX_MODEL_ID = 64
MAX_QUALITY = 8
QUALITY_STEP = 100          # version 2: quality in hundredths


def round_quality(quality: float) -> float:
    """``quality`` on the grid version 2 carries (hundredths); an integer stays an int."""
    hundredths = round(float(quality) * QUALITY_STEP)
    return hundredths // QUALITY_STEP if hundredths % QUALITY_STEP == 0 else hundredths / QUALITY_STEP


@dataclass(frozen=True)
class ImageInfo:
    codec: str
    mode: str
    width: int
    height: int
    quality: float = 0      # in [1, 8] (an int where integral); 0 for lossless codecs
    model: str = ""         # learned codecs: model id; empty otherwise

    def __post_init__(self) -> None:
        check_size(self.width, self.height)
        if self.mode not in MODE_IDS:
            raise FormatError(f"image mode {self.mode!r} is not one of {sorted(MODE_IDS)}")
        if not (self.quality == 0 or 1 <= self.quality <= MAX_QUALITY):
            raise FormatError(f"quality {self.quality} is neither 0 (lossless) nor in 1..{MAX_QUALITY}")
        object.__setattr__(self, "quality", round_quality(self.quality))

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)

    def pack(self, version: int = 1) -> bytes:
        """The descriptor in format ``version`` (1: integer qualities only)."""
        if version == 1 and self.quality != int(self.quality):
            raise ValueError(f"quality {self.quality} needs descriptor version 2")
        quality = _wire.u8(int(self.quality)) if version == 1 else _wire.u16(round(self.quality * QUALITY_STEP))
        return b"".join(
            [
                _wire.pack_ident(self.codec, MAX_CODEC_ID),
                _wire.pack_ident(self.model, MAX_MODEL_ID),
                quality,
                _wire.u8(MODE_IDS[self.mode]),
                _wire.u32(self.width),
                _wire.u32(self.height),
            ]
        )

    @classmethod
    def read(cls, r: _wire.Reader, version: int = 1) -> ImageInfo:
        codec = r.ident("codec id", MAX_CODEC_ID)
        model = r.ident("model id", MAX_MODEL_ID, allow_empty=True)
        quality = r.u8() if version == 1 else r.u16() / QUALITY_STEP
        mode_id = r.u8()
        if mode_id not in MODES:
            raise FormatError(f"{r.what}: unknown image mode code {mode_id}")
        width, height = r.u32(), r.u32()
        return cls(codec=codec, mode=MODES[mode_id], width=width, height=height, quality=quality, model=model)


def check_size(width: int, height: int) -> None:
    """Raise FormatError unless 1 <= side <= MAX_SIDE and pixels <= MAX_PIXELS."""
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise FormatError(f"image size {width}x{height} outside 1..{MAX_SIDE} per side")
    if width * height > MAX_PIXELS:
        raise FormatError(f"image of {width * height} pixels exceeds the limit of {MAX_PIXELS}")


def check_pixels(info: ImageInfo, max_pixels: int) -> None:
    """Raise DecodeLimitError if ``info`` declares more than ``max_pixels`` pixels (checked before any
    body is decoded: a few bytes can claim 2**28 pixels); ParameterError for a bad ``max_pixels``."""
    if isinstance(max_pixels, bool) or not isinstance(max_pixels, int) or not 1 <= max_pixels <= MAX_PIXELS:
        raise ParameterError(f"max_pixels must be an integer from 1 to {MAX_PIXELS} (the format's limit), "
                             f"got {max_pixels!r}")
    pixels = info.width * info.height
    if pixels > max_pixels:
        raise DecodeLimitError(
            f"the image declares {info.width}x{info.height} = {pixels} pixels, more than the limit of "
            f"{max_pixels} (max_pixels)",
            hint=f"if you trust the input, pass max_pixels={pixels} or more (the format allows {MAX_PIXELS})")
