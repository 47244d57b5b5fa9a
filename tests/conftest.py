"""Fixtures shared by the command-line tests, and a loader for the repository's scripts."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from securecomp import cli
from securecomp._sample import landscape


@pytest.fixture
def repo_script():
    """Load a script of the repository by its path (e.g. "scripts/export_weights.py") as a module."""
    root = Path(__file__).resolve().parents[1]

    def load(path: str):
        spec = importlib.util.spec_from_file_location(Path(path).stem, root / path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture
def key_file(tmp_path, capsys) -> Path:
    """A fresh key file written by `securecomp keygen -o`."""
    path = tmp_path / "secret.key"
    assert cli.main(["keygen", "-o", str(path)]) == 0
    capsys.readouterr()
    return path


@pytest.fixture
def pixels() -> np.ndarray:
    return landscape(96)[:64]        # 96 x 64 RGB, with edges, gradients and texture


@pytest.fixture
def image_file(tmp_path, pixels) -> Path:
    path = tmp_path / "photo.png"
    Image.fromarray(pixels).save(path)
    return path


@pytest.fixture
def sealed(tmp_path, image_file, key_file) -> Path:
    """photo.png encrypted with key_file (png codec)."""
    path = tmp_path / "photo.sc"
    assert cli.main(["encrypt", str(image_file), "-o", str(path), "--key-file", str(key_file), "--codec", "png"]) == 0
    return path
