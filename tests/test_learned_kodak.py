"""Quality ranges of the shipped learned codec on Kodak (skips where ../shared/datasets is absent).

The ranges bracket what `make model-card` measured for the CPU-trained weights (docs/codec.md) on
the first three Kodak images; a regression in the codec or the weights moves them out.
"""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from securecomp.analysis.ratedistortion import measure
from securecomp.codec.catalog import CONTINUOUS_MODEL

KODAK = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "kodak"
pytestmark = pytest.mark.skipif(not KODAK.is_dir(), reason="../shared/datasets/kodak is not present")


@pytest.mark.parametrize("quality,bpp_range,psnr_range", [
    (2, (0.245, 0.285), (29.90, 30.70)),  # measured 0.262 bpp, 30.30 dB (session 19's weights ce184474)
    (6, (0.99, 1.11), (36.25, 37.05)),    # measured 1.048 bpp, 36.65 dB
])
def test_learned_codec_stays_in_its_measured_kodak_range(quality, bpp_range, psnr_range):
    rows = [measure(Image.open(KODAK / f"kodim0{i}.png").convert("RGB"), "learned", quality) for i in (1, 2, 3)]
    bpp, psnr = np.mean([r["bpp"] for r in rows]), np.mean([r["psnr"] for r in rows])
    assert bpp_range[0] <= bpp <= bpp_range[1]
    assert psnr_range[0] <= psnr <= psnr_range[1]


# -- the continuous-rate model (issue: learned codec v2) ----------------------------------------

CONTINUOUS = CONTINUOUS_MODEL


def _kodak(name: str) -> Image.Image:
    with Image.open(KODAK / f"{name}.png") as im:
        return im.convert("RGB")


@pytest.mark.parametrize("name", ["kodim04", "kodim19"])
def test_continuous_quality_rises_without_jumps(name):
    image = _kodak(name)
    rows = [measure(image, CONTINUOUS, 1 + 0.5 * i) for i in range(15)]
    bpp, psnr = [r["bpp"] for r in rows], [r["psnr"] for r in rows]
    assert all(b > a for a, b in zip(bpp, bpp[1:]))
    assert all(b > a - 0.05 for a, b in zip(psnr, psnr[1:])) and psnr[-1] > psnr[0] + 6
    sizes = [measure(image, CONTINUOUS, q)["bytes"] for q in (3, 3.3, 4)]
    assert sizes[0] < sizes[1] < sizes[2]


def test_tile_edges_do_not_show():
    from securecomp.analysis.seams import max_seam_ratio
    from securecomp.codec.bitstream import compress, decompress

    image = _kodak("kodim23")
    big = image.resize((image.width * 2, image.height * 2), Image.BICUBIC)
    ratio, where = max_seam_ratio(np.asarray(big), np.asarray(decompress(compress(big, codec=CONTINUOUS, quality=4))))
    assert ratio <= 1.5, where


@pytest.mark.parametrize("budget", [6000, 15000, 40000])   # quality 1 takes 4,331 bytes (4,410 encrypted; ce184474)
def test_max_bytes_fills_most_of_the_budget_on_kodim23(budget):
    import securecomp

    image = _kodak("kodim23")
    bits = securecomp.compress(image, codec=CONTINUOUS, max_bytes=budget)
    blob = securecomp.encrypt(image, key=bytes(32), codec=CONTINUOUS, max_bytes=budget)
    for output in (bits, blob):
        assert 0.8 * budget <= len(output) <= budget
    with pytest.raises(securecomp.errors.SecurecompError, match="bytes"):
        securecomp.compress(image, codec=CONTINUOUS, max_bytes=200)
