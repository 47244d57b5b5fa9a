"""The issue's speed check from `securecomp bench` results: a codec's compress + decompress time
against JPEG 2000's encode + decode in the same run, over the qualities both were run at.

    securecomp bench --dataset ../shared/datasets/kodak --codecs learned jpeg2000 --qualities 2 4 6 8 -o run.json
    python benchmarks/speed_ratio.py run.json [more.json ...] [--codec learned]

Run the bench on an otherwise idle machine (2 threads: OMP_NUM_THREADS=2): the times are the result.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

ANCHOR = "jpeg2000"


def seconds_per_image(rows: list[dict], qualities: set[float]) -> float:
    """Mean compress + decompress seconds per image over ``qualities`` (rows are per-quality means)."""
    chosen = [r for r in rows if r["quality"] in qualities]
    return sum(r["encode_s"] + r["decode_s"] for r in chosen) / len(chosen)


def ratio(results: dict, codec: str) -> tuple[float, float, float]:
    """(codec's seconds, the anchor's seconds, their ratio) per image, over the common qualities."""
    common = {r["quality"] for r in results[codec]} & {r["quality"] for r in results[ANCHOR]}
    if not common:
        raise SystemExit(f"{codec} and {ANCHOR} share no quality in this run")
    mine, anchor = seconds_per_image(results[codec], common), seconds_per_image(results[ANCHOR], common)
    return mine, anchor, mine / anchor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="JSON written by securecomp bench -o")
    parser.add_argument("--codec", default="learned")
    args = parser.parse_args()
    ratios = []
    for path in args.runs:
        results = json.loads(path.read_text())["results"]
        if args.codec not in results or ANCHOR not in results:
            raise SystemExit(f"{path} lacks {args.codec} or {ANCHOR}: run the bench with both")
        mine, anchor, r = ratio(results, args.codec)
        ratios.append(r)
        print(f"{path}: {args.codec} {mine:.3f} s, {ANCHOR} {anchor:.3f} s per image: {r:.2f}x")
    if len(ratios) > 1:
        print(f"median {statistics.median(ratios):.2f}x over {len(ratios)} runs")


if __name__ == "__main__":
    main()
