"""Seconds per training step of the continuous-rate model on this CPU, per setting.

    python benchmarks/bench_train_step.py [--model ID] [--steps 8] [--threads 1 2] [--shapes 2x256]

Settings: float32 vs bf16 autocast (AVX-512 BF16), NCHW vs channels_last, batch × crop, and with
--compile torch.compile on top of bf16 + channels_last (session 8, 1 thread beside a training run, 2 × 256²:
0.414 s against 0.429 s eager, after 67 s of compiling: not worth it). Random
data: the step's cost does not depend on the pixels. The first two steps are warm-up.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time

import torch

from securecomp.codec import zoo
from securecomp.codec.catalog import CONTINUOUS_MODEL, model_for
from securecomp.codec.meanscale import lambda_of
from securecomp.codec.models import parameter_groups
from securecomp.codec.train import rate_distortion


def seconds_per_step(batch: int, crop: int, bf16: bool, channels_last: bool, steps: int,
                     compiled: bool = False, model_id: str = CONTINUOUS_MODEL) -> float:
    torch.manual_seed(0)
    model = model_for(model_id, like=zoo.load(model_id, 4).state_dict()).train()   # the shipped widths
    for module in model.modules():
        if hasattr(module, "mixed"):
            module.mixed = True
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    main, _ = parameter_groups(model)
    optimizer = torch.optim.Adam(main, lr=1e-5)
    forward = torch.compile(model) if compiled else model
    times = []
    for _ in range(steps + 2):
        x = torch.rand(batch, 3, crop, crop)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        quality = torch.rand(batch) * 7 + 1
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out = forward(x, quality)
        loss = rate_distortion(out, x, lambda_of(quality))["loss"]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        times.append(time.perf_counter() - start)
    return sum(times[2:]) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=CONTINUOUS_MODEL, help="a continuous-rate model id")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--threads", type=int, nargs="+", default=[2])
    parser.add_argument("--shapes", nargs="+", default=["2x256", "8x128"])
    parser.add_argument("--compile", action="store_true", help="also torch.compile the model (bf16, channels_last)")
    args = parser.parse_args()
    settings = list(itertools.product((False, True), (False, True), (False,)))
    if args.compile:
        settings += [(True, True, True)]
    for threads, shape, (bf16, last, compiled) in itertools.product(args.threads, args.shapes, settings):
        torch.set_num_threads(threads)
        batch, crop = map(int, shape.split("x"))
        s = seconds_per_step(batch, crop, bf16, last, args.steps, compiled, args.model)
        print(json.dumps({"model": args.model, "threads": threads, "batch": batch, "crop": crop, "bf16": bf16,
                          "channels_last": last, "compiled": compiled,
                          "s_per_step": round(s, 3), "kpixels_per_s": round(batch * crop * crop / s / 1000)}),
              flush=True)


if __name__ == "__main__":
    main()
