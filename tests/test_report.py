"""The security-evaluation report: every number in the JSON, one self-contained HTML page, and a
verdict that flags what it should and never claims more than the tests show."""

from __future__ import annotations

import base64
import copy
import io
import json
import re

import numpy as np
import pytest
from PIL import Image

from securecomp.analysis.rendering import report_html
from securecomp.analysis.report import Report, ReportSettings, build_report, check_report_image, report_json
from securecomp.analysis.verdict import verdict
from securecomp.cli.report import STEPS_PER_IMAGE
from securecomp.errors import UnsupportedImageError

skimage_data = pytest.importorskip("skimage.data")

KEY = bytes(range(32))
SETTINGS = ReportSettings(trials=20, wrong_key_trials=3, nist_sequences=1, seed=5)


STEPS: list[str] = []


@pytest.fixture(scope="module")
def report():
    return build_report([("camera", skimage_data.camera())], key=KEY, settings=SETTINGS, key_source="test key",
                        progress=STEPS.append)


@pytest.fixture(scope="module")
def data(report) -> dict:
    return json.loads(report_json(report))


def test_json_holds_compression_statistics_differential_wrong_key_and_nist_numbers(data):
    image = data["images"][0]
    row = image["compression"][0]
    assert {"codec", "quality", "bpp", "psnr", "ssim", "ms_ssim", "encrypt_mb_per_s"} <= set(row)
    assert 0 < row["bpp"] < 8 and row["psnr"] > 25 and 0.5 < row["ms_ssim"] <= 1
    assert image["statistics"]["cipher"]["histogram"]["critical"] == pytest.approx(293.2478, abs=1e-4)
    for change in ("plaintext", "key"):
        result = image["differential"][change]
        assert result["nonce_fixed"] is True and "same nonce" in result["protocol"]
        assert len(result["npcr"]) == len(result["nonces"]) == 20
    assert all(outcome["refused"] for outcome in image["wrong_key"]["pipeline"].values())
    assert len(image["nist"]["tests"]) == 15 and image["nist"]["sequence_length"] == 1_000_000
    assert data["settings"]["seed"] == 5 and data["key_source"] == "test key"


def test_progress_advances_once_per_step_the_command_line_bar_counts(report):
    assert len(STEPS) == STEPS_PER_IMAGE + SETTINGS.nist_sequences


def test_chaos_cipher_on_camera_gets_no_findings(data):
    assert data["verdict"]["status"] == "no findings", data["verdict"]["findings"]


def test_html_is_one_self_contained_page_whose_images_are_png(report):
    page = report_html(report)
    assert page.startswith("<!DOCTYPE html>") and "</html>" in page
    assert not re.search(r"(?i)<(script|link|iframe)\b|https?://|url\(", page)
    sources = re.findall(r'src="([^"]+)"', page)
    assert len(sources) == 4
    for source in sources:
        assert source.startswith("data:image/png;base64,")
        with Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1]))) as image:
            assert image.format == "PNG" and image.width > 300


def test_every_text_in_the_page_is_escaped_by_the_template(report):
    hostile = "<script>alert('x')</script> & <b>"
    changed = copy.deepcopy(report.data)
    changed["images"][0]["name"] = changed["key_source"] = changed["verdict"]["headline"] = hostile
    changed["verdict"]["checks"][0]["detail"] = hostile
    page = report_html(Report(changed, {hostile: report.figures["camera"]}))
    assert "<script>" not in page and "<b>" not in page
    assert page.count("&lt;script&gt;") >= 4 and 'src="data:image/png;base64,' in page


def test_verdict_says_what_the_tests_cannot_show(report):
    page = report_html(report)
    assert "not proofs of security" in page and "AES-256-GCM" in page
    assert "same nonce" in page
    headline = report.data["verdict"]["headline"].lower()
    assert "secure" not in headline and "proven" not in headline


def _with(data: dict, change) -> dict:
    changed = copy.deepcopy(data)
    change(changed["images"][0])
    return changed


def test_a_low_or_too_high_pass_rate_is_a_finding(data):
    def low(image):
        image["differential"]["plaintext"]["npcr_pass_rate"]["verdict"] = "low"

    def perfect(image):
        image["differential"]["key"]["uaci_pass_rate"]["verdict"] = "suspicious"
    for change in (low, perfect):
        result = verdict(_with(data, change))
        assert result["status"] == "findings" and len(result["findings"]) == 1
        assert "not proofs of security" in " ".join(result["paragraphs"])


def test_one_failed_single_image_test_is_within_chance_but_many_are_a_finding(data):
    def one(image):
        image["statistics"]["cipher"]["histogram"]["passed"] = False

    def four(image):
        one(image)
        image["statistics"]["cipher"]["local_entropy"]["passed"] = False
        for direction in ("horizontal", "vertical"):
            image["statistics"]["cipher"]["correlation"][direction]["all_pairs"] = 0.5
    assert verdict(_with(data, one))["status"] == "no findings"
    assert "1 of 5 single-image tests failed" in verdict(_with(data, one))["paragraphs"][0]
    assert verdict(_with(data, four))["status"] == "findings"


def test_a_pipeline_that_accepts_a_wrong_key_is_a_finding(data):
    def accepts(image):
        image["wrong_key"]["pipeline"]["chaos"] = {"refused": False, "error": ""}
    findings = verdict(_with(data, accepts))["findings"]
    assert any("chaos" in finding and "refuses" in finding for finding in findings)


def test_the_same_seed_and_key_give_the_same_numbers():
    image = np.ascontiguousarray(skimage_data.astronaut()[::2, ::2])
    settings = ReportSettings(trials=4, wrong_key_trials=2, nist_sequences=0, seed=9)
    first, second = (build_report([("a", image)], key=KEY, settings=settings, figures=False) for _ in range(2))

    def strip(report):
        return {k: v for k, v in report.data["images"][0].items() if k not in ("compression", "throughput")}

    assert strip(first) == strip(second)


@pytest.mark.parametrize(("shape", "dtype"), [((150, 400), np.uint8), ((256, 256), np.uint8), ((300, 300), np.uint16)])
def test_images_the_report_cannot_measure_are_refused_with_a_hint(shape, dtype):
    with pytest.raises(UnsupportedImageError) as caught:
        check_report_image("x.png", np.zeros(shape, dtype=dtype))
    assert caught.value.hint
