"""What a source distribution carries: the LICENSE that pyproject.toml names (MIT), and the docs/
and examples/ the README links to."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_the_license_file_is_the_mit_license_pyproject_declares():
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["license"]
    text = (REPO / "LICENSE").read_text()
    assert declared == "MIT" and text.startswith("MIT License") and "the securecomp authors" in text


@pytest.mark.slow
def test_the_sdist_includes_license_docs_and_examples(tmp_path):
    pytest.importorskip("setuptools", reason="building the sdist offline needs setuptools")
    source = tmp_path / "src"                   # a copy: the build writes egg-info beside its sources
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in"):
        shutil.copy2(REPO / name, source / name)
    skipped = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pt")    # the weights: 60 MB, not the point
    for folder in ("securecomp", "docs", "examples"):
        shutil.copytree(REPO / folder, source / folder, ignore=skipped)
    built = subprocess.run([sys.executable, "-c", "import sys; from setuptools import build_meta as b; "
                            "print(b.build_sdist(sys.argv[1]))", str(tmp_path / "dist")],
                           cwd=source, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    archive = tmp_path / "dist" / built.stdout.strip().splitlines()[-1]
    with tarfile.open(archive) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    expected = {"LICENSE", "docs/format.md", "docs/security.md", "examples/sender.py", "examples/receiver.py"}
    assert expected <= names, sorted(expected - names)
