"""The codec protocol: what the registry, the bitstream and the container expect of a codec.

A codec turns a PIL image into a *body* (bytes that mean nothing without an
:class:`~securecomp.codec.info.ImageInfo`) and back. The caller guarantees that ``image.mode`` is in
``modes`` and that ``quality`` is in 1..8; ``decompress`` must return an image whose mode and
size equal ``info.mode`` and ``info.size``, and must raise :class:`~securecomp.errors.FormatError`
(damaged body) or :class:`~securecomp.errors.CodecError` (codec failure) on bad bytes, never
anything else. Register a new codec with :func:`securecomp.codec.register`.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from PIL import Image

from .info import ImageInfo


@runtime_checkable
class Codec(Protocol):
    """An image codec, registered by ``id`` (the codec id written into ImageInfo)."""

    @property
    def id(self) -> str:
        """At most 32 characters of ``[a-z0-9][a-z0-9+.-]*``."""

    @property
    def lossless(self) -> bool:
        """True when ``decompress(compress(image))`` returns the pixels exactly (quality is stored as 0)."""

    @property
    def modes(self) -> frozenset[str]:
        """The image modes ("L", "RGB", "RGBA", "I;16") this codec carries."""

    @property
    def model(self) -> str:
        """The model id written into ImageInfo; empty for codecs without trained models."""

    def compress(self, image: Image.Image, quality: float) -> bytes:
        """Encode ``image`` at ``quality`` (1..8, hundredths; ignored by lossless codecs) into a body."""

    def decompress(self, body: bytes, info: ImageInfo) -> Image.Image:
        """Decode a body produced by :meth:`compress` for an image described by ``info``."""
