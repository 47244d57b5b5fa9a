"""Ship a training run's checkpoint as package weights: `python scripts/export_weights.py RUN_DIR`.

Reads RUN_DIR/checkpoint.pt (with --best: RUN_DIR/best.pt, the lowest validation loss) and
RUN_DIR/log.jsonl (written by `securecomp train`), rounds the parameters to fp16, builds the
integer CDF tables from the rounded weights, and records data, steps, hardware, wall time, the
chain of runs behind it and its validation in securecomp/codec/weights/manifest.json.
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
from securecomp.codec.meanscale import LAMBDAS  # noqa: E402
from securecomp.codec.train import PER_QUALITY_LAMBDAS  # noqa: E402


def run_record(weights: Path) -> dict:
    """The manifest record of a run's checkpoint.pt or best.pt."""
    run = weights.parent
    config, _, _ = _run_log(run)
    lineage = _lineage(weights)
    last = lineage[-1]
    return {"lambda": _lambdas(config["quality"]), "steps": last["steps"],
            "total_steps": sum(stage["steps"] for stage in lineage),
            "init": " → ".join(stage["run"] for stage in lineage[:-1]) or "scratch", "run": run.name,
            "data": config["data"],
            "crop": config["crop"], "batch_size": config["batch_size"], "lr": config["lr"],
            "quantization": config.get("quantization", "noise"), "latent_gain": config.get("latent_gain", 1.0),
            "ema": config.get("ema", 0.0),
            "hardware": f"{_cpu_name()}, {config['threads']} thread{'s' * (config['threads'] > 1)} "
                        f"({config['device_used']})",
            "wall_minutes": last["wall_minutes"], "total_wall_minutes": sum(stage["wall_minutes"] for stage in lineage),
            **_last_validation([last["val"]] if last["val"] else []),
            **({"stages": _stages(lineage)} if config["quality"] is None else {})}


def _stages(lineage: list[dict]) -> list[dict]:
    """The training log of a continuous model: every run of its chain (a shipped start contributes
    the stages its own record lists) with steps, wall minutes and its last validation."""
    stages = []
    for stage in lineage:
        stages += stage.get("stages") or [{k: stage[k] for k in ("run", "steps", "wall_minutes", "val", "config")}]
    return stages


def _last_validation(val: list[dict]) -> dict:
    """val_psnr / val_bpp of the last validation (per validated quality for a continuous model)."""
    if not val:
        return {"val_psnr": float("nan"), "val_bpp": float("nan")}
    last = val[-1]
    if "psnr" in last:
        return {"val_psnr": last["psnr"], "val_bpp": last["bpp"]}
    return {"val_psnr": {k[5:]: v for k, v in last.items() if k.startswith("psnr@")},
            "val_bpp": {k[4:]: v for k, v in last.items() if k.startswith("bpp@")}}


def _lambdas(quality: int | None) -> float | list[float]:
    """The λ a run trained for: one quality's, or every integer quality's for a continuous model."""
    return list(LAMBDAS) if quality is None else PER_QUALITY_LAMBDAS[quality]


def _run_log(run: Path, upto: float = float("inf")) -> tuple[dict, float, list[dict]]:
    """A run's last config (with the device it used and the checkpoint its first session started
    from: a resumed session names no --init), its wall seconds over all sessions up to step
    ``upto``, its validations."""
    events = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    starts = [e for e in events if e["event"] == "start"]
    config = starts[-1]["config"] | {"device_used": starts[-1]["device"], "threads": starts[-1].get("threads", 1),
                                     "init": starts[0]["config"].get("init"),
                                     "init_shipped": starts[0].get("init_shipped")}
    wall = sum(later["time"] - start["time"] for start, later in _sessions([e for e in events if e["step"] <= upto]))
    return config, wall, [e for e in events if e["event"] == "val"]


def _lineage(weights: Path) -> list[dict]:
    """{run, steps (up to ``weights``), wall_minutes, val (the last validation up to there),
    config} per run, from the run trained from scratch down to the one that saved ``weights``; a
    run started from shipped weights takes that file's manifest record as the start of its chain,
    and one started from weights derived from a run (zoo.save_start: pruned, widened) continues
    with that run, its stage noting the change."""
    chain = []
    while True:
        step = torch.load(weights, weights_only=True)["step"]
        config, wall, val = _run_log(weights.parent, upto=step)
        val = [{k: v for k, v in e.items() if k not in ("event", "time")} for e in val if e["step"] <= step]
        recipe = {k: config.get(k) for k in ("lr", "batch_size", "crop", "quantization", "ema", "precision", "threads")}
        chain.append({"run": weights.parent.name, "steps": step, "wall_minutes": wall / 60,
                      "val": val[-1] if val else None, "config": recipe})
        init = Path(config["init"]) if config.get("init") else None
        derived = _derived_start(init)
        if derived:
            chain[-1]["config"]["change"] = derived["change"]
            init = Path(derived["derived_from"])
        if init is None or not (init.parent / "log.jsonl").exists():
            return ([_shipped_lineage(init, config["init_shipped"])] if init else []) + chain[::-1]
        weights = init


def _derived_start(init: Path | None) -> dict | None:
    """What zoo.save_start recorded in a start it wrote (derived_from, change), else None."""
    if init is None or not init.exists() or init.suffix != ".pt":
        return None
    saved = torch.load(init, map_location="cpu", weights_only=True)
    return saved if "derived_from" in saved else None


def _shipped_lineage(weights: Path, entry: dict | None) -> dict:
    """The chain behind a shipped weights file: its manifest entry as the run logged it when it
    started (the file may have been exported over since), else the entry whose SHA-256 it matches."""
    entry = entry or zoo.shipped_record(weights)
    if entry is None:
        raise SystemExit(f"{weights} is not in the manifest (was it exported since the run started from it?)")
    name = entry.get("run", f"shipped q{entry['quality']} ({entry['sha256'][:8]})")
    chain = name if entry["init"] == "scratch" else f"{entry['init']} → {name}"
    stage = {"run": chain, "steps": entry["total_steps"], "wall_minutes": entry["total_wall_minutes"],
             "val": None, "config": None}
    return stage | ({"stages": entry["stages"]} if "stages" in entry else {})


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
    parser.add_argument("--best", action="store_true", help="export each run's best.pt, not its latest checkpoint")
    args = parser.parse_args()
    files = [run / ("best.pt" if args.best else "checkpoint.pt") for run in args.runs]
    records = {weights: run_record(weights) for weights in files}    # before any export changes the manifest
    for weights, record in records.items():
        config = json.loads((weights.parent / "log.jsonl").read_text().splitlines()[0])["config"]
        path = zoo.export(weights, config["model"], config["quality"], record=record)
        print(f"{weights} -> {path} ({path.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
