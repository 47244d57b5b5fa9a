"""The metadata block of a version-2 container: ICC profile, EXIF and XMP, encrypted with the image.

Layout (docs/format.md, "Metadata block"): entries ``kind u8 | length u32 | bytes`` in increasing
kind order, each kind at most once and never empty (1 ICC profile, 2 EXIF, 3 XMP). The block is
the start of the encrypted payload, so it is as confidential and authenticated as the pixels.

What is carried: the ICC profile always (colours come back as they were); EXIF and XMP only when
asked (``keep_metadata=True``), as they may hold a place (GPS), a time and a camera serial.
"""

from __future__ import annotations

from PIL import Image

from . import _wire
from .errors import FormatError

__all__ = ["KINDS", "of_image", "dropped", "pack", "unpack", "attach"]

KINDS = {1: "icc_profile", 2: "exif", 3: "xmp"}
_CODES = {name: code for code, name in KINDS.items()}
PRIVATE = frozenset({"exif", "xmp"})        # left out unless keep_metadata


def of_image(image: Image.Image, *, keep_metadata: bool = False) -> dict[str, bytes]:
    """The metadata of ``image`` that a container carries (see the module docstring)."""
    found = {}
    for name in KINDS.values():
        value = image.info.get(name)
        if isinstance(value, str):
            value = value.encode("utf-8")
        if value and (keep_metadata or name not in PRIVATE):
            found[name] = bytes(value)
    return found


def dropped(image: Image.Image, *, keep_metadata: bool = False) -> list[str]:
    """Names of the metadata ``image`` has that a container would leave out."""
    return [name for name in sorted(PRIVATE) if image.info.get(name) and not keep_metadata]


def pack(entries: dict[str, bytes]) -> bytes:
    return b"".join(_wire.u8(_CODES[name]) + _wire.u32(len(value)) + value
                    for name, value in sorted(entries.items(), key=lambda kv: _CODES[kv[0]]) if value)


def unpack(block: bytes) -> dict[str, bytes]:
    """The entries of a metadata block; FormatError for unknown, repeated, unordered or empty ones."""
    r = _wire.Reader(block, "metadata block")
    entries: dict[str, bytes] = {}
    last = 0
    while r.pos < len(block):
        code, length = r.u8(), r.u32()
        if code not in KINDS or code <= last or length == 0:
            raise FormatError(f"metadata block: entry kind {code} is unknown, repeated, out of order or empty")
        entries[KINDS[code]] = r.take(length)
        last = code
    return entries


def attach(image: Image.Image, entries: dict[str, bytes]) -> Image.Image:
    """``image`` with the metadata in ``image.info`` (where Pillow's writers look for it)."""
    for name, value in entries.items():
        image.info[name] = value
    return image
