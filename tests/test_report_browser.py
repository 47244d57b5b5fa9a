"""The report renders in a real browser (headless Chromium): the page loads and every figure decodes.

Skips when no Chromium is installed (Debian: `apt-get install chromium`; .ci/run installs it).
"""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

from securecomp.analysis.rendering import report_html
from securecomp.analysis.report import ReportSettings, build_report

skimage_data = pytest.importorskip("skimage.data")

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
# Injected into a copy of the page (the report itself carries no script): once everything has loaded,
# the title says how many of the page's images decoded.
PROBE = ("<script>window.addEventListener('load', () => { const all = Array.from(document.images); "
         "const decoded = all.filter(img => img.complete && img.naturalWidth > 0); "
         "document.title = 'decoded ' + decoded.length + ' of ' + all.length; });</script>")


def _browser() -> str | None:
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> str:
    image = np.ascontiguousarray(skimage_data.astronaut()[::2, ::2])
    settings = ReportSettings(trials=5, wrong_key_trials=2, nist_sequences=0, seed=3)
    report = build_report([("astronaut", image)], key=bytes(32), settings=settings)
    return report_html(report)


def test_report_loads_in_headless_chromium_and_every_image_decodes(page, tmp_path):
    browser = _browser()
    if browser is None:
        pytest.skip("no Chromium installed (apt-get install chromium)")
    path = tmp_path / "report.html"
    path.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    command = [browser, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", path.as_uri()]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    title = re.search(r"<title>([^<]*)</title>", result.stdout)
    assert title is not None, result.stdout[:500]
    assert title.group(1) == "decoded 4 of 4"
    assert "No statistical weakness found" in result.stdout or "finding" in result.stdout
