"""Throughput of `securecomp batch encrypt` with 1 and 2 local workers and a local Dask cluster.

    .venv/bin/python benchmarks/bench_batch.py                 # Kodak x2 (48 images) when present
    .venv/bin/python benchmarks/bench_batch.py --copies 4 --codec png --json out.json

Inputs: ../shared/datasets/kodak (24 PNG, 768x512) copied --copies times, or, when that folder is
absent, as many generated 512x512 landscapes. Prints images/s per configuration, the parallel
efficiency (rate with N workers / (N x rate with 1)), and each worker's peak RSS (ru_maxrss).
The process pool's start-up is inside its time; the Dask cluster is started before the clock
(its start-up is printed apart), as a long-lived cluster would be.

Two more figures put these in context: the time of each stage for one image (PNG decode, codec,
cipher + container), and the CPU ceiling, a pure-Python loop timed in 1 and in 2 processes at
once; on a machine whose 2 CPUs are shared or hyperthreads, 2 workers cannot beat that ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from securecomp.api import _seal  # noqa: E402
from securecomp.batch import run_batch  # noqa: E402
from securecomp.codec.bitstream import encode_image, resolve_codec  # noqa: E402
from securecomp.images import to_image  # noqa: E402

KODAK = ROOT.parent / "shared" / "datasets" / "kodak"
KEY = bytes(range(32))


def make_inputs(folder: Path, copies: int) -> str:
    sources = sorted(KODAK.glob("*.png")) if KODAK.is_dir() else []
    if sources:
        for copy in range(copies):
            for path in sources:
                shutil.copy(path, folder / f"{copy}-{path.name}")
        return f"Kodak ({len(sources)} images 768x512) x {copies}"
    from securecomp._sample import landscape
    for index in range(24 * copies):
        Image.fromarray(landscape(512, seed=index)).save(folder / f"generated-{index:03d}.png")
    return f"generated 512x512 landscapes, {24 * copies} images (Kodak not found at {KODAK})"


def measure(name: str, inputs: Path, work: Path, options: dict, **runner) -> dict:
    out = work / f"out-{name}"
    start = time.perf_counter()
    summary = run_batch("encrypt", inputs, out, key=KEY, progress=False, **options, **runner)
    seconds = time.perf_counter() - start
    shutil.rmtree(out)
    peaks = sorted(kib / 1024 for kib in summary.peak_rss_kib.values())
    return {"config": name, "images": summary.done, "seconds": round(seconds, 2),
            "images_per_s": round(summary.done / seconds, 2), "peak_rss_mib_per_worker": [round(p) for p in peaks]}


def stages(inputs: Path, options: dict, count: int = 6) -> dict:
    """Mean milliseconds per image of each stage, in this process."""
    totals = {"read_ms": 0.0, "codec_ms": 0.0, "cipher_ms": 0.0}
    paths = sorted(inputs.iterdir())[:count]
    for path in paths:
        start = time.perf_counter()
        image = to_image(str(path))
        read = time.perf_counter()
        info, body = encode_image(image, *resolve_codec(image, options["codec"], options["quality"]))
        coded = time.perf_counter()
        _seal(info, body, suite=options["cipher"], key=KEY, password=None, nonce=bytes(16), kdf=None)
        sealed = time.perf_counter()
        for name, seconds in zip(totals, (read - start, coded - read, sealed - coded)):
            totals[name] += seconds * 1000 / len(paths)
    return {name: round(value, 1) for name, value in totals.items()}


def _spin(n: int) -> float:
    start, total = time.perf_counter(), 0
    for i in range(n):
        total += i * i
    return time.perf_counter() - start


def cpu_ceiling(n: int = 5_000_000) -> float:
    """Speed-up of 2 processes over 1 on a pure CPU loop: the most 2 workers can give here."""
    alone = _spin(n)
    with ProcessPoolExecutor(2) as pool:
        pool.submit(_spin, 1000).result()           # start both processes before the clock
        start = time.perf_counter()
        list(pool.map(_spin, [n, n]))
        together = time.perf_counter() - start
    return round(2 * alone / together, 2)


def dask_run(inputs: Path, work: Path, options: dict, workers: int) -> dict:
    from distributed import Client, LocalCluster

    start = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        started = time.perf_counter() - start
        result = measure(f"dask-local-{workers}", inputs, work, options, dask=client)
    return result | {"cluster_start_s": round(started, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=2)
    parser.add_argument("--codec", default="webp")
    parser.add_argument("--quality", type=int, default=6)
    parser.add_argument("--cipher", default="chaos+aes")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    options = {"codec": args.codec, "quality": args.quality, "cipher": args.cipher}
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        work = Path(tmp)
        (work / "in").mkdir()
        source = make_inputs(work / "in", args.copies)
        print(f"inputs: {source}; codec {args.codec} q{args.quality}, {args.cipher}, raw key", flush=True)
        ceiling, per_stage = cpu_ceiling(), stages(work / "in", options)
        print(f"cpu ceiling (2 processes / 1): {ceiling}x; per image: {per_stage}", flush=True)
        results = [measure("workers-1", work / "in", work, options, workers=1),
                   measure("workers-2", work / "in", work, options, workers=2),
                   dask_run(work / "in", work, options, 2)]
    base = results[0]["images_per_s"]
    for result in results:
        workers = 1 if result["config"] == "workers-1" else 2
        result["parallel_efficiency"] = round(result["images_per_s"] / (workers * base), 2)
        print(json.dumps(result))
    report = {"inputs": source, "options": options, "cpus": os.cpu_count(), "load_average": os.getloadavg(),
              "cpu_ceiling_2_over_1": ceiling, "stages_ms_per_image": per_stage,
              "machine": platform.platform(), "python": platform.python_version(), "results": results}
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
