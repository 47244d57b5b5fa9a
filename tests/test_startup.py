"""The command line starts light (issue 18): torch, scipy and matplotlib load only in the commands
that use them (train, bench, report, and the learned codec when a container uses it).

Not timed: each case runs one command in a fresh interpreter and looks at ``sys.modules``
afterwards. The times themselves are measured by benchmarks/bench_startup.py.
"""

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from securecomp.cli import main

HEAVY = ("torch", "scipy", "matplotlib")
LEARNED = "securecomp.codec.learned"
SCRIPT = """
import contextlib, io, sys
from securecomp.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = main(sys.argv[1:])
print(code, *(name for name in {names!r} if name in sys.modules))
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A key file, a 16x16 PNG, and containers of it (png and webp codecs) in one folder."""
    path = tmp_path_factory.mktemp("startup")
    Image.fromarray(np.arange(16 * 16 * 3, dtype=np.uint8).reshape(16, 16, 3)).save(path / "image.png")
    assert main(["keygen", "-o", str(path / "secret.key")]) == 0
    assert main(["encrypt", str(path / "image.png"), "-o", str(path / "image.sc"), "--key-file",
                 str(path / "secret.key"), "--codec", "png"]) == 0
    assert main(["encrypt", str(path / "image.png"), "-o", str(path / "webp.sc"), "--key-file",
                 str(path / "secret.key"), "--codec", "webp"]) == 0
    return path


def loaded_by(argv: list[str], cwd, names=(*HEAVY, LEARNED)) -> list[str]:
    """Runs ``securecomp ARGV`` in a fresh interpreter; which of ``names`` it imported (exit 0 asserted)."""
    run = subprocess.run([sys.executable, "-c", SCRIPT.format(names=tuple(names)), *argv], cwd=cwd,
                         capture_output=True, text=True, check=True)
    code, *loaded = run.stdout.split()
    assert code == "0", f"securecomp {' '.join(argv)} exited {code}: {run.stderr}"
    return loaded


@pytest.mark.parametrize("argv", [
    ["--help"], ["--version"], ["keygen", "--help"], ["decrypt", "--help"], ["inspect", "--help"],
    ["batch", "--help"], ["train", "--help"], ["bench", "--help"], ["report", "--help"],
    ["keygen", "-o", "fresh.key", "--force"], ["keygen", "--x25519", "-o", "me.id", "--force"],
    ["inspect", "image.sc"], ["inspect", "--json", "image.sc"],
], ids=" ".join)
def test_building_the_parser_and_the_light_commands_load_no_heavy_module(folder, argv):
    assert loaded_by(argv, folder) == []


@pytest.mark.parametrize("argv", [
    ["encrypt", "--help"],
    ["encrypt", "image.png", "-o", "again.sc", "--force", "--key-file", "secret.key", "--codec", "webp"],
    ["decrypt", "image.sc", "-o", "restored.png", "--force", "--key-file", "secret.key"],
    ["decrypt", "webp.sc", "-o", "restored.png", "--force", "--key-file", "secret.key"],
], ids=" ".join)
def test_classical_codecs_load_neither_torch_nor_scipy_nor_matplotlib(folder, argv):
    # these look codecs up, which registers every codec (the learned one's module too, not torch)
    assert loaded_by(argv, folder, HEAVY) == []


def test_help_ends_by_pointing_to_the_readme(capsys):
    assert main(["--help"]) == 0
    last = " ".join(capsys.readouterr().out.split()).rpartition("commands:")[2]
    assert "Documentation: README.md" in last and "python -m pydoc securecomp" in last
