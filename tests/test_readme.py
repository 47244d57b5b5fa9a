"""The README's command-line examples run as written, in an empty folder with one photo and a folder
of photos, and none of them overwrites an input."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parent.parent


def _section_commands(title: str) -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_the_command_line_examples_run_as_written_and_keep_their_inputs(tmp_path):
    script = Path(sys.executable).parent / "securecomp"
    if not script.exists():
        pytest.skip("the securecomp console script is not installed beside this interpreter")
    rng = np.random.default_rng(18)
    Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(tmp_path / "photo.png")
    (tmp_path / "photos" / "sub").mkdir(parents=True)
    Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(tmp_path / "photos" / "a.png")
    Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(tmp_path / "photos" / "sub" / "b.jpg")
    inputs = _digests(tmp_path)
    environment = dict(os.environ, PATH=f"{script.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    for command in _section_commands("Command line"):
        run = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=environment, stdin=subprocess.DEVNULL,
                             capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, f"{command}\n{run.stderr[-2000:]}"
        assert {name: digest for name, digest in _digests(tmp_path).items() if name in inputs} == inputs, command
    assert (tmp_path / "restored" / "sub" / "b.jpg.png").exists()
