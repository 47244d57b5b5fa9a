"""Compression results of the full pipeline for one image: size, quality and speed per setting.

Every number comes from a real container: bits per pixel from ``len(securecomp.encrypt(...))``
(header and tags included), quality from the decrypted 8-bit image, speed from the same calls.
"""

from __future__ import annotations

import time

import numpy as np

from .metrics import ms_ssim, psnr, ssim

__all__ = ["compression_results", "throughput"]

MEGABYTE = 1e6


def compression_results(image, *, key: bytes, codec: str | None = None, qualities=(None,),
                        cipher: str = "chaos+aes") -> list[dict]:
    """One row per quality: codec, quality, bytes, bpp, PSNR, SSIM, MS-SSIM and pipeline speed."""
    pixels = np.asarray(image)
    return [_one_setting(pixels, key, codec, quality, cipher) for quality in qualities]


def _one_setting(pixels: np.ndarray, key: bytes, codec: str | None, quality: int | None, cipher: str) -> dict:
    from .. import container
    from ..api import decrypt, encrypt
    start = time.perf_counter()
    blob = encrypt(pixels, key=key, quality=quality, codec=codec, cipher=cipher)
    middle = time.perf_counter()
    restored = np.asarray(decrypt(blob, key=key))
    end = time.perf_counter()
    info = container.parse(blob).header.info
    return {"codec": info.codec, "quality": info.quality or None, "lossless": info.quality == 0,
            "cipher": cipher, "container_bytes": len(blob),
            "bpp": len(blob) * 8 / (pixels.shape[0] * pixels.shape[1]),
            **_quality(pixels, restored.reshape(pixels.shape)),
            "encrypt_mb_per_s": pixels.nbytes / (middle - start) / MEGABYTE,
            "decrypt_mb_per_s": pixels.nbytes / (end - middle) / MEGABYTE}


def _quality(original: np.ndarray, restored: np.ndarray) -> dict:
    channel_axis = -1 if original.ndim == 3 else None
    value = psnr(original, restored)
    return {"psnr": None if value == float("inf") else value,
            "ssim": ssim(original, restored, channel_axis=channel_axis),
            "ms_ssim": ms_ssim(original, restored, channel_axis=channel_axis)}


def throughput(image, *, key: bytes, nonce: bytes, repeat: int = 3) -> dict:
    """MB/s (10^6 bytes) of the raw ChaosCipher and of one AES-256-GCM call on the image's bytes."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from ..hazmat.chaos import ChaosCipher
    data = np.ascontiguousarray(image).tobytes()
    chaos, gcm = ChaosCipher(key), AESGCM(key)
    return {"bytes": len(data),
            "chaos_mb_per_s": len(data) / best_seconds(lambda: chaos.encrypt(data, nonce=nonce), repeat) / MEGABYTE,
            "aes_gcm_mb_per_s":
                len(data) / best_seconds(lambda: gcm.encrypt(nonce[:12], data, None), repeat) / MEGABYTE}


def best_seconds(function, repeat: int) -> float:
    """Best wall time of ``repeat`` calls (the benchmarks use it too)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return max(min(times), 1e-9)
