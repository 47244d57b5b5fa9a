"""Codecs: the registry (:mod:`.registry`), the classical Pillow codecs and the learned codec.

The classical Pillow codecs (png, webp-lossless, jpeg, webp, jpeg2000, avif), then the learned
codec ("learned", the default model, and every model shipped in the zoo, the default included, as
a codec named by its model id) are registered on the first lookup, not on import: see :mod:`.registry`.
"""

from __future__ import annotations

from . import registry
from .base import Codec
from .registry import codec_ids, codecs_for_mode, get_codec, register

__all__ = ["Codec", "register", "get_codec", "codec_ids", "codecs_for_mode"]


def _register_builtins() -> None:
    from . import classical, zoo
    from .learned import LearnedCodec

    for codec in classical.CODECS:
        register(codec)
    # learned.py still annotates quality as int (the protocol takes hundredths): drop the ignores when it follows
    register(LearnedCodec())  # type: ignore[arg-type]   # "learned": the default model
    for model_id in zoo.manifest():   # every shipped model under its own id too, so a caller can pin one
        register(LearnedCodec(model_id, codec_id=model_id))  # type: ignore[arg-type]


registry.on_first_use(_register_builtins)
