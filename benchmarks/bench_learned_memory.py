"""Peak memory of a learned-codec round trip on a large image (issue: 50 MP under 2 GiB).

`python benchmarks/bench_learned_memory.py --megapixels 50` prints seconds and the process's peak
resident memory (ru_maxrss), which includes the input and output images themselves.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import securecomp  # noqa: E402


def synthetic(width: int, height: int) -> Image.Image:
    """Smooth gradients plus mild noise: a photo-like load for the codec, made row block by block."""
    rng = np.random.default_rng(0)
    rgb = np.empty((height, width, 3), np.uint8)
    x = np.linspace(0, 1, width, dtype=np.float32)
    for top in range(0, height, 512):
        y = np.linspace(top / height, min(top + 512, height) / height, min(512, height - top), dtype=np.float32)
        base = 0.5 + 0.4 * np.sin(6 * x[None, :] + 4 * y[:, None])
        for c in range(3):
            noise = rng.normal(0, 0.03, base.shape).astype(np.float32)
            rgb[top : top + len(y), :, c] = np.clip((base * (0.7 + 0.1 * c) + noise) * 255, 0, 255)
    return Image.fromarray(rgb)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megapixels", type=float, default=50)
    parser.add_argument("--quality", type=float, default=4)
    parser.add_argument("--codec", default="learned", help="learned (default) or a continuous-rate model id")
    args = parser.parse_args()
    width = int((args.megapixels * 1e6 * 1.5) ** 0.5)
    height = int(args.megapixels * 1e6 / width)
    image = synthetic(width, height)
    start = time.perf_counter()
    bits = securecomp.compress(image, codec=args.codec, quality=args.quality)
    middle = time.perf_counter()
    out = securecomp.decompress(bits)
    end = time.perf_counter()
    assert out.size == image.size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.codec}, {width}x{height} ({width * height / 1e6:.1f} MP), quality {args.quality}: "
          f"{8 * len(bits) / (width * height):.3f} bpp, compress {middle - start:.1f} s, "
          f"decompress {end - middle:.1f} s, peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
