"""Throughput of ChaosCipher against AES-256-GCM on the same input, in one run (`make bench`).

Prints MB/s (10^6 bytes per second) of each, best of --repeat runs, and their ratio. The issue's
bar: ratio >= 0.01; the aim: >= 0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402

from securecomp.analysis.compression import best_seconds  # noqa: E402
from securecomp.hazmat import aead  # noqa: E402
from securecomp.hazmat.chaos import ChaosCipher  # noqa: E402


def measure(size: int, repeat: int) -> dict:
    data, key, nonce = os.urandom(size), os.urandom(32), os.urandom(16)
    chaos, gcm = ChaosCipher(key), AESGCM(key)
    sealed = chaos.encrypt(data, nonce=nonce)
    seconds = {
        "chaos_encrypt": best_seconds(lambda: chaos.encrypt(data, nonce=nonce), repeat),
        "chaos_decrypt": best_seconds(lambda: chaos.decrypt(sealed, nonce=nonce), repeat),
        "aes_gcm_one_call": best_seconds(lambda: gcm.encrypt(nonce[:12], data, None), repeat),
        "aes_gcm_stream_64k": best_seconds(lambda: aead.seal(key, nonce[:7], data, b""), repeat),
    }
    rates = {name: size / s / 1e6 for name, s in seconds.items()}
    return {"bytes": size, "repeat": repeat, "machine": platform.processor() or platform.machine(),
            "mb_per_s": rates, "ratio_chaos_to_aes": rates["chaos_encrypt"] / rates["aes_gcm_one_call"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mib", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    result = measure(args.mib << 20, args.repeat)
    for name, rate in result["mb_per_s"].items():
        print(f"{name:20s} {rate:9.1f} MB/s")
    print(f"{'ratio chaos/AES-GCM':20s} {result['ratio_chaos_to_aes']:9.3f}  (bar 0.01, aim 0.1)")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
