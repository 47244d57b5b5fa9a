"""What a wider encoder costs: g_a's time on one image at a few widths (scripts/derive_start.py --encoder-width).

    python benchmarks/bench_encoder_width.py [--widths 112 128 144 160] [--size 768x512] [--threads 2]

g_a runs as the codec runs it (channels-last, bf16 where the CPU has it, codec.models.run_transform),
the widths interleaved over the repeats; the medians are printed with their ratio to the first.
Only encoding pays for g_a: the decoder, its speed and the bitstream do not change. Measure on an
idle machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from securecomp.codec.models import analysis_transform, run_transform  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[112, 128, 144, 160])
    parser.add_argument("--M", type=int, default=160, help="latent channels (y)")
    parser.add_argument("--size", default="768x512", help="WIDTHxHEIGHT (a Kodak image)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    width, height = map(int, args.size.split("x"))
    x = torch.rand(1, 3, height, width).contiguous(memory_format=torch.channels_last)
    nets = {w: analysis_transform(w, args.M).eval().to(memory_format=torch.channels_last) for w in args.widths}
    seconds: dict[int, list[float]] = {w: [] for w in nets}
    with torch.no_grad():
        for net in nets.values():                     # warm-up
            run_transform(net, x, bf16=True)
        for _ in range(args.repeats):
            for w, net in nets.items():
                start = time.perf_counter()
                run_transform(net, x, bf16=True)
                seconds[w].append(time.perf_counter() - start)
    base = statistics.median(seconds[args.widths[0]])
    for w in args.widths:
        median = statistics.median(seconds[w])
        print(f"g_a width {w}: {median:.4f} s ({median / base:.2f}x)")


if __name__ == "__main__":
    main()
