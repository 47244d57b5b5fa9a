"""Pillow glue shared by image input (images.py) and the classical codecs (codec/classical.py).

Kept apart from both so that neither imports the other: ``securecomp.images`` needs the codec
package for size limits, and the codec package registers the classical codecs when imported.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from PIL import Image

from .errors import SecurecompError, UnsupportedImageError

SIXTEEN_BIT_LIMIT = 65535


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
        raise error(f"{what}: the image declares too many pixels ({exc})") from exc
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
