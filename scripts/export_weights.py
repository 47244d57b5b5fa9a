"""Ship a training run's checkpoint as package weights: `python scripts/export_weights.py RUN_DIR`.

Reads RUN_DIR/checkpoint.pt and RUN_DIR/log.jsonl (written by `securecomp train`), rounds the
parameters to fp16, builds the integer CDF tables from the rounded weights, and records data,
steps, hardware, wall time and the last validation in securecomp/codec/weights/manifest.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from securecomp.codec import zoo  # noqa: E402
from securecomp.codec.train import LAMBDAS  # noqa: E402


def run_record(run: Path) -> dict:
    events = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    starts = [e for e in events if e["event"] == "start"]
    config = starts[-1]["config"]
    wall = sum(later["time"] - start["time"] for start, later in _sessions(events))
    val = [e for e in events if e["event"] == "val"]
    init = config.get("init")
    steps = torch.load(run / "checkpoint.pt", weights_only=False)["step"]
    inherited = torch.load(init, weights_only=False)["step"] if init else 0
    return {"lambda": LAMBDAS[config["quality"]], "steps": steps, "total_steps": steps + inherited,
            "init": Path(init).parent.name if init else "scratch", "data": config["data"],
            "crop": config["crop"], "batch_size": config["batch_size"], "lr": config["lr"],
            "hardware": f"{_cpu_name()}, 1 thread ({starts[-1]['device']})",
            "wall_minutes": wall / 60, "val_psnr": val[-1]["psnr"] if val else float("nan"),
            "val_bpp": val[-1]["bpp"] if val else float("nan")}


def _cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def _sessions(events: list[dict]):
    """(start, last event) pairs of each run session in the log (a resume starts a new one)."""
    session = []
    for event in events:
        if event["event"] == "start" and session:
            yield session[0], session[-1]
            session = []
        session.append(event)
    if session:
        yield session[0], session[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("runs", nargs="+", type=Path)
    args = parser.parse_args()
    for run in args.runs:
        config = json.loads((run / "log.jsonl").read_text().splitlines()[0])["config"]
        path = zoo.export(run / "checkpoint.pt", config["model"], config["quality"], record=run_record(run))
        print(f"{run} -> {path} ({path.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
