"""The `securecomp` command line, run in-process through securecomp.cli.main (and once as a real
console script from a freshly built venv)."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from securecomp import __version__, cli
from securecomp._sample import landscape
from securecomp.analysis import psnr
from securecomp.cli import commands
from securecomp.keys import parse_key, read_key_file

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery staple"


class FakeStream:
    """Stands in for sys.stdin / sys.stdout: binary data on ``.buffer``, a settable ``isatty()``."""

    def __init__(self, data: bytes = b"", *, tty: bool = False) -> None:
        self.buffer = io.BytesIO(data)
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.fixture
def password_file(tmp_path) -> Path:
    path = tmp_path / "password.txt"
    path.write_text(PASSWORD + "\n")
    return path


@pytest.fixture
def no_prompt(monkeypatch):
    """Fail the test if the CLI tries to prompt for a password."""
    def refuse(*args, **kwargs):
        raise AssertionError("unexpected password prompt")
    monkeypatch.setattr("getpass.getpass", refuse)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_clean_error(err: str) -> None:
    lines = err.strip().splitlines()
    assert lines[0].startswith("error: ")
    assert lines[1].startswith("hint: ") and len(lines[1]) > len("hint: ") + 10
    assert len(lines) == 2
    assert "Traceback" not in err


def read_pixels(path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image)


# --- keygen --------------------------------------------------------------------------------------

def test_keygen_writes_a_one_line_key_file_readable_by_its_owner_only(tmp_path, capsys):
    path = tmp_path / "k"
    code, out, err = run(capsys, "keygen", "-o", path)
    assert code == 0 and out == ""
    assert err.strip() == f"wrote key to {path}"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = path.read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith("securecomp-key-v1:")
    assert len(read_key_file(path)) == 32


def test_keygen_without_output_prints_the_key_line(capsys):
    code, out, err = run(capsys, "keygen")
    assert code == 0 and err == ""
    assert len(out.splitlines()) == 1
    assert len(parse_key(out)) == 32


def test_keygen_refuses_to_overwrite_a_key_file_without_force(key_file, capsys):
    before = key_file.read_bytes()
    code, _, err = run(capsys, "keygen", "-o", key_file)
    assert code == 5
    assert_clean_error(err)
    assert "--force" in err and key_file.read_bytes() == before
    assert run(capsys, "keygen", "-o", key_file, "--force")[0] == 0
    assert key_file.read_bytes() != before


# --- round trips ---------------------------------------------------------------------------------

@pytest.mark.parametrize("cipher", ["chaos+aes", "aes", "chaos"])
def test_png_round_trip_with_a_key_file_gives_back_every_pixel(tmp_path, image_file, key_file, pixels, cipher,
                                                               capsys, no_prompt):
    sealed, restored = tmp_path / "photo.sc", tmp_path / "restored.png"
    code, out, err = run(capsys, "encrypt", image_file, "-o", sealed, "--key-file", key_file, "--codec", "png",
                         "--cipher", cipher)
    assert (code, out) == (0, "") and (err == "") == (cipher != "chaos")    # chaos alone warns
    assert run(capsys, "decrypt", sealed, "-o", restored, "--key-file", key_file) == (0, "", "")
    assert np.array_equal(read_pixels(restored), pixels)


def test_default_codec_round_trip_keeps_size_and_mode(tmp_path, image_file, key_file, pixels, capsys, no_prompt):
    sealed, restored = tmp_path / "photo.sc", tmp_path / "restored.png"
    assert run(capsys, "encrypt", image_file, "-o", sealed, "--key-file", key_file)[0] == 0
    assert run(capsys, "decrypt", sealed, "-o", restored, "--key-file", key_file)[0] == 0
    decoded = read_pixels(restored)
    assert decoded.shape == pixels.shape and decoded.dtype == np.uint8
    assert psnr(pixels, decoded) > 20


def test_password_file_round_trip_uses_the_first_line_without_its_newline(tmp_path, image_file, pixels,
                                                                          password_file, capsys, no_prompt):
    sealed, restored = tmp_path / "photo.sc", tmp_path / "restored.png"
    crlf = tmp_path / "crlf.txt"
    crlf.write_bytes(PASSWORD.encode() + b"\r\nsecond line is ignored\n")
    assert run(capsys, "encrypt", image_file, "-o", sealed, "--password-file", password_file, "--codec", "png")[0] == 0
    assert run(capsys, "decrypt", sealed, "-o", restored, "--password-file", crlf)[0] == 0
    assert np.array_equal(read_pixels(restored), pixels)


def test_decrypt_writes_the_format_of_the_output_extension(tmp_path, sealed, key_file, pixels, capsys):
    restored = tmp_path / "restored.bmp"
    assert run(capsys, "decrypt", sealed, "-o", restored, "--key-file", key_file)[0] == 0
    with Image.open(restored) as image:
        assert image.format == "BMP"
        assert np.array_equal(np.asarray(image), pixels)


def test_terminal_password_prompt_asks_twice_on_encrypt_and_once_on_decrypt(tmp_path, image_file, pixels,
                                                                            monkeypatch, capsys):
    prompts = []
    monkeypatch.setattr("securecomp.cli.io.terminal_available", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": prompts.append(prompt) or PASSWORD)
    sealed, restored = tmp_path / "photo.sc", tmp_path / "restored.png"
    assert run(capsys, "encrypt", image_file, "-o", sealed, "--codec", "png")[0] == 0
    assert len(prompts) == 2
    assert run(capsys, "decrypt", sealed, "-o", restored)[0] == 0
    assert len(prompts) == 3
    assert np.array_equal(read_pixels(restored), pixels)


def test_mismatched_passwords_are_refused_and_write_nothing(tmp_path, image_file, monkeypatch, capsys):
    answers = iter(["one password", "another password"])
    monkeypatch.setattr("securecomp.cli.io.terminal_available", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    code, _, err = run(capsys, "encrypt", image_file, "-o", tmp_path / "photo.sc")
    assert code == 2 and "do not match" in err
    assert_clean_error(err)
    assert not (tmp_path / "photo.sc").exists()


def test_without_a_terminal_or_secret_file_the_hint_names_the_options(tmp_path, image_file, monkeypatch, capsys):
    monkeypatch.setattr("securecomp.cli.io.terminal_available", lambda: False)
    code, _, err = run(capsys, "encrypt", image_file, "-o", tmp_path / "photo.sc")
    assert code == 2
    assert_clean_error(err)
    assert "--key-file" in err and "--password-file" in err


# --- stdin and stdout ----------------------------------------------------------------------------

def test_stdin_to_stdout_round_trip_with_dashes(image_file, key_file, pixels, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", FakeStream(image_file.read_bytes()))
    monkeypatch.setattr(sys, "stdout", FakeStream())
    assert cli.main(["encrypt", "-", "-o", "-", "--key-file", str(key_file), "--codec", "png"]) == 0
    blob = sys.stdout.buffer.getvalue()
    assert blob.startswith(b"SECURECOMP")
    monkeypatch.setattr(sys, "stdin", FakeStream(blob))
    monkeypatch.setattr(sys, "stdout", FakeStream())
    assert cli.main(["decrypt", "--key-file", str(key_file)]) == 0     # no INPUT, no -o: stdin, stdout
    restored = Image.open(io.BytesIO(sys.stdout.buffer.getvalue()))
    assert restored.format == "PNG" and np.array_equal(np.asarray(restored), pixels)
    assert capsys.readouterr().err == ""


def test_inspect_reads_stdin(sealed, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", FakeStream(sealed.read_bytes()))
    code, out, _ = run(capsys, "inspect")
    assert code == 0 and "codec:     png" in out


def test_binary_output_to_a_terminal_is_refused(image_file, key_file, monkeypatch, capsys):
    terminal = FakeStream(tty=True)
    monkeypatch.setattr(sys, "stdout", terminal)
    code = cli.main(["encrypt", str(image_file), "--key-file", str(key_file)])
    err = capsys.readouterr().err
    assert code == 2 and "-o FILE" in err
    assert_clean_error(err)
    assert terminal.buffer.getvalue() == b""


def test_input_from_a_terminal_is_refused(key_file, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", FakeStream(tty=True))
    monkeypatch.setattr(sys, "stdout", FakeStream())
    code = cli.main(["decrypt", "--key-file", str(key_file)])
    assert code == 2
    assert_clean_error(capsys.readouterr().err)


# --- inspect -------------------------------------------------------------------------------------

def test_inspect_shows_the_header_without_any_key(sealed, capsys, no_prompt):
    code, out, err = run(capsys, "inspect", sealed)
    assert code == 0 and err == ""
    fields = dict(line.split(":", 1) for line in out.splitlines())
    fields = {name: value.strip() for name, value in fields.items()}
    assert fields["suite"] == "chaos+aes" and fields["codec"] == "png" and fields["key"] == "raw key"
    assert fields["size"] == "96x64" and fields["mode"] == "RGB" and fields["version"] == "2"
    assert fields["container"] == f"{sealed.stat().st_size} bytes"
    assert float(fields["bpp"]) == pytest.approx(sealed.stat().st_size * 8 / (96 * 64), abs=1e-4)
    assert len(bytes.fromhex(fields["nonce"])) == 16


def test_inspect_json_describes_password_containers(tmp_path, image_file, password_file, capsys):
    sealed = tmp_path / "photo.sc"
    assert run(capsys, "encrypt", image_file, "-o", sealed, "--password-file", password_file, "--codec", "png",
               "--cipher", "aes")[0] == 0
    code, out, _ = run(capsys, "inspect", "--json", sealed)
    fields = json.loads(out)
    assert code == 0 and fields["suite"] == "aes" and fields["width"] == 96 and fields["height"] == 64
    assert fields["key"]["type"] == "password" and fields["key"]["kdf"] == "argon2id"
    assert fields["container_bytes"] == sealed.stat().st_size
    assert "password (argon2id m=65536 KiB, t=3, p=4)" in run(capsys, "inspect", sealed)[1]


# --- failures ------------------------------------------------------------------------------------

def test_wrong_key_exits_3_with_a_hint_and_leaves_no_file(tmp_path, sealed, capsys):
    other_key = tmp_path / "other.key"
    assert run(capsys, "keygen", "-o", other_key)[0] == 0
    before = sorted(os.listdir(tmp_path))
    code, out, err = run(capsys, "decrypt", sealed, "-o", tmp_path / "restored.png", "--key-file", other_key)
    assert code == 3 and out == ""
    assert_clean_error(err)
    assert "check the key file or password" in err
    assert sorted(os.listdir(tmp_path)) == before        # no output, no temporary file


def test_wrong_password_exits_3(tmp_path, image_file, password_file, capsys):
    sealed, wrong = tmp_path / "photo.sc", tmp_path / "wrong.txt"
    wrong.write_text("not the password\n")
    assert run(capsys, "encrypt", image_file, "-o", sealed, "--password-file", password_file)[0] == 0
    code, _, err = run(capsys, "decrypt", sealed, "-o", tmp_path / "out.png", "--password-file", wrong)
    assert code == 3
    assert_clean_error(err)


def test_flipping_a_payload_byte_exits_3(tmp_path, sealed, key_file, capsys):
    data = bytearray(sealed.read_bytes())
    data[-40] ^= 0x01
    sealed.write_bytes(bytes(data))
    code, _, err = run(capsys, "decrypt", sealed, "-o", tmp_path / "out.png", "--key-file", key_file)
    assert code == 3 and not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("damage", ["truncate", "trailing", "magic", "empty"])
def test_malformed_container_exits_4(tmp_path, sealed, key_file, damage, capsys):
    data = sealed.read_bytes()
    damaged = {"truncate": data[:-10], "trailing": data + b"\0", "magic": b"X" + data[1:], "empty": b""}[damage]
    sealed.write_bytes(damaged)
    code, out, err = run(capsys, "decrypt", sealed, "-o", tmp_path / "out.png", "--key-file", key_file)
    assert code == 4 and out == ""
    assert_clean_error(err)
    assert not (tmp_path / "out.png").exists()
    code, out, err = run(capsys, "inspect", sealed)     # what the header still tells, then the error
    assert code == 4
    assert_clean_error(err)
    if damage in ("truncate", "trailing"):
        assert "codec:     png" in out and ("TRUNCATED" if damage == "truncate" else "DAMAGED") in out
    else:
        assert out == ""


def test_damaged_key_file_exits_4(tmp_path, sealed, key_file, capsys):
    key_file.write_text(key_file.read_text().replace(":", ":x", 1))
    code, _, err = run(capsys, "decrypt", sealed, "-o", tmp_path / "out.png", "--key-file", key_file)
    assert code == 4
    assert_clean_error(err)


@pytest.mark.parametrize("command", ["encrypt", "decrypt", "inspect"])
def test_missing_input_exits_5(tmp_path, key_file, command, capsys, no_prompt):
    extra = [] if command == "inspect" else ["-o", tmp_path / "out", "--key-file", key_file]
    code, _, err = run(capsys, command, tmp_path / "missing.png", *extra)
    assert code == 5 and "missing.png" in err
    assert_clean_error(err)
    assert not (tmp_path / "out").exists()


def test_missing_key_file_exits_5_with_a_keygen_hint(tmp_path, image_file, capsys):
    code, _, err = run(capsys, "encrypt", image_file, "-o", tmp_path / "x.sc", "--key-file", tmp_path / "nope.key")
    assert code == 5 and "keygen" in err


def test_input_that_is_not_an_image_exits_5(tmp_path, key_file, capsys):
    text = tmp_path / "notes.txt"
    text.write_text("not an image\n")
    code, _, err = run(capsys, "encrypt", text, "-o", tmp_path / "x.sc", "--key-file", key_file)
    assert code == 5
    assert "Traceback" not in err and err.startswith("error: ")
    assert not (tmp_path / "x.sc").exists()


@pytest.mark.parametrize("command", ["encrypt", "decrypt"])
def test_existing_output_without_force_exits_5_before_any_work(tmp_path, image_file, sealed, key_file, command,
                                                                monkeypatch, capsys, no_prompt):
    output = tmp_path / "existing"
    output.write_bytes(b"precious")
    monkeypatch.setattr(commands, command, lambda *a, **k: pytest.fail("the work started before the output check"))
    source = image_file if command == "encrypt" else sealed
    code, _, err = run(capsys, command, source, "-o", output)     # no key given: must not prompt either
    assert code == 5 and "--force" in err
    assert_clean_error(err)
    assert output.read_bytes() == b"precious"


def test_force_overwrites_an_existing_output(tmp_path, sealed, key_file, pixels, capsys):
    output = tmp_path / "restored.png"
    output.write_bytes(b"old")
    assert run(capsys, "decrypt", sealed, "-o", output, "--key-file", key_file, "--force")[0] == 0
    assert np.array_equal(read_pixels(output), pixels)


def test_unknown_output_extension_is_refused_before_decrypting(tmp_path, sealed, key_file, capsys):
    code, _, err = run(capsys, "decrypt", sealed, "-o", tmp_path / "out.unknown", "--key-file", key_file)
    assert code == 2 and ".png" in err
    assert not (tmp_path / "out.unknown").exists()


def test_key_container_opened_with_a_password_names_the_right_option(tmp_path, sealed, password_file, capsys):
    code, _, err = run(capsys, "decrypt", sealed, "-o", tmp_path / "out.png", "--password-file", password_file)
    assert code == 3 and "--key-file" in err
    assert_clean_error(err)


@pytest.mark.parametrize("argv", [["frobnicate"], [], ["encrypt", "--quality", "9"], ["encrypt", "--quality", "x"],
                                  ["encrypt", "--cipher", "rot13"],
                                  ["decrypt", "--key-file", "k", "--password-file", "p"]])
def test_usage_errors_exit_2_with_error_and_hint(argv, capsys):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert_clean_error(err)


def test_unknown_codec_exits_with_a_clean_error(tmp_path, image_file, key_file, capsys):
    code, _, err = run(capsys, "encrypt", image_file, "-o", tmp_path / "x.sc", "--key-file", key_file,
                       "--codec", "no-such-codec")
    assert code == 2 and "no-such-codec" in err and "webp" in err     # a bad value: the hint lists the codecs
    assert_clean_error(err)
    assert not (tmp_path / "x.sc").exists()


def test_version_and_help_exit_0(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"securecomp {__version__}"
    code, out, _ = run(capsys, "encrypt", "--help")
    assert code == 0 and "--key-file" in out and "--codec" in out


def test_interrupt_exits_130(tmp_path, image_file, key_file, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(commands, "encrypt", interrupted)
    code, _, err = run(capsys, "encrypt", image_file, "-o", tmp_path / "x.sc", "--key-file", key_file)
    assert code == 130 and err.startswith("error: interrupted") and "Traceback" not in err
    assert not (tmp_path / "x.sc").exists()


def test_an_unexpected_bug_still_prints_no_traceback(tmp_path, image_file, key_file, monkeypatch, capsys):
    monkeypatch.delenv(cli.DEBUG_VARIABLE, raising=False)
    monkeypatch.setattr(commands, "encrypt", lambda *a, **k: {}["boom"])
    code, _, err = run(capsys, "encrypt", image_file, "-o", tmp_path / "x.sc", "--key-file", key_file)
    assert code == 1
    assert_clean_error(err)


# --- demo ----------------------------------------------------------------------------------------

def test_demo_prints_size_quality_and_timings(capsys):
    code, out, err = run(capsys, "demo", "--codec", "png", "--cipher", "aes")
    assert code == 0 and err == ""
    for label in ("codec:", "cipher:", "image:", "container:", "bpp", "PSNR:", "SSIM:", "encrypt:", "decrypt:"):
        assert label in out
    assert "PSNR:      inf dB" in out and "SSIM:      1.0000" in out


def test_demo_without_scikit_image_uses_the_generated_landscape(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "skimage", None)          # `from skimage import data` fails
    code, out, _ = run(capsys, "demo", "--codec", "jpeg", "--quality", "4")
    assert code == 0 and "generated landscape" in out and "image:     512x512 RGB" in out
    psnr_db = float(out.split("PSNR:")[1].split()[0])
    assert 25 < psnr_db < 45


def test_generated_landscape_is_deterministic_rgb():
    first, second = landscape(), landscape()
    assert first.shape == (512, 512, 3) and first.dtype == np.uint8
    assert np.array_equal(first, second)
    assert first.std() > 20           # not a flat image


# --- the installed console script ------------------------------------------------------------------

def _copy_project(destination: Path) -> Path:
    """The files a wheel is built from, copied so the build never writes into the repository."""
    destination.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, destination / name)
    shutil.copytree(REPO / "securecomp", destination / "securecomp",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return destination


def _make_venv(path: Path) -> Path:
    """A new venv (without pip: this interpreter's pip installs into it) whose only extra import
    path is this interpreter's site-packages, for the dependencies offline; a plain .pth line adds
    it after the venv's own site-packages, so no editable install of securecomp can leak in."""
    try:
        venv.EnvBuilder(with_pip=False, clear=True).create(path)
    except OSError as exc:
        pytest.skip(f"cannot create a venv here: {exc}")
    python = path / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


@pytest.mark.slow
def test_installed_console_script_round_trip_without_traceback(tmp_path, image_file):
    pytest.importorskip("setuptools", reason="building the wheel offline needs setuptools")
    pip = pytest.importorskip("pip", reason="installing into the new venv needs pip")
    if tuple(int(part) for part in pip.__version__.split(".")[:2]) < (22, 3):
        pytest.skip(f"pip {pip.__version__} has no --python option (22.3+)")
    if not REPO.joinpath("README.md").exists():
        pytest.fail("README.md is missing: pyproject.toml names it as the readme, so the wheel cannot build")
    python = _make_venv(tmp_path / "venv")
    source = _copy_project(tmp_path / "src")
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                              "--no-index", "--no-build-isolation", str(source)],
                             capture_output=True, text=True, timeout=120)
    assert install.returncode == 0, install.stderr[-2000:]
    imported = subprocess.run([python, "-c", "import securecomp; print(securecomp.__file__)"], cwd=tmp_path,
                              env=_without_pythonpath(), capture_output=True, text=True, check=True)
    assert Path(imported.stdout.strip()).is_relative_to(tmp_path / "venv")     # the installed copy, not the repo
    _check_console_script(tmp_path, tmp_path / "venv" / "bin" / "securecomp", image_file)


def _without_pythonpath() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}


def _check_console_script(work: Path, script: Path, image_file: Path) -> None:
    environment = _without_pythonpath()

    def securecomp(*argv) -> subprocess.CompletedProcess:
        return subprocess.run([script, *map(str, argv)], cwd=work, env=environment, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=60)

    assert securecomp("keygen", "-o", "k").returncode == 0
    assert securecomp("encrypt", image_file, "-o", "photo.sc", "--key-file", "k", "--codec", "png").returncode == 0
    assert securecomp("decrypt", "photo.sc", "-o", "restored.png", "--key-file", "k").returncode == 0
    assert np.array_equal(read_pixels(work / "restored.png"), read_pixels(image_file))
    inspected = securecomp("inspect", "photo.sc")
    assert inspected.returncode == 0 and "codec:     png" in inspected.stdout
    assert securecomp("keygen", "-o", "other").returncode == 0
    wrong = securecomp("decrypt", "photo.sc", "-o", "wrong.png", "--key-file", "other")
    assert wrong.returncode == 3 and "Traceback" not in wrong.stderr
    assert wrong.stderr.startswith("error: ") and "hint: " in wrong.stderr
    assert not (work / "wrong.png").exists()
