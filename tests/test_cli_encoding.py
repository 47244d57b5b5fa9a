"""encrypt --quality REAL / --max-size / --effort / --keep-metadata and decrypt --allow-legacy."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data
from test_cli import assert_clean_error, run

from securecomp import container

VECTORS = Path(__file__).parent / "vectors"


@pytest.fixture()
def files(tmp_path, capsys):
    Image.fromarray(data.astronaut()).save(tmp_path / "a.png")
    run(capsys, "keygen", "-o", tmp_path / "k.key")
    return tmp_path


def test_max_size_gives_a_container_that_fits(files, capsys):
    code, _, err = run(capsys, "encrypt", files / "a.png", "-o", files / "a.sc", "--key-file", files / "k.key",
                       "--codec", "jpeg", "--max-size", "30k")
    assert code == 0, err
    assert 24000 <= (files / "a.sc").stat().st_size <= 30000


def test_a_real_quality_is_stored_in_hundredths(files, capsys):
    assert run(capsys, "encrypt", files / "a.png", "-o", files / "a.sc", "--key-file", files / "k.key",
               "--codec", "jpeg", "--quality", "3.25")[0] == 0
    assert container.parse((files / "a.sc").read_bytes()).header.info.quality == 3.25


@pytest.mark.parametrize("extra", [["--quality", "3", "--max-size", "30k"], ["--max-size", "10q"],
                                   ["--quality", "8.5"], ["--effort", "max", "--codec", "jpeg"]])
def test_bad_encoding_options_are_one_line_errors(files, capsys, extra):
    code, _, err = run(capsys, "encrypt", files / "a.png", "-o", files / "a.sc", "--key-file", files / "k.key", *extra)
    assert code == 2
    assert_clean_error(err)
    assert not (files / "a.sc").exists()


@pytest.fixture()
def legacy(tmp_path):
    """A format-1 container (tests/vectors/container-v1.json) in tmp_path/old/old.sc, its key in k.key."""
    vector = json.loads((VECTORS / "container-v1.json").read_text())[0]
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "old.sc").write_bytes(bytes.fromhex(vector["container"]))
    from securecomp.keys import format_key

    (tmp_path / "k.key").write_text(format_key(bytes.fromhex(vector["key"])) + "\n")
    (tmp_path / "k.key").chmod(0o600)
    return bytes.fromhex(vector["pixels"])


def test_a_format_1_container_needs_allow_legacy(tmp_path, capsys, legacy):
    code, _, err = run(capsys, "decrypt", tmp_path / "old" / "old.sc", "-o", tmp_path / "old.png",
                       "--key-file", tmp_path / "k.key")
    assert code == 3 and "--allow-legacy" in err
    assert_clean_error(err)
    code, _, err = run(capsys, "decrypt", tmp_path / "old" / "old.sc", "-o", tmp_path / "old.png", "--key-file",
                       tmp_path / "k.key", "--allow-legacy")
    assert code == 0 and err.startswith("note: ") and "not key-committing" in err and len(err.splitlines()) == 1
    assert np.asarray(Image.open(tmp_path / "old.png")).tobytes() == legacy


def test_batch_decrypt_opens_format_1_containers_only_with_allow_legacy(tmp_path, capsys, legacy):
    argv = ("batch", "decrypt", tmp_path / "old", tmp_path / "back", "--key-file", tmp_path / "k.key", "--no-progress")
    code, _, err = run(capsys, *argv)
    assert code != 0 and "--allow-legacy" in err and "1 files failed" in err
    assert not (tmp_path / "back" / "old.png").exists()
    code, _, err = run(capsys, *argv, "--allow-legacy")
    assert code == 0, err
    assert np.asarray(Image.open(tmp_path / "back" / "old.png")).tobytes() == legacy


def test_cipher_chaos_warns_that_confidentiality_rests_on_it_alone(files, capsys):
    code, _, err = run(capsys, "encrypt", files / "a.png", "-o", files / "a.sc", "--key-file", files / "k.key",
                       "--codec", "png", "--cipher", "chaos")
    assert code == 0 and err.startswith("warning: ") and "no public cryptanalysis" in err
    assert len(err.strip().splitlines()) == 1
