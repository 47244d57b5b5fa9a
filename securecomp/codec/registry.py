"""Codec registry: codec ids -> codec objects (see :mod:`securecomp.codec.base` for the protocol).

The built-in codecs are registered lazily, on the first lookup, by the loader
:mod:`securecomp.codec` installs (:func:`on_first_use`), so that importing the codec package, or
parsing a container header, loads neither the Pillow format plugins nor the learned codec and
torch. This module knows no codec itself, so every codec module may import it.
"""

from __future__ import annotations

from collections.abc import Callable

from .. import _wire
from ..errors import CodecError, ParameterError
from .base import Codec
from .info import MAX_CODEC_ID, MAX_MODEL_ID

__all__ = ["register", "get_codec", "check_codec_choice", "codec_ids", "codecs_for_mode", "on_first_use"]

_REGISTRY: dict[str, Codec] = {}
_loaders: list[Callable[[], None]] = []
_loading = False


def on_first_use(loader: Callable[[], None]) -> None:
    """Run ``loader`` (which registers codecs) before the first lookup or registration."""
    _loaders.append(loader)


def _load() -> None:
    """Run the pending loaders once each. A loader that fails leaves the registry as it was and
    stays pending, so every later lookup raises its error again instead of missing codecs."""
    global _loading
    if _loading:                        # a loader's own register() calls
        return
    _loading = True
    try:
        while _loaders:
            before = dict(_REGISTRY)
            try:
                _loaders[0]()
            except BaseException:
                _REGISTRY.clear()
                _REGISTRY.update(before)
                raise
            _loaders.pop(0)
    finally:
        _loading = False


def register(codec: Codec) -> None:
    """Make ``codec`` available under ``codec.id``; an id can be registered once."""
    _load()
    if not isinstance(codec, Codec):
        raise TypeError(f"{codec!r} does not implement securecomp.codec.base.Codec")
    _wire.pack_ident(codec.id, MAX_CODEC_ID)  # raises ValueError for an id ImageInfo cannot carry
    _wire.pack_ident(codec.model, MAX_MODEL_ID)
    if codec.id in _REGISTRY:
        raise ValueError(f"codec id {codec.id!r} is already registered")
    _REGISTRY[codec.id] = codec


def get_codec(codec_id: str) -> Codec:
    """The codec registered as ``codec_id``; an unknown id raises :class:`CodecError`."""
    _load()
    try:
        return _REGISTRY[codec_id]
    except (KeyError, TypeError):
        raise CodecError(f"unknown codec {codec_id!r}; known codecs: {', '.join(codec_ids())}",
                         hint="a container that names another codec was written by a newer or extended securecomp; "
                              "open it there") from None


def check_codec_choice(codec_id: str | None) -> None:
    """Refuse a codec the caller chose that is not registered: ParameterError (exit 2, a bad value),
    where :func:`get_codec` raises CodecError (a container naming a codec this version lacks)."""
    _load()
    if codec_id is not None and (not isinstance(codec_id, str) or codec_id not in _REGISTRY):
        raise ParameterError(f"unknown codec {codec_id!r}", hint=f"choose one of {', '.join(codec_ids())}")


def codec_ids() -> list[str]:
    """Ids of the registered codecs, in registration order."""
    _load()
    return list(_REGISTRY)


def codecs_for_mode(mode: str) -> list[str]:
    """Ids of the registered codecs that carry images of ``mode``."""
    _load()
    return [codec.id for codec in _REGISTRY.values() if mode in codec.modes]
