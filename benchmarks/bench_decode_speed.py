"""Encode and decode times of a learned codec: this tree against a git revision, in one process.

The revision's ``securecomp`` package is extracted (git archive) and imported under another name,
so both run on the same machine state; the runs alternate (ABAB..., the order flipping every
repeat) and the medians are compared. The bitstreams of the two must be identical: a speed-up that
changes a byte is reported as such.

    python benchmarks/bench_decode_speed.py IMAGE... [--baseline REV] [--codec ID] [--quality Q]
        [--repeats N] [--threads T]
"""

from __future__ import annotations

import argparse
import importlib
import io
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import securecomp  # noqa: E402

BASELINE_PACKAGE = "securecomp_baseline"


def baseline(revision: str, into: Path):
    """The ``securecomp`` package of ``revision``, importable as BASELINE_PACKAGE (its imports
    inside the package are relative)."""
    archive = subprocess.run(["git", "archive", revision, "securecomp"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    (into / "securecomp").rename(into / BASELINE_PACKAGE)
    sys.path.insert(0, str(into))
    return importlib.import_module(BASELINE_PACKAGE)


def timed(call):
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def measure(packages: dict, image: Image.Image, codec: str, quality: float, repeats: int) -> dict:
    """Per package: encode and decode times of every repeat, and whether the bytes agreed."""
    times: dict = {name: {"encode": [], "decode": []} for name in packages}
    identical = True
    for repeat in range(repeats + 1):                   # the first round warms up and is dropped
        order = list(packages) if repeat % 2 else list(reversed(packages))
        coded = {}
        for name in order:
            bits, encode = timed(lambda p=packages[name]: p.compress(image, codec=codec, quality=quality))
            _, decode = timed(lambda p=packages[name], b=bits: p.decompress(b))
            coded[name] = bits
            if repeat:
                times[name]["encode"].append(encode)
                times[name]["decode"].append(decode)
        identical &= len(set(coded.values())) == 1
    return {"times": times, "identical": identical}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="+", type=Path)
    parser.add_argument("--baseline", default="HEAD", help="git revision to compare with (default HEAD)")
    parser.add_argument("--codec", default="he2021-checkerboard-gain")
    parser.add_argument("--quality", type=float, default=6)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as folder:
        packages = {f"baseline ({args.baseline})": baseline(args.baseline, Path(folder)), "this tree": securecomp}
        print(f"{args.codec}, quality {args.quality}, {args.threads} thread(s), median of {args.repeats}\n")
        print("| image | side | " + " | ".join(packages) + " | change |\n|---|---|" + "---|" * (len(packages) + 1))
        for path in args.images:
            result = measure(packages, Image.open(path).convert("RGB"), args.codec, args.quality, args.repeats)
            medians = {name: {side: statistics.median(v) for side, v in sides.items()}
                       for name, sides in result["times"].items()}
            for side in ("encode", "decode", "total"):
                values = [m[side] if side != "total" else m["encode"] + m["decode"] for m in medians.values()]
                print(f"| {path.name} | {side} | " + " | ".join(f"{v:.3f} s" for v in values)
                      + f" | {100 * (values[-1] / values[0] - 1):+.1f} % |")
            if not result["identical"]:
                print(f"| {path.name} | BITSTREAMS DIFFER | | | |")


if __name__ == "__main__":
    main()
