"""Image input: whatever the caller hands us becomes a PIL image in one of the carried modes.

securecomp carries four modes (:data:`CARRIED_MODES`): "L", "RGB", "RGBA" (8 bits per channel)
and "I;16" (16-bit grayscale). :func:`to_image` accepts

- a ``PIL.Image.Image``, taken as is; other modes are converted the way a viewer shows them:
  "1" -> "L"; "P" -> "RGBA" when it has transparency, else "RGB"; "LA", "PA", "RGBa" -> "RGBA";
  "RGBX", "CMYK", "YCbCr", "HSV" -> "RGB"; integer modes ("I", "I;16B", ...) -> "I;16" exactly,
  when every value fits 0..65535;
- a numpy array: uint8 of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), or uint16 (H, W);
- a path (``str`` or ``os.PathLike``) to an image file; an EXIF orientation is applied, so the
  pixels are the ones a viewer shows.

Nothing is lost without a word: an image of several frames (an animated GIF, PNG or WebP, a
multi-page TIFF) raises :class:`~securecomp.errors.MultiFrameImageError` unless ``first_frame=True``,
which takes the first frame and warns; a CMYK image is converted to RGB with an
:class:`~securecomp.errors.ImageConversionWarning` (its CMYK colour profile, which no longer fits
the pixels, is dropped), as is taking the primary picture of an MPO file (a JPEG that carries a
second picture, such as a preview or the other half of a stereo pair).

The size limits of :mod:`securecomp.codec.info` are checked before any pixel is decoded, and image
files are read under Pillow's decompression-bomb limit (2 * ``PIL.Image.MAX_IMAGE_PIXELS``).
Anything else raises :class:`~securecomp.errors.UnsupportedImageError`.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from PIL import ExifTags, Image, ImageOps

from .codec.info import MAX_PIXELS, MAX_SIDE, check_size
from .errors import FormatError, ImageConversionWarning, MultiFrameImageError, SecurecompError, UnsupportedImageError

__all__ = ["CARRIED_MODES", "to_image", "image_from_bytes", "image_to_array", "pillow_errors", "to_sixteen_bit",
           "apply_exif_orientation", "pillow_pixel_limit"]

CARRIED_MODES = ("L", "RGB", "RGBA", "I;16")
_INTEGER_MODES = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N"})
_CONVERSIONS = {
    "1": "L",
    "LA": "RGBA",
    "PA": "RGBA",
    "RGBa": "RGBA",
    "RGBX": "RGB",
    "CMYK": "RGB",
    "YCbCr": "RGB",
    "HSV": "RGB",
}
# (bytes per sample, channels) -> mode; 0 channels means a 2-D array.
_ARRAY_MODES = {(1, 0): "L", (1, 1): "L", (1, 3): "RGB", (1, 4): "RGBA", (2, 0): "I;16"}
_ARRAY_HINT = "use uint8 arrays of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), or uint16 of shape (H, W)"
_TYPE_HINT = (
    "pass a PIL.Image.Image, a numpy array or a path; for encoded bytes use PIL.Image.open(io.BytesIO(data))"
)
SIXTEEN_BIT_LIMIT = 65535
_FORMATS_HINT = "use PNG, JPEG, WebP, AVIF, JPEG 2000, TIFF, BMP or another format Pillow reads"
_SIZE_HINT = f"securecomp carries images of at most {MAX_SIDE} pixels per side and {MAX_PIXELS:,} pixels in all"


def to_image(obj: Any, *, first_frame: bool = False) -> Image.Image:
    """Return ``obj`` as a PIL image whose mode is one of :data:`CARRIED_MODES`.

    An image of several frames raises :class:`MultiFrameImageError`, unless ``first_frame`` is
    true: then its first frame is taken, with an :class:`ImageConversionWarning`.
    """
    if isinstance(obj, Image.Image):
        return _normalize(obj, name="the image", first_frame=first_frame)
    if isinstance(obj, np.ndarray):
        return _from_array(obj)
    if isinstance(obj, (str, os.PathLike)):
        return _from_path(os.fspath(obj), first_frame=first_frame)
    raise UnsupportedImageError(f"cannot use a {type(obj).__name__} as an image", hint=_TYPE_HINT)


def image_from_bytes(data: bytes, *, name: str = "the image", first_frame: bool = False) -> Image.Image:
    """The image in encoded bytes (a PNG, JPEG, ... file's contents), read as :func:`to_image` reads
    a file: upright, in a carried mode; ``name`` is what messages call it (e.g. "stdin")."""
    if not data:
        raise UnsupportedImageError(f"{name} is empty (0 bytes), not an image", hint=_FORMATS_HINT)
    with pillow_errors(UnsupportedImageError, f"cannot read {name}"):
        try:
            image = Image.open(io.BytesIO(data))
        except Image.UnidentifiedImageError as exc:
            raise _not_an_image(name) from exc
    return _normalize(image, name=name, upright=True, first_frame=first_frame)


def image_to_array(obj: Any) -> np.ndarray:
    """Pixels of anything :func:`to_image` accepts, as a new array.

    uint8 of shape (H, W) for "L", (H, W, 3) for "RGB", (H, W, 4) for "RGBA"; uint16 (H, W) for "I;16".
    """
    image = to_image(obj)
    return np.array(image, dtype=np.uint16 if image.mode == "I;16" else np.uint8)


def check_image_size(width: int, height: int) -> None:
    """Raise UnsupportedImageError unless the size is within the limits of ImageInfo."""
    try:
        check_size(width, height)
    except FormatError as exc:
        raise UnsupportedImageError(str(exc), hint=_SIZE_HINT) from exc


def _normalize(image: Image.Image, *, name: str, upright: bool = False, first_frame: bool = False) -> Image.Image:
    check_image_size(*image.size)
    with pillow_errors(UnsupportedImageError, f"cannot decode {name}"):
        frames = _frames(image, name, first_frame)
        if upright:
            image = apply_exif_orientation(image)
        image.load()
        carried = _to_carried_mode(image, name)
        if frames > 1 and getattr(carried, "n_frames", 1) > 1:
            carried = carried.copy()        # the first frame alone: to_image() of it sees one frame
        return carried


def _frames(image: Image.Image, name: str, first_frame: bool) -> int:
    """The image's frame count; refuses several frames unless ``first_frame`` (then seeks to frame 0)."""
    frames = int(getattr(image, "n_frames", 1) or 1)
    if frames <= 1:
        return frames
    if image.format == "MPO":       # a JPEG with a preview, depth map or stereo twin after its picture
        kept = "kept its primary picture only"
        warnings.warn(f"{name} is an MPO file of {frames} pictures; {kept}", ImageConversionWarning, stacklevel=4)
    elif not first_frame:
        raise MultiFrameImageError(
            f"{name} has {frames} frames (an animation or a multi-page file); securecomp carries one image")
    else:
        warnings.warn(f"{name} has {frames} frames; only the first is kept", ImageConversionWarning,
                      stacklevel=4)
    image.seek(0)
    return frames


def _to_carried_mode(image: Image.Image, name: str = "the image") -> Image.Image:
    mode = image.mode
    if mode in _INTEGER_MODES:
        return to_sixteen_bit(image)
    if mode in CARRIED_MODES:
        return image
    if mode == "P":
        return image.convert("RGBA" if image.has_transparency_data else "RGB")
    if mode == "CMYK":
        return _from_cmyk(image, name)
    if mode in _CONVERSIONS:
        return image.convert(_CONVERSIONS[mode])
    raise UnsupportedImageError(
        f"image mode {mode!r} is not supported",
        hint="convert it to L, RGB, RGBA or I;16 first (floating-point images need scaling to integers)",
    )


def _from_array(array: np.ndarray) -> Image.Image:
    mode = _array_mode(array)
    height, width = array.shape[:2]
    check_image_size(width, height)
    if array.ndim == 3 and mode == "L":
        array = array[:, :, 0]
    return Image.fromarray(np.ascontiguousarray(array, dtype=np.uint16 if mode == "I;16" else np.uint8))


def _array_mode(array: np.ndarray) -> str:
    channels = array.shape[2] if array.ndim == 3 else 0
    mode = _ARRAY_MODES.get((array.dtype.itemsize, channels)) if array.dtype.kind == "u" else None
    if mode is None or array.ndim not in (2, 3) or array.size == 0:
        raise UnsupportedImageError(
            f"cannot use a numpy array of dtype {array.dtype} and shape {array.shape} as an image",
            hint=_ARRAY_HINT,
        )
    return mode


def _from_cmyk(image: Image.Image, name: str) -> Image.Image:
    """RGB, as Pillow converts CMYK (no colour management); the CMYK colour profile is dropped, as it
    no longer describes the pixels."""
    rgb = image.convert("RGB")
    profile = rgb.info.pop("icc_profile", None)
    dropped = " and its CMYK colour profile dropped" if profile else ""
    warnings.warn(f"{name} is CMYK: converted to RGB without colour management{dropped}; colours may shift",
                  ImageConversionWarning, stacklevel=5)
    return rgb


def _from_path(path: str, *, first_frame: bool = False) -> Image.Image:
    with _open(path) as image:
        return _normalize(image, name=path, upright=True, first_frame=first_frame)


def _open(path: str) -> Image.Image:
    with pillow_errors(UnsupportedImageError, f"cannot read image {path}"):
        try:
            return Image.open(path)
        except FileNotFoundError as exc:
            message = f"cannot read image {path}: no such file"
            raise UnsupportedImageError(message, hint="check the path") from exc
        except Image.UnidentifiedImageError as exc:
            raise _not_an_image(f"image {path}") from exc


def _not_an_image(name: str) -> UnsupportedImageError:
    return UnsupportedImageError(f"cannot read {name}: not an image file Pillow can decode", hint=_FORMATS_HINT)


def pillow_pixel_limit() -> int | None:
    """The most pixels Pillow opens an image file with (2 * ``Image.MAX_IMAGE_PIXELS``; None: no limit)."""
    limit = Image.MAX_IMAGE_PIXELS
    return None if limit is None else 2 * limit


def apply_exif_orientation(image: Image.Image) -> Image.Image:
    """Rotate/flip as the EXIF orientation tag says, so the pixels are the ones a viewer shows."""
    if image.getexif().get(ExifTags.Base.Orientation, 1) == 1:
        return image
    return ImageOps.exif_transpose(image)


@contextmanager
def pillow_errors(error: type[SecurecompError], what: str) -> Iterator[None]:
    """Turn whatever Pillow raises on bad or hostile bytes into ``error(f"{what}: ...")``.

    Pillow's format plugins raise many kinds of exceptions on malformed input (OSError,
    ValueError, SyntaxError, EOFError, struct.error, IndexError, ...), so all are caught here,
    except our own errors and MemoryError, which pass through unchanged.
    """
    try:
        yield
    except (SecurecompError, MemoryError):
        raise
    except Image.DecompressionBombError as exc:
        limit = pillow_pixel_limit() or 0
        raise error(f"{what}: the image declares too many pixels ({exc})",
                    hint=f"Pillow opens image files of at most {limit:,} pixels (a guard against decompression "
                    "bombs); if you trust the file, raise PIL.Image.MAX_IMAGE_PIXELS in Python") from exc
    except Exception as exc:
        raise error(f"{what}: {exc}") from exc


def to_sixteen_bit(image: Image.Image) -> Image.Image:
    """Convert an integer image ("I", "I;16B", "I;16L", ...) to "I;16" exactly.

    Pillow's own ``convert("I;16")`` clips through 8 bits for "I;16B" and clamps "I"; numpy
    keeps every value. Values outside 0..65535 raise :class:`UnsupportedImageError`.
    """
    if image.mode == "I;16":
        return image
    pixels = np.asarray(image)
    if pixels.min() < 0 or pixels.max() > SIXTEEN_BIT_LIMIT:
        raise UnsupportedImageError(
            f"{image.mode} image has values outside 0..{SIXTEEN_BIT_LIMIT}",
            hint="scale it into 0..65535 (16-bit) or 0..255 (8-bit) first",
        )
    return Image.fromarray(pixels.astype(np.uint16))
