"""Codec registry: codec ids -> codec objects (see :mod:`securecomp.codec.base` for the protocol).

The classical Pillow codecs (png, webp-lossless, jpeg, webp, jpeg2000, avif) are registered on
import, then the learned codec: "learned" (the default model) and every other model shipped in
the zoo as a codec named by its model id.
"""

from __future__ import annotations

from .. import _wire
from ..errors import CodecError
from .base import Codec
from .info import MAX_CODEC_ID, MAX_MODEL_ID

__all__ = ["Codec", "register", "get_codec", "codec_ids", "codecs_for_mode"]

_REGISTRY: dict[str, Codec] = {}


def register(codec: Codec) -> None:
    """Make ``codec`` available under ``codec.id``; an id can be registered once."""
    if not isinstance(codec, Codec):
        raise TypeError(f"{codec!r} does not implement securecomp.codec.base.Codec")
    _wire.pack_ident(codec.id, MAX_CODEC_ID)  # raises ValueError for an id ImageInfo cannot carry
    _wire.pack_ident(codec.model, MAX_MODEL_ID)
    if codec.id in _REGISTRY:
        raise ValueError(f"codec id {codec.id!r} is already registered")
    _REGISTRY[codec.id] = codec


def get_codec(codec_id: str) -> Codec:
    """The codec registered as ``codec_id``; an unknown id raises :class:`CodecError`."""
    try:
        return _REGISTRY[codec_id]
    except (KeyError, TypeError):
        raise CodecError(f"unknown codec {codec_id!r}; known codecs: {', '.join(codec_ids())}") from None


def codec_ids() -> list[str]:
    """Ids of the registered codecs, in registration order."""
    return list(_REGISTRY)


def codecs_for_mode(mode: str) -> list[str]:
    """Ids of the registered codecs that carry images of ``mode``."""
    return [codec.id for codec in _REGISTRY.values() if mode in codec.modes]


def _register_classical() -> None:
    from . import classical

    for codec in classical.CODECS:
        register(codec)
    from . import zoo
    from .learned import DEFAULT_MODEL, LearnedCodec

    register(LearnedCodec())          # "learned": the default model
    for model_id in zoo.manifest():   # other shipped models under their own ids (`securecomp bench`)
        if model_id != DEFAULT_MODEL:
            register(LearnedCodec(model_id, codec_id=model_id))


_register_classical()
