"""Start-up time of the ``securecomp`` command line (issue 18), on demand: not a timed test.

Runs each command in a fresh subprocess --runs times (default 5) in a temporary folder holding a
64x64 PNG, a key made by ``keygen`` and a container made by ``encrypt --codec webp``, and reports
the minimum wall time of each against its target:

    securecomp --help                         <= 0.5 s
    securecomp keygen, securecomp inspect     <= 0.6 s
    encrypt / decrypt of the PNG, --codec webp <= 1.0 s

``python -c pass`` is measured too, as the floor any command pays (no target). Prints a table;
--json PATH also writes the numbers. Exits 1 when a command misses its target (or fails), so a
slow import shows up when this is run; the load of the machine is printed beside the table,
because other processes slow every row alike.

    python benchmarks/bench_startup.py [--runs 5] [--json startup.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

HELP_TARGET = 0.5
SMALL_TARGET = 0.6
CODEC_TARGET = 1.0


def securecomp_command() -> list[str]:
    """The installed ``securecomp`` script beside this Python, else ``python -m securecomp``."""
    script = Path(sys.executable).with_name("securecomp")
    return [str(script)] if script.exists() else [sys.executable, "-m", "securecomp"]


def prepare(folder: Path, securecomp: list[str]) -> None:
    """image.png (64x64 RGB), secret.key and image.sc (webp) in ``folder``."""
    pixels = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(folder / "image.png")
    subprocess.run([*securecomp, "keygen", "-o", "secret.key"], cwd=folder, check=True, capture_output=True)
    subprocess.run([*securecomp, "encrypt", "image.png", "-o", "image.sc", "--key-file", "secret.key",
                    "--codec", "webp"], cwd=folder, check=True, capture_output=True)


def cases(securecomp: list[str]) -> list[tuple[str, list[str], float | None]]:
    """(name, argv, target in seconds or None) of every measured command."""
    return [
        ("python -c pass", [sys.executable, "-c", "pass"], None),
        ("securecomp --help", [*securecomp, "--help"], HELP_TARGET),
        ("securecomp encrypt --help", [*securecomp, "encrypt", "--help"], HELP_TARGET),
        ("securecomp keygen", [*securecomp, "keygen", "-o", "fresh.key", "--force"], SMALL_TARGET),
        ("securecomp inspect", [*securecomp, "inspect", "image.sc"], SMALL_TARGET),
        ("securecomp encrypt --codec webp", [*securecomp, "encrypt", "image.png", "-o", "again.sc", "--key-file",
                                             "secret.key", "--codec", "webp", "--force"], CODEC_TARGET),
        ("securecomp decrypt (webp)", [*securecomp, "decrypt", "image.sc", "-o", "restored.png", "--key-file",
                                       "secret.key", "--force"], CODEC_TARGET),
    ]


def time_runs(argv: list[str], folder: Path, runs: int) -> tuple[list[float], str | None]:
    """Wall seconds of each run; the error text of the first failing run, if any."""
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, cwd=folder, capture_output=True, text=True)
        seconds.append(time.perf_counter() - start)
        if done.returncode != 0:
            return seconds, f"exit {done.returncode}: {done.stderr.strip()[:300]}"
    return seconds, None


def measure(runs: int) -> dict:
    securecomp = securecomp_command()
    folder = Path(tempfile.mkdtemp(prefix="securecomp-startup-"))
    try:
        prepare(folder, securecomp)
        rows = []
        for name, argv, target in cases(securecomp):
            seconds, error = time_runs(argv, folder, runs)
            best = min(seconds)
            rows.append({"command": name, "target_s": target, "min_s": round(best, 4),
                         "median_s": round(float(np.median(seconds)), 4), "runs": len(seconds), "error": error,
                         "ok": error is None and (target is None or best <= target)})
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"runs": runs, "python": platform.python_version(), "machine": platform.machine(),
            "cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()],
            "environment": {name: os.environ[name] for name in ("OMP_NUM_THREADS",) if name in os.environ},
            "commands": rows, "ok": all(row["ok"] for row in rows)}


def table(result: dict) -> str:
    lines = [f"{'command':34s} {'min s':>7s} {'median s':>9s} {'target s':>9s}  result",
             "-" * 70]
    for row in result["commands"]:
        target = "-" if row["target_s"] is None else f"{row['target_s']:.1f}"
        verdict = "ok" if row["ok"] else ("FAILED" if row["error"] else "MISSED")
        if row["target_s"] is None and row["ok"]:
            verdict = "(floor)"
        lines.append(f"{row['command']:34s} {row['min_s']:7.3f} {row['median_s']:9.3f} {target:>9s}  {verdict}")
        if row["error"]:
            lines.append(f"    {row['error']}")
    load = ", ".join(f"{x:.2f}" for x in result["load_average"])
    lines.append(f"minimum of {result['runs']} runs each; {result['cpus']} CPUs, load average {load}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per command (default %(default)s)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args()
    result = measure(max(1, args.runs))
    print(table(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
