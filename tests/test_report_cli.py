"""`securecomp report`: writes the HTML (and JSON) page, or fails with one error:/hint: pair, the
documented exit code and no output file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from securecomp import cli
from securecomp._sample import landscape

FAST = ["--trials", "8", "--nist-sequences", "0", "--quiet", "--seed", "1"]


@pytest.fixture
def image_file(tmp_path) -> Path:
    path = tmp_path / "photo.png"
    Image.fromarray(landscape(256)).save(path)          # 256 x 256 RGB: the smallest color size that fits
    return path


def run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_clean_error(err: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("error: ") and lines[1].startswith("hint: ")


def test_report_writes_html_and_json_and_names_the_verdict(tmp_path, image_file, key_file, capsys):
    html, numbers = tmp_path / "report.html", tmp_path / "report.json"
    code, out, err = run(capsys, "report", image_file, "--key-file", key_file, "-o", html, "--json", numbers, *FAST)
    assert code == 0 and out == ""
    assert err.startswith(f"wrote {html}: ")
    data = json.loads(numbers.read_text())
    assert data["images"][0]["differential"]["plaintext"]["trials"] == 8
    assert data["key_source"] == "key file secret.key"
    assert "securecomp security evaluation" in html.read_text(encoding="utf-8")


def test_without_a_key_file_the_report_says_a_fresh_key_was_used(tmp_path, image_file, capsys):
    numbers = tmp_path / "r.json"
    assert run(capsys, "report", image_file, "-o", tmp_path / "r.html", "--json", numbers, *FAST)[0] == 0
    assert "fresh random key" in json.loads(numbers.read_text())["key_source"]


def test_report_is_listed_in_the_help(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "report" in out


def _small_image(tmp_path) -> Path:
    path = tmp_path / "small.png"
    Image.fromarray(landscape(96)).save(path)
    return path


def _damaged_key(tmp_path) -> Path:
    path = tmp_path / "damaged.key"
    path.write_text("securecomp-key-v1:AAAA:00000000\n")
    path.chmod(0o600)           # as keygen writes key files: a group-readable one adds a warning line
    return path


FAILURES = [
    ("missing image", lambda tmp, image, key: [tmp / "nope.png", "--key-file", key], 5, "no such file"),
    ("missing key file", lambda tmp, image, key: [image, "--key-file", tmp / "nope.key"], 5, "does not exist"),
    ("damaged key file", lambda tmp, image, key: [image, "--key-file", _damaged_key(tmp)], 4, "key"),
    ("image too small", lambda tmp, image, key: [_small_image(tmp), "--key-file", key], 5, "too small"),
    ("bad alpha", lambda tmp, image, key: [image, "--alpha", "2"], 2, "alpha"),
    ("json is the html", lambda tmp, image, key: [image, "--json", tmp / "out.html"], 2, "same file"),
    ("unknown codec", lambda tmp, image, key: [image, "--codec", "nope"], 2, "unknown codec"),
    ("quality above 8", lambda tmp, image, key: [image, "--quality", "9"], 2, "quality"),
]


@pytest.mark.parametrize(("case", "arguments", "exit_code", "message"), FAILURES, ids=[f[0] for f in FAILURES])
def test_bad_inputs_give_one_error_and_hint_and_write_nothing(tmp_path, image_file, key_file, capsys, case,
                                                              arguments, exit_code, message):
    before = set(tmp_path.iterdir())
    code, out, err = run(capsys, "report", *arguments(tmp_path, image_file, key_file), "-o", tmp_path / "out.html",
                         *FAST)
    assert code == exit_code and out == ""
    assert_clean_error(err)
    assert message in err.splitlines()[0]
    assert not (tmp_path / "out.html").exists()
    assert {path for path in tmp_path.iterdir() if path.suffix in (".html", ".json")} <= before


def test_an_existing_report_is_kept_without_force(tmp_path, image_file, capsys):
    html = tmp_path / "report.html"
    html.write_text("old")
    code, _, err = run(capsys, "report", image_file, "-o", html, *FAST)
    assert code == 5 and "--force" in err and html.read_text() == "old"
