"""The continuous-rate learned codec's own checks on Kodak, for the model card (docs/codec.md).

    python benchmarks/codec_checks.py [continuous] [effort] [seams] [context]     (default: all)

- continuous: two Kodak images at q = 1, 1.5, ..., 8 (and 3.3): bpp and PSNR per quality;
- effort: four Kodak images at q 2, 4, 6 with effort "default" and "max": bpp, PSNR, seconds, and
  the BD-rate of max against default over the mean curves;
- seams: kodim23 upscaled 2x (1536x1024, bicubic) at q 4: the largest jump of the coding error
  across a row or column that is a multiple of 16, over the median of the 16 lines around it
  (analysis/seams.py), for the continuous model and for the per-quality model it replaces;
- context: what the checkerboard context gives on the shipped weights: the first ten images of
  val/gb82 at qualities 1..8 coded with the context and with its correction switched off (the
  parameter network's last layer zeroed: the same transforms coding as a plain mean-scale
  hyperprior), the BD-rate between the two, and the decode seconds of each.
Each writes docs/codec-<check>.json. Measure on an idle machine: the times are part of the result.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from securecomp.analysis import ratedistortion as bench  # noqa: E402
from securecomp.analysis.seams import max_seam_ratio  # noqa: E402
from securecomp.codec.bitstream import compress, decompress  # noqa: E402
from securecomp.codec.catalog import CONTINUOUS_MODEL  # noqa: E402
from securecomp.codec.learned import DEFAULT_MODEL  # noqa: E402

KODAK = ROOT.parent / "shared" / "datasets" / "kodak"
GB82 = ROOT.parent / "shared" / "datasets" / "val" / "gb82"
DOCS = ROOT / "docs"
MODEL = CONTINUOUS_MODEL


def codec_of(model: str) -> str:
    """The codec id a shipped model is registered under ("learned" for the default one)."""
    return "learned" if model == DEFAULT_MODEL else model
CONTINUOUS_IMAGES = ("kodim04", "kodim19")
EFFORT_IMAGES = ("kodim01", "kodim07", "kodim14", "kodim21")
CONTINUOUS_QUALITIES = [1 + 0.5 * i for i in range(15)] + [3.3]


def _kodak(name: str) -> Image.Image:
    with Image.open(KODAK / f"{name}.png") as im:
        return im.convert("RGB")


def continuous() -> dict:
    rows = {name: [bench.measure(_kodak(name), codec_of(MODEL), q) | {"quality": q} for q in CONTINUOUS_QUALITIES]
            for name in CONTINUOUS_IMAGES}
    return {"model": MODEL, "images": rows}


def effort() -> dict:
    curves = {}
    for level in ("default", "max"):
        curves[level] = []
        for quality in (2, 4, 6):
            rows = [bench.measure(_kodak(name), codec_of(MODEL), quality, effort=level) for name in EFFORT_IMAGES]
            curves[level].append({k: float(np.mean([r[k] for r in rows])) for k in ("bpp", "psnr", "encode_s")}
                                 | {"quality": quality})
    bd = bench.bd_rate(bench.curve(curves["default"]), bench.curve(curves["max"]))
    return {"model": MODEL, "images": list(EFFORT_IMAGES), "curves": curves, "bd_rate_max_vs_default": bd}


def seams() -> dict:
    image = _kodak("kodim23")
    big = image.resize((image.width * 2, image.height * 2), Image.BICUBIC)
    decoded = decompress(compress(big, codec=codec_of(MODEL), quality=4))
    ratio, where = max_seam_ratio(np.asarray(big), np.asarray(decoded))
    return {"image": "kodim23 upscaled 2x (1536x1024, bicubic)", "quality": 4,
            "result": {MODEL: {"max_ratio": ratio, "where": where}}}


def context() -> dict:
    import torch

    from securecomp.codec import zoo

    model = zoo.load(MODEL, 0)
    images = [Image.open(path).convert("RGB") for path in sorted(GB82.glob("*.png"))[:10]]
    curves = {}
    last = model.parameter_net[-1]
    kept = [p.detach().clone() for p in last.parameters()]
    for variant in ("with context", "without"):
        if variant == "without":
            with torch.no_grad():
                for p in last.parameters():
                    p.zero_()
        curves[variant] = [{k: float(np.mean([r[k] for r in rows])) for k in ("bpp", "psnr", "decode_s")}
                           | {"quality": q}
                           for q in range(1, 9) for rows in [[bench.measure(im, codec_of(MODEL), q) for im in images]]]
    with torch.no_grad():
        for p, value in zip(last.parameters(), kept):
            p.copy_(value)
    bd = bench.bd_rate(bench.curve(curves["without"]), bench.curve(curves["with context"]))
    return {"model": MODEL, "images": "val/gb82, first 10", "curves": curves, "bd_rate_context_vs_none": bd}


CHECKS = {"continuous": continuous, "effort": effort, "seams": seams, "context": context}


def main() -> None:
    for name in sys.argv[1:] or list(CHECKS):
        result = CHECKS[name]()
        path = DOCS / f"codec-{name}.json"
        path.write_text(json.dumps(result, indent=1) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
