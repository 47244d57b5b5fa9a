"""Fixtures shared by the command-line tests."""

from pathlib import Path

import pytest

from securecomp import cli


@pytest.fixture
def key_file(tmp_path, capsys) -> Path:
    """A fresh key file written by `securecomp keygen -o`."""
    path = tmp_path / "secret.key"
    assert cli.main(["keygen", "-o", str(path)]) == 0
    capsys.readouterr()
    return path
