"""File modes: outputs get 0666 & ~umask (never more open than the umask allows), secret files 0600,
and a key or identity file that its group or others may read draws a warning."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest
from PIL import Image

from securecomp import batch, cli
from securecomp._atomic import atomic_write, write_beneath
from securecomp.keys import readable_by_others, write_key_file
from securecomp.recipients import generate_identity, write_identity_file

KEY = bytes(range(32))


@pytest.fixture
def umask():
    """Set the process umask for one test: ``umask(0o077)``; the old one comes back afterwards."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002, 0o027])
def test_atomic_and_beneath_writes_get_0666_narrowed_by_the_umask(tmp_path, umask, mask):
    umask(mask)
    atomic_write(tmp_path / "plain", b"data")
    write_beneath(tmp_path, "sub/beneath", b"data")
    assert _mode(tmp_path / "plain") == _mode(tmp_path / "sub" / "beneath") == 0o666 & ~mask


def test_key_and_identity_files_are_0600_even_under_umask_000(tmp_path, umask):
    umask(0o000)
    write_key_file(tmp_path / "k", KEY)
    write_identity_file(tmp_path / "id", generate_identity())
    assert _mode(tmp_path / "k") == _mode(tmp_path / "id") == 0o600


def _image(path) -> None:
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(path)


def test_cli_encrypt_and_decrypt_outputs_are_0600_under_umask_077(tmp_path, umask, capsys):
    write_key_file(tmp_path / "k", KEY)
    _image(tmp_path / "in.png")
    umask(0o077)
    assert cli.main(["encrypt", str(tmp_path / "in.png"), "-o", str(tmp_path / "x.sc"),
                     "--key-file", str(tmp_path / "k"), "--codec", "png"]) == 0
    assert cli.main(["decrypt", str(tmp_path / "x.sc"), "-o", str(tmp_path / "out.png"),
                     "--key-file", str(tmp_path / "k")]) == 0
    assert _mode(tmp_path / "x.sc") == _mode(tmp_path / "out.png") == 0o600


def test_batch_outputs_and_manifest_are_0600_under_umask_077(tmp_path, umask):
    (tmp_path / "in" / "sub").mkdir(parents=True)
    _image(tmp_path / "in" / "sub" / "a.png")
    umask(0o077)
    batch.run_batch("encrypt", tmp_path / "in", tmp_path / "out", key=KEY, codec="png")
    batch.run_batch("decrypt", tmp_path / "out", tmp_path / "back", key=KEY)
    written = [tmp_path / "out" / "sub" / "a.png.sc", tmp_path / "back" / "sub" / "a.png",
               tmp_path / "out" / batch.MANIFEST_NAME, tmp_path / "back" / batch.MANIFEST_NAME]
    assert [_mode(path) for path in written] == [0o600] * 4


@pytest.mark.parametrize("mode, too_open", [(0o600, False), (0o400, False), (0o640, True), (0o604, True),
                                            (0o644, True), (0o620, False)])
def test_readable_by_others_looks_at_the_group_and_other_read_bits(tmp_path, mode, too_open):
    write_key_file(tmp_path / "k", KEY)
    os.chmod(tmp_path / "k", mode)
    assert readable_by_others(tmp_path / "k") is too_open


def test_a_0644_key_file_warns_on_stderr_and_a_0600_one_does_not(tmp_path, capsys):
    write_key_file(tmp_path / "k", KEY)
    _image(tmp_path / "in.png")
    arguments = ["encrypt", str(tmp_path / "in.png"), "--key-file", str(tmp_path / "k"), "--codec", "png"]
    assert cli.main([*arguments, "-o", str(tmp_path / "a.sc")]) == 0
    assert "warning" not in capsys.readouterr().err
    os.chmod(tmp_path / "k", 0o644)
    assert cli.main([*arguments, "-o", str(tmp_path / "b.sc")]) == 0
    err = capsys.readouterr().err
    assert f"warning: key file {tmp_path / 'k'} is readable by group or others" in err and "chmod 600" in err


def test_a_group_readable_identity_file_warns_too(tmp_path, capsys):
    identity = generate_identity()
    write_identity_file(tmp_path / "id", identity)
    os.chmod(tmp_path / "id", 0o640)
    _image(tmp_path / "in.png")
    assert cli.main(["encrypt", str(tmp_path / "in.png"), "-o", str(tmp_path / "x.sc"), "-r", str(identity.recipient),
                     "--codec", "png"]) == 0
    assert cli.main(["decrypt", str(tmp_path / "x.sc"), "-o", str(tmp_path / "x.png"), "-i", str(tmp_path / "id")]) == 0
    assert "warning: identity file" in capsys.readouterr().err
