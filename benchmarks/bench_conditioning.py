"""What the conditional channels cost: g_a's and g_s's time on one image with them and without.

    python benchmarks/bench_conditioning.py WEIGHTS [--size 768x512] [--threads 2] [--quality 6]

WEIGHTS: a conditioned model's training checkpoint, best.pt or weights file. Both transforms run
as the codec runs them (MeanScaleGainHyperprior.analyse_y and .synthesise: channels-last, bf16
where the CPU has it), with the model's ConditionalChannels and then with them removed (the same
weights otherwise), interleaved over the repeats; the medians are printed. Measure on an idle
machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from securecomp.codec import zoo  # noqa: E402
from securecomp.codec.catalog import CONTINUOUS_MODEL, model_for  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights", type=Path)
    parser.add_argument("--size", default="768x512", help="WIDTHxHEIGHT (a Kodak image)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quality", type=float, default=6.0)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    state = zoo.weights_of(torch.load(args.weights, map_location="cpu", weights_only=True))
    model = model_for(CONTINUOUS_MODEL, like=state)
    model.load_state_dict(state)
    model.eval()
    if model.conditioning is None:
        raise SystemExit(f"{args.weights} has no conditional channels")
    width, height = map(int, args.size.split("x"))
    x, q = torch.rand(1, 3, height, width), torch.tensor([args.quality])
    y = torch.randn(1, model.M, height // 16, width // 16)
    variants = {"with": model.conditioning, "without": None}
    seconds: dict[str, dict[str, list[float]]] = {name: {"g_a": [], "g_s": []} for name in variants}
    with torch.no_grad():
        for repeat in range(args.repeats + 1):                     # the first round warms up
            for name, conditioning in variants.items():
                model.conditioning = conditioning
                for part, run in (("g_a", lambda: model.analyse_y(x, q)), ("g_s", lambda: model.synthesise(y, q))):
                    start = time.perf_counter()
                    run()
                    if repeat:
                        seconds[name][part].append(time.perf_counter() - start)
    for part in ("g_a", "g_s"):
        plain = statistics.median(seconds["without"][part])
        conditioned = statistics.median(seconds["with"][part])
        print(f"{part}: {plain:.4f} s without, {conditioned:.4f} s with the conditional channels "
              f"({conditioned / plain - 1:+.1%})")


if __name__ == "__main__":
    main()
