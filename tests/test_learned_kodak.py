"""Quality ranges of the shipped learned codec on Kodak (skips where ../shared/datasets is absent).

The ranges bracket what `make model-card` measured for the CPU-trained weights (docs/codec.md) on
the first three Kodak images; a regression in the codec or the weights moves them out.
"""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from securecomp.codec.bench import measure

KODAK = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "kodak"
pytestmark = pytest.mark.skipif(not KODAK.is_dir(), reason="../shared/datasets/kodak is not present")


@pytest.mark.parametrize("quality,bpp_range,psnr_range", [
    (2, (0.25, 0.32), (28.2, 29.1)),      # measured 0.285 bpp, 28.68 dB
    (6, (1.08, 1.33), (34.1, 35.0)),      # measured 1.204 bpp, 34.58 dB
])
def test_learned_codec_stays_in_its_measured_kodak_range(quality, bpp_range, psnr_range):
    rows = [measure(Image.open(KODAK / f"kodim0{i}.png").convert("RGB"), "learned", quality) for i in (1, 2, 3)]
    bpp, psnr = np.mean([r["bpp"] for r in rows]), np.mean([r["psnr"] for r in rows])
    assert bpp_range[0] <= bpp <= bpp_range[1]
    assert psnr_range[0] <= psnr <= psnr_range[1]
