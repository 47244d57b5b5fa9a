"""Tiny bodies that claim big images (issue 17, finding 4), built here rather than stored.

``jpeg2000_bomb`` is a 64x64 raw JPEG 2000 codestream whose SIZ marker segment is rewritten to
claim ``side`` x ``side`` pixels in one tile: 175 bytes for RGB. Before the fix, a bitstream around
it with a 16384x16384 descriptor decoded for over a minute and 5 GB (OpenJPEG decodes the missing
data as zeros). ``framed`` wraps a body and its descriptor in a bitstream with a valid CRC-32.
"""

from __future__ import annotations

import io
import struct

from PIL import Image

from securecomp import _wire
from securecomp.codec.framing import MAGIC, VERSION, add_checksum
from securecomp.codec.info import ImageInfo

SIZ_OFFSET = 8      # SOC (2) + SIZ marker (2) + Lsiz (2) + Rsiz (2): then Xsiz Ysiz XOsiz YOsiz XTsiz YTsiz


def jpeg2000_bomb(side: int = 16384, mode: str = "RGB") -> bytes:
    """A raw codestream of a flat 64x64 image whose SIZ claims ``side`` x ``side`` in one tile."""
    buffer = io.BytesIO()
    Image.new(mode, (64, 64), (128,) * len(mode)).save(
        buffer, "JPEG2000", no_jp2=True, quality_mode="rates", quality_layers=[240], irreversible=True,
        mct=1 if mode == "RGB" else 0)
    data = bytearray(buffer.getvalue())
    assert data[:4] == b"\xff\x4f\xff\x51", "OpenJPEG wrote no SOC + SIZ"
    struct.pack_into(">6I", data, SIZ_OFFSET, side, side, 0, 0, side, side)
    return bytes(data)


def framed(info: ImageInfo, body: bytes) -> bytes:
    """A ``compress()`` bitstream of ``body`` under ``info``, with a valid CRC-32."""
    return add_checksum(MAGIC + _wire.u8(VERSION) + info.pack(VERSION) + body)
