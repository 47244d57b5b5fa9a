"""The continuous-rate learned codec's own checks on Kodak, for the model card (docs/codec.md).

    python benchmarks/codec_checks.py [continuous] [effort] [seams]     (default: all three)

- continuous: two Kodak images at q = 1, 1.5, ..., 8 (and 3.3): bpp and PSNR per quality;
- effort: four Kodak images at q 2, 4, 6 with effort "default" and "max": bpp, PSNR, seconds, and
  the BD-rate of max against default over the mean curves;
- seams: kodim23 upscaled 2x (1536x1024, bicubic) at q 4: the largest jump of the coding error
  across a row or column that is a multiple of 16, over the median of the 16 lines around it
  (analysis/seams.py), for the continuous model and for the per-quality model it replaces.
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
from securecomp.codec.learned import DEFAULT_MODEL  # noqa: E402

KODAK = ROOT.parent / "shared" / "datasets" / "kodak"
DOCS = ROOT / "docs"
MODEL = "mbt2018-mean-gain"
OLD_MODEL = "bmshj2018-hyperprior"


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
    result = {}
    for model in (MODEL, OLD_MODEL):
        decoded = decompress(compress(big, codec=codec_of(model), quality=4))
        ratio, where = max_seam_ratio(np.asarray(big), np.asarray(decoded))
        result[model] = {"max_ratio": ratio, "where": where}
    return {"image": "kodim23 upscaled 2x (1536x1024, bicubic)", "quality": 4, "result": result}


CHECKS = {"continuous": continuous, "effort": effort, "seams": seams}


def main() -> None:
    for name in sys.argv[1:] or list(CHECKS):
        result = CHECKS[name]()
        path = DOCS / f"codec-{name}.json"
        path.write_text(json.dumps(result, indent=1) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
