"""Model zoo: trained weights shipped inside the package, sha256-checked at load.

``weights/manifest.json`` lists, per model id and quality, the file, its SHA-256 and how it was
trained; a continuous-rate model (one file for every quality) has the single key ``"*"``. Weight files hold fp16 parameters and the integer CDF tables (int32 buffers) that make the
bitstream decode identically everywhere; tables are never rebuilt at load time.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import CodecError, ParameterError

if TYPE_CHECKING:       # torch is imported when a model is loaded, not with the package
    import torch

    from .models import CompressionModel

DEFAULT_MODEL = "he2021-checkerboard-gain"   # the model of codec "learned"
WEIGHTS = Path(__file__).resolve().parent / "weights"
MANIFEST = WEIGHTS / "manifest.json"
RETIRED = Path(__file__).resolve().parent / "retired-weights.json"  # weights that no longer ship, and which securecomp reads them


def manifest() -> dict:
    if not MANIFEST.exists():
        return {}
    return json.loads(MANIFEST.read_text())


ALL_QUALITIES = "*"      # manifest key of a continuous-rate model's one file


def qualities(model_id: str) -> list[int]:
    """The integer qualities of ``model_id`` that ship with this installation."""
    entries = manifest().get(model_id, {})
    if ALL_QUALITIES in entries:
        return list(range(1, 9))
    return sorted(int(q) for q in entries)


def is_continuous(model_id: str) -> bool:
    """True when ``model_id`` ships as one continuous-rate model (real qualities in [1, 8])."""
    return ALL_QUALITIES in manifest().get(model_id, {})


def weights_tag(model_id: str) -> bytes:
    """4 bytes that name the shipped weights of a continuous-rate model (the first bytes of its
    file's SHA-256): its bodies carry them, so other weights of the same model are never used to
    decode them."""
    entry = manifest().get(model_id, {}).get(ALL_QUALITIES)
    if entry is None:
        raise CodecError(f"no trained weights for {model_id}", hint="use a shipped model or a classical codec")
    return bytes.fromhex(entry["sha256"][:8])


def reader_of(model_id: str, tag: str) -> str | None:
    """Which securecomp wrote (and reads) the bodies of retired weights of ``model_id``: ``tag`` is
    their 8 hex digits, "body-2" for the untagged bodies of version 2, or "*" for a whole model
    that no longer ships; None when unknown."""
    return json.loads(RETIRED.read_text()).get(model_id, {}).get(tag) if RETIRED.exists() else None


def refuse_retired(model_id: str) -> None:
    """Images of a model this installation no longer ships fail with a CodecError naming the
    securecomp that reads them (retired-weights.json, key "*"); never decoded with other weights."""
    if model_id and model_id not in manifest() and (reader := reader_of(model_id, ALL_QUALITIES)):
        raise CodecError(f"this image was coded with model {model_id}, which this securecomp no longer ships",
                         hint=f"decode it with {reader}")


def shipped_record(path: str | Path) -> dict | None:
    """The manifest entry of a shipped weights file (matched by SHA-256, with its model id and
    quality), or None for any other file."""
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    for model_id, entries in manifest().items():
        for quality, entry in entries.items():
            if entry["sha256"] == digest:
                return {"model": model_id, "quality": None if quality == ALL_QUALITIES else int(quality), **entry}
    return None


def pick_device(name: str = "auto") -> torch.device:
    """"auto" (CUDA where present, else the CPU), "cpu" or "cuda"."""
    import torch

    if name not in ("auto", "cpu", "cuda"):
        raise ParameterError(f"unknown device {name!r}", hint="use auto, cpu or cuda")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ParameterError("device cuda was asked for, but no CUDA device is available",
                             hint="use the CPU (device cpu), or run on a machine with a CUDA GPU")
    return torch.device(name)


def load(model_id: str, quality: int, device: str = "cpu") -> CompressionModel:
    """The shipped model for ``quality`` in eval mode (float32 on ``device``); raises CodecError if
    absent or damaged. A continuous-rate model is one object for every quality."""
    key = ALL_QUALITIES if is_continuous(model_id) else str(quality)
    return _load(model_id, key, device)


def clear_cache() -> None:
    """Forget the loaded models (after the weights or the manifest changed)."""
    _load.cache_clear()


@lru_cache(maxsize=16)
def _load(model_id: str, key: str, device: str) -> CompressionModel:
    entry = manifest().get(model_id, {}).get(key)
    if entry is None:
        shipped = ", ".join(map(str, qualities(model_id))) or "none"
        raise CodecError(f"no trained weights for {model_id} at quality {key} (shipped: {shipped})",
                         hint="choose a shipped quality, or a classical codec with --codec")
    data = (WEIGHTS / entry["file"]).read_bytes()
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise CodecError(f"weights file {entry['file']} fails its SHA-256 check",
                         hint="the installation is damaged; reinstall securecomp")
    import torch

    from .catalog import model_for

    state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    model = model_for(model_id, None if key == ALL_QUALITIES else int(key), like=state)
    model.load_state_dict(state)
    return model.eval().to(device)


def _shipping_state(model: CompressionModel) -> dict[str, torch.Tensor]:
    """Parameters rounded to fp16 (the tables were built from these rounded values); buffers as is."""
    parameters = {name for name, _ in model.named_parameters()}
    return {name: (value.half() if name in parameters else value).clone()
            for name, value in model.state_dict().items()}


def save_start(source: Path, out: Path, change: str, derive: Callable[[dict], dict]) -> None:
    """Save ``derive`` of the weights of ``source`` (a checkpoint: its moving average, or a weights
    file) as a training start (``securecomp train --init``) that records ``change`` (e.g. "pruned
    to M = 160"), ``source`` and the step it was saved at, so that scripts/export_weights.py
    follows it back to its run."""
    import torch

    saved = torch.load(source, map_location="cpu", weights_only=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": derive(weights_of(saved)), "derived_from": str(source), "change": change,
                "step": saved.get("step", 0)}, out)


def weights_of(state: dict) -> dict:
    """The weights a training checkpoint stands for (its moving average where it has one), or a
    weights file's own."""
    return state.get("ema") or state.get("model", state)


def export(checkpoint: str | Path, model_id: str, quality: int | None, *, record: dict) -> Path:
    """Turn a training checkpoint into a shipped weights file and its manifest entry (``quality``
    None: a continuous-rate model, one file for every quality)."""
    import torch

    from .catalog import model_for

    state = weights_of(torch.load(checkpoint, map_location="cpu", weights_only=True))
    model = model_for(model_id, quality, like=state)
    model.load_state_dict(state)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(parameter.half().float())
    model.update_tables()
    buffer = io.BytesIO()
    torch.save(_shipping_state(model), buffer)
    name = f"{model_id}.pt" if quality is None else f"{model_id}-q{quality}.pt"
    WEIGHTS.mkdir(exist_ok=True)
    (WEIGHTS / name).write_bytes(buffer.getvalue())
    entries = manifest()
    entries.setdefault(model_id, {})[ALL_QUALITIES if quality is None else str(quality)] = {
        "file": name, "sha256": hashlib.sha256(buffer.getvalue()).hexdigest(), **record}
    MANIFEST.write_text(json.dumps(entries, indent=1, sort_keys=True) + "\n")
    clear_cache()
    return WEIGHTS / name
