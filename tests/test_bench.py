"""securecomp bench: BD-rate arithmetic, the per-codec quality plan, and the command end to end."""

import json

import numpy as np
import pytest
from PIL import Image
from skimage import data

from securecomp.analysis import ratedistortion
from securecomp.cli import main
from securecomp.codec import zoo
from securecomp.errors import ParameterError

ANCHOR = [(0.25, 27.0), (0.5, 30.0), (1.0, 33.0), (2.0, 36.0)]


def test_bd_rate_of_a_curve_against_itself_is_zero_and_half_the_rate_is_minus_fifty():
    assert ratedistortion.bd_rate(ANCHOR, ANCHOR) == pytest.approx(0.0, abs=1e-9)
    half = [(bpp / 2, psnr) for bpp, psnr in ANCHOR]
    assert ratedistortion.bd_rate(ANCHOR, half) == pytest.approx(-50.0)
    assert ratedistortion.bd_rate(half, ANCHOR) == pytest.approx(100.0)


def test_bd_rate_is_none_without_overlap_or_with_a_non_monotonic_curve():
    assert ratedistortion.bd_rate(ANCHOR, [(3.0, 40.0), (4.0, 42.0)]) is None
    assert ratedistortion.bd_rate(ANCHOR, [(0.5, 30.0)]) is None
    assert ratedistortion.bd_rate(ANCHOR, [(0.5, 30.0), (1.0, 30.0)]) is None


def test_bd_rate_only_integrates_the_overlapping_psnr_range():
    # the test curve matches the anchor on 30..33 dB and is much worse outside it
    test = [(0.5, 30.0), (1.0, 33.0)]
    assert ratedistortion.bd_rate(ANCHOR, test) == pytest.approx(0.0, abs=1e-6)


def test_the_plan_uses_one_quality_for_lossless_codecs_and_only_shipped_learned_ones():
    assert ratedistortion._qualities("png", [1, 2, 3]) == [1]
    assert ratedistortion._qualities("jpeg", [2, 5]) == [2, 5]
    assert ratedistortion._qualities("learned", [0, *range(1, 9), 9]) == list(range(1, 9))
    assert zoo.qualities("bandara2020-sae") == [2, 4, 6, 8]
    assert ratedistortion._qualities("bandara2020-sae", [1, 2, 3, 4]) == [2, 4]
    with pytest.raises(ParameterError):
        ratedistortion._qualities("learned", [0, 9])


def test_bench_command_writes_json_and_plot(tmp_path, capsys):
    folder = tmp_path / "set"
    folder.mkdir()
    for i, image in enumerate((data.astronaut()[:176, :192], data.chelsea()[:176, :192])):
        Image.fromarray(image).save(folder / f"{i}.png")
    out = tmp_path / "r.json"
    code = main(["bench", "--dataset", str(folder), "--codecs", "jpeg", "webp", "png", "learned",
                 "--qualities", "2", "5", "-o", str(out)])
    assert code == 0
    summary = json.loads(out.read_text())
    assert summary["images"] == ["0.png", "1.png"]
    assert [row["quality"] for row in summary["results"]["png"]] == [2]
    for codec in ("jpeg", "webp", "learned"):
        rows = summary["results"][codec]
        assert [row["quality"] for row in rows] == [2, 5]
        assert rows[0]["bpp"] < rows[1]["bpp"] and rows[0]["psnr"] < rows[1]["psnr"]
        assert all(0 < row["ms_ssim"] <= 1 and row["encode_s"] > 0 for row in rows)
    assert np.isfinite(summary["bd_rate"]["webp"]["jpeg"])
    assert out.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "BD-rate" in capsys.readouterr().out


def test_each_codec_codes_the_first_image_once_untimed_before_its_timed_runs(tmp_path, monkeypatch):
    for i in range(2):
        Image.fromarray(data.astronaut()[:64 * (i + 1), :96]).save(tmp_path / f"{i}.png")
    calls = []
    real = ratedistortion.compress
    monkeypatch.setattr(ratedistortion, "compress",
                        lambda image, **kw: calls.append((image.size, kw["codec"], kw["quality"])) or real(image, **kw))
    result = ratedistortion.run(sorted(tmp_path.glob("*.png")), ["jpeg", "webp"], [3, 6], progress=False)
    first = (96, 64)
    for codec in ("jpeg", "webp"):
        mine = [call for call in calls if call[1] == codec]
        assert len(mine) == 1 + 2 * 2 and mine[0] == (first, codec, 3)     # the warm-up, then 2 × 2 timed
        assert [row["quality"] for row in result["results"][codec]] == [3, 6]


def test_ms_ssim_is_left_out_when_an_image_is_too_small_for_five_scales():
    images = (data.astronaut(), data.astronaut()[:64, :96])
    rows = [ratedistortion.measure(Image.fromarray(image), "jpeg", 3) for image in images]
    assert "ms_ssim" in rows[0] and "ms_ssim" not in rows[1]
    assert "ms_ssim" not in ratedistortion._mean(rows) and ratedistortion._mean(rows)["psnr"] > 20


def test_bench_on_an_empty_folder_is_a_clear_error(tmp_path, capsys):
    assert main(["bench", "--dataset", str(tmp_path)]) == 2
    assert "error: no PNG/JPEG images" in capsys.readouterr().err


def test_bench_help_names_the_default_codecs(capsys):
    assert main(["bench", "--help"]) == 0
    assert f"learned and the classical anchors {', '.join(ratedistortion.ANCHORS)}" in " ".join(
        capsys.readouterr().out.split())
