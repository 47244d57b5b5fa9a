"""What a newcomer runs into (issue 18): empty stdin, inspecting a damaged file, temporary names and
quoted limits in messages, exit codes as the README table says, and no silent data loss (several
frames, CMYK, lossy outputs)."""

from __future__ import annotations

import contextlib
import errno
import io
import json
import re
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from securecomp import _atomic, cli, compress, container, decrypt, encrypt, errors, generate_key
from securecomp._sample import landscape
from securecomp.cli import commands
from securecomp.cli.io import report_os_error, shown_path
from securecomp.codec.info import MAX_PIXELS, ImageInfo
from securecomp.codec.registry import check_codec_choice
from securecomp.errors import ImageConversionWarning, MultiFrameImageError, ParameterError
from securecomp.images import image_from_bytes, pillow_pixel_limit, to_image
from securecomp.keys import KdfParams, read_key_file

REPO = Path(__file__).resolve().parents[1]


class FakeStdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)

    def isatty(self) -> bool:
        return False


def run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_clean_error(err: str) -> tuple[str, str]:
    """One ``error:`` line and one ``hint:`` line, nothing else; returns both."""
    lines = err.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("error: ") and lines[1].startswith("hint: "), err
    assert len(lines[1]) > len("hint: ") + 10 and "Traceback" not in err
    return lines[0], lines[1]


@pytest.fixture
def pillow_limit(monkeypatch):
    """Restore PIL.Image.MAX_IMAGE_PIXELS after the test (--max-pixels may raise it)."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)


def _frames(count: int = 2, size: tuple[int, int] = (24, 16)) -> list[Image.Image]:
    rng = np.random.default_rng(3)
    return [Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)) for _ in range(count)]


def _multi_frame(tmp_path: Path, kind: str) -> Path:
    frames = _frames()
    path = tmp_path / {"gif": "anim.gif", "apng": "anim.png", "tiff": "pages.tiff", "webp": "anim.webp"}[kind]
    frames[0].save(path, save_all=True, append_images=frames[1:], **({"lossless": True} if kind == "webp" else {}))
    return path


def _cmyk_jpeg(tmp_path: Path) -> Path:
    path = tmp_path / "print.jpg"
    Image.fromarray(landscape(32)).convert("CMYK").save(path, quality=95)
    return path


def _png_with_declared_size(width: int, height: int) -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"") + chunk(b"IEND", b"")


# --- 1. empty stdin ----------------------------------------------------------------------------

@pytest.mark.parametrize(("command", "what"), [("decrypt", "container"), ("inspect", "container"),
                                               ("encrypt", "image")])
def test_empty_stdin_is_named_as_such(tmp_path, key_file, monkeypatch, capsys, command, what):
    monkeypatch.setattr("sys.stdin", FakeStdin(b""))
    extra = [] if command == "inspect" else ["-o", tmp_path / "out", "--key-file", key_file]
    code, out, err = run(capsys, command, *extra)
    error, hint = assert_clean_error(err)
    assert code == 5 and out == ""
    assert error == f"error: stdin is empty: no {what} was piped in"
    assert "pipe" in hint and "truncated" not in err
    assert not (tmp_path / "out").exists()


def test_an_empty_container_file_says_empty_not_truncated(tmp_path, key_file, capsys):
    empty = tmp_path / "empty.sc"
    empty.write_bytes(b"")
    for argv in (["decrypt", empty, "-o", tmp_path / "out.png", "--key-file", key_file], ["inspect", empty]):
        code, out, err = run(capsys, *argv)
        error, _ = assert_clean_error(err)
        assert code == 4 and out == "" and error == f"error: {empty} is empty (0 bytes), not a securecomp container"


def test_an_image_on_stdin_that_is_not_one_names_stdin_not_a_python_object(tmp_path, key_file, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", FakeStdin(b"hello\n"))
    code, _, err = run(capsys, "encrypt", "-o", tmp_path / "x.sc", "--key-file", key_file)
    error, _ = assert_clean_error(err)
    assert code == 5 and error == "error: cannot read the image on stdin: not an image file Pillow can decode"


# --- 2. inspect of a truncated or damaged container --------------------------------------------

@pytest.mark.parametrize("keep", ["60 bytes", "half"])
def test_inspect_of_a_truncated_container_shows_its_header_then_fails(tmp_path, sealed, capsys, keep):
    data = sealed.read_bytes()
    cut = tmp_path / "cut.sc"
    cut.write_bytes(data[:60] if keep == "60 bytes" else data[: len(data) // 2])
    code, out, err = run(capsys, "inspect", cut)
    error, hint = assert_clean_error(err)
    assert code == errors.FormatError.exit_code == 4
    for row in ("suite:     chaos+aes", "codec:     png", "size:      96x64", "mode:      RGB", "key:       raw key"):
        assert row in out
    assert "TRUNCATED" in out and "truncated" in error and str(cut) in error
    assert "cut short" in hint
    if keep == "half":
        assert f"container: {len(data) // 2} of {len(data)} bytes, TRUNCATED" in out


def test_inspect_json_of_a_truncated_container_says_what_is_missing(tmp_path, sealed, capsys):
    data = sealed.read_bytes()
    sealed.write_bytes(data[:-7])
    code, out, err = run(capsys, "inspect", "--json", sealed)
    fields = json.loads(out)
    assert code == 4 and err.startswith("error: ")
    assert fields["codec"] == "png" and (fields["width"], fields["height"]) == (96, 64)
    assert fields["truncated"] is True and fields["expected_bytes"] == len(data)
    assert fields["container_bytes"] == len(data) - 7 and "lacks 7" in fields["problem"]


def test_inspect_of_trailing_bytes_says_damaged(tmp_path, sealed, capsys):
    sealed.write_bytes(sealed.read_bytes() + b"junk")
    code, out, err = run(capsys, "inspect", sealed)
    error, _ = assert_clean_error(err)
    assert code == 4 and "DAMAGED" in out and "4 trailing bytes" in error and "codec:     png" in out


def _containers() -> dict[str, bytes]:
    """A version-2 container with a raw key, a password and recipients, and a version-1 one."""
    from securecomp.api import _seal
    from securecomp.codec.bitstream import encode_image
    from securecomp.recipients import generate_identity

    image = Image.fromarray(landscape(16))
    info, body = encode_image(image, "png", 1)
    kdf = KdfParams(memory_kib=8, iterations=1, lanes=1, salt=bytes(16))
    v2_key = encrypt(image, key=generate_key(), codec="png", cipher="aes")
    password = _seal(info, body, suite="chaos", key=None, password="pw", nonce=bytes(16), kdf=kdf)
    recipients = encrypt(image, recipients=[generate_identity().recipient, generate_identity().recipient],
                         codec="jpeg", quality=3.25)
    legacy = json.loads((REPO / "tests" / "vectors" / "container-v1.json").read_text())
    return {"key": v2_key, "password": password, "recipients": recipients,
            "version 1": bytes.fromhex(legacy[0]["container"])}


def _strict_fields(blob: bytes) -> dict:
    parsed = container.parse(blob)
    header, info = parsed.header, parsed.header.info
    fields = {"version": header.version, "suite": header.suite, "key_type": header.key_type, "nonce": header.nonce,
              "codec": info.codec, "model": info.model, "quality": info.quality, "mode": info.mode,
              "width": info.width, "height": info.height, "payload_size": header.payload_size}
    if header.kdf is not None:
        fields["kdf"] = header.kdf
    if header.stanzas:
        fields["recipients"] = len(header.stanzas)
    if header.version >= 2:
        fields.update(metadata_size=header.metadata_size, header_mac=parsed.mac)
    return fields


@pytest.mark.parametrize("kind", ["key", "password", "recipients", "version 1"])
def test_read_partial_agrees_with_parse_at_every_length(kind):
    blob = _containers()[kind]
    whole = container.read_partial(blob)
    assert whole.problem == "" and not whole.truncated and whole.expected_size == len(blob)
    assert whole.fields == _strict_fields(blob)
    previous: list[str] = []
    for length in range(len(blob)):
        partial = container.read_partial(blob[:length])
        assert partial.truncated and "truncated" in partial.problem and partial.size == length
        with pytest.raises(errors.FormatError):
            container.parse(blob[:length])
        names = list(partial.fields)
        assert names[: len(previous)] == previous           # fields only ever add up as bytes are added
        assert {name: whole.fields[name] for name in names} == partial.fields
        previous = names
    assert previous == list(whole.fields)


@pytest.mark.parametrize(("offset", "value", "problem"), [(0, ord("X"), "bad magic"), (10, 9, "version 9"),
                                                          (11, 250, "cipher suite code 250"),
                                                          (12, 7, "key type code 7")])
def test_read_partial_says_damaged_at_the_first_bad_field(offset, value, problem):
    blob = bytearray(_containers()["key"])
    blob[offset] = value
    partial = container.read_partial(bytes(blob))
    assert problem in partial.problem and not partial.truncated


# --- 3. no temporary names; limits quoted as enforced ------------------------------------------

def test_a_failed_atomic_write_names_the_output_not_its_temporary_file(tmp_path, image_file, key_file, monkeypatch,
                                                                      capsys):
    def no_hard_links(source, target, *args, **kwargs):      # as on vfat or some network shares
        raise OSError(errno.EPERM, "Operation not permitted", source, None, target)
    monkeypatch.setattr(_atomic.os, "link", no_hard_links)
    output = tmp_path / "out.sc"
    code, _, err = run(capsys, "encrypt", image_file, "-o", output, "--key-file", key_file, "--codec", "png")
    error, _ = assert_clean_error(err)
    assert code == 5 and error == f"error: cannot write {output}: Operation not permitted"
    assert ".tmp" not in err and sorted(p.name for p in tmp_path.iterdir()) == ["photo.png", "secret.key"]
    code, _, err = run(capsys, "keygen", "-o", tmp_path / "new.key")
    assert code == 5 and f"cannot write {tmp_path / 'new.key'}" in err and ".tmp" not in err


def test_an_os_error_naming_a_temporary_file_shows_the_target():
    assert shown_path("/data/out/.photo.png.0a1b2c3d.tmp") == "/data/out/photo.png"
    assert shown_path(".x.sc.deadbeef.tmp") == "x.sc"
    assert shown_path("/data/.hidden.png") == "/data/.hidden.png"
    code_line = io.StringIO()
    with contextlib.redirect_stderr(code_line):
        assert report_os_error(OSError(errno.ENOSPC, "No space left on device", "/d/.a.png.12345678.tmp")) == 5
    assert code_line.getvalue().startswith("error: /d/a.png: No space left on device")


def test_an_image_file_over_pillows_limit_quotes_that_limit(tmp_path, key_file, capsys, pillow_limit):
    limit = pillow_pixel_limit()
    assert limit == 2 * Image.MAX_IMAGE_PIXELS == 178_956_970
    side = int(limit**0.5) + 1                                  # 13378 x 13378: just over the limit
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_with_declared_size(side, side))
    code, _, err = run(capsys, "encrypt", bomb, "-o", tmp_path / "x.sc", "--key-file", key_file, "--codec", "png")
    error, hint = assert_clean_error(err)
    assert code == 5 and "too many pixels" in error
    assert "178,956,970" in hint and "--max-pixels" in hint and f"{MAX_PIXELS:,}" in hint and "2**28" not in err
    with pytest.raises(errors.UnsupportedImageError) as caught:        # the API says how to raise it
        to_image(bomb)
    assert "178,956,970" in caught.value.hint and "MAX_IMAGE_PIXELS" in caught.value.hint


def test_decrypt_over_max_pixels_names_the_option_that_opens_it(tmp_path, sealed, key_file, capsys, pillow_limit):
    output = tmp_path / "out.png"
    code, _, err = run(capsys, "decrypt", sealed, "-o", output, "--key-file", key_file, "--max-pixels", "6000")
    error, hint = assert_clean_error(err)
    assert code == 4 and "6144 pixels" in error and "--max-pixels 6144" in hint and not output.exists()
    assert run(capsys, "decrypt", sealed, "-o", output, "--key-file", key_file, "--max-pixels", "6144")[0] == 0
    code, _, err = run(capsys, "decrypt", sealed, "-o", output, "--max-pixels", str(MAX_PIXELS + 1))
    assert code == 2 and str(MAX_PIXELS) in err


def test_encrypting_more_pixels_than_decrypt_opens_by_default_warns(tmp_path, image_file, key_file, monkeypatch,
                                                                   capsys):
    monkeypatch.setattr(commands, "DEFAULT_MAX_PIXELS", 6000)
    code, _, err = run(capsys, "encrypt", image_file, "-o", tmp_path / "x.sc", "--key-file", key_file, "--codec", "png")
    assert code == 0
    assert err == "warning: the image has 6,144 pixels, more than decrypt opens by default (6,000); " \
                  "decrypt it with --max-pixels 6144\n"


def test_no_hint_quotes_2_to_the_28_for_what_pillow_limits():
    for cls in (errors.UnsupportedImageError, errors.MultiFrameImageError):
        assert "2**28" not in cls.default_hint
    with pytest.raises(errors.UnsupportedImageError) as caught:
        to_image(Image.new("L", (65537, 1)))
    assert "65536 pixels per side" in caught.value.hint and f"{MAX_PIXELS:,}" in caught.value.hint


# --- 4. exit codes: the README table, each pinned ----------------------------------------------

def _readme_exit_codes() -> dict[int, str]:
    text = (REPO / "README.md").read_text()
    table = text.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    return {int(code): meaning.strip() for code, meaning in re.findall(r"^\| (\d+)\s*\| (.+?) \|$", table, re.M)}


def _unknown_codec_container(key: bytes) -> bytes:
    from securecomp.api import _seal
    info = ImageInfo("future-codec", "RGB", 8, 8, 0)
    return _seal(info, b"a body only a newer securecomp decodes", suite="aes", key=key, password=None,
                 nonce=bytes(16), kdf=None)


def _scenario(code: int, tmp_path: Path, image_file: Path, sealed: Path, key_file: Path, monkeypatch) -> list:
    out = tmp_path / "out.png"
    if code == 0:
        return ["decrypt", sealed, "-o", out, "--key-file", key_file]
    if code == 1:
        monkeypatch.setattr(commands, "decrypt", lambda *a, **k: {}["a bug"])
        return ["decrypt", sealed, "-o", out, "--key-file", key_file]
    if code == 2:
        return ["encrypt", image_file, "-o", tmp_path / "x.sc", "--key-file", key_file, "--codec", "nope"]
    if code == 3:
        other = tmp_path / "other.key"
        assert cli.main(["keygen", "-o", str(other)]) == 0
        return ["decrypt", sealed, "-o", out, "--key-file", other]
    if code == 4:
        sealed.write_bytes(sealed.read_bytes()[:-1])
        return ["decrypt", sealed, "-o", out, "--key-file", key_file]
    if code == 5:
        return ["decrypt", tmp_path / "missing.sc", "-o", out, "--key-file", key_file]
    if code == 6:
        future = tmp_path / "future.sc"
        future.write_bytes(_unknown_codec_container(read_key_file(key_file)))
        return ["decrypt", future, "-o", out, "--key-file", key_file]
    if code == 7:
        folder = tmp_path / "in"
        folder.mkdir()
        (folder / "good.png").write_bytes(image_file.read_bytes())
        (folder / "broken.png").write_bytes(b"not a png")
        return ["batch", "encrypt", folder, tmp_path / "batch-out", "--key-file", key_file, "--codec", "png",
                "--no-progress"]
    if code == 130:
        def interrupted(*args, **kwargs):
            raise KeyboardInterrupt
        monkeypatch.setattr(commands, "decrypt", interrupted)
        return ["decrypt", sealed, "-o", out, "--key-file", key_file]
    raise AssertionError(f"no scenario for exit code {code}: add one")


@pytest.mark.parametrize("code", sorted(_readme_exit_codes()))
def test_every_exit_code_of_the_readme_table_is_what_the_cli_returns(code, tmp_path, image_file, sealed, key_file,
                                                                     monkeypatch, capsys):
    argv = _scenario(code, tmp_path, image_file, sealed, key_file, monkeypatch)
    capsys.readouterr()
    got, _, err = run(capsys, *argv)
    assert got == code, err
    if code:
        assert "\nerror: " in "\n" + err and "Traceback" not in err
    if code not in (0, 7):
        assert not (tmp_path / "out.png").exists()


def test_the_readme_table_covers_every_error_class_exit_code():
    documented = _readme_exit_codes()
    assert set(documented) == {0, 1, 2, 3, 4, 5, 6, 7, 130}
    classes = [getattr(errors, name) for name in errors.__all__]
    for cls in classes:
        if isinstance(cls, type) and issubclass(cls, errors.SecurecompError):
            assert cls.exit_code in documented, cls
    assert "unknown codec" not in documented[6] and "bad option or value" in documented[2]


def test_an_unknown_codec_is_a_bad_value_but_a_container_naming_one_is_a_codec_error():
    with pytest.raises(ParameterError, match="unknown codec 'nope'") as caught:
        check_codec_choice("nope")
    assert caught.value.exit_code == 2 and "png" in caught.value.hint
    check_codec_choice("png")
    check_codec_choice(None)
    key = generate_key()
    with pytest.raises(errors.CodecError, match="unknown codec 'future-codec'") as caught:
        decrypt(_unknown_codec_container(key), key=key)
    assert caught.value.exit_code == 6 and "newer" in caught.value.hint


def test_demo_with_an_unknown_codec_exits_2(capsys):
    code, _, err = run(capsys, "demo", "--codec", "nope")
    assert code == 2
    assert_clean_error(err)


# --- 5. no silent data loss --------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["gif", "apng", "tiff", "webp"])
def test_a_multi_frame_image_is_refused_without_first_frame(tmp_path, key_file, capsys, kind):
    source = _multi_frame(tmp_path, kind)
    output = tmp_path / "x.sc"
    code, _, err = run(capsys, "encrypt", source, "-o", output, "--key-file", key_file, "--codec", "png")
    error, hint = assert_clean_error(err)
    assert code == 5 and error == (f"error: {source} has 2 frames (an animation or a multi-page file); "
                                   "securecomp carries one image")
    assert "--first-frame" in hint and not output.exists()
    with pytest.raises(MultiFrameImageError):
        encrypt(source, key=generate_key(), codec="png")
    with pytest.raises(MultiFrameImageError):
        compress(source, codec="png")
    with Image.open(source) as opened, pytest.raises(MultiFrameImageError, match="the image has 2 frames"):
        to_image(opened)


@pytest.mark.parametrize("kind", ["gif", "apng", "tiff"])
def test_first_frame_encrypts_the_first_frame_with_one_line_saying_so(tmp_path, key_file, capsys, kind):
    source = _multi_frame(tmp_path, kind)
    output, restored = tmp_path / "x.sc", tmp_path / "back.png"
    code, _, err = run(capsys, "encrypt", source, "-o", output, "--key-file", key_file, "--codec", "png",
                       "--first-frame")
    assert code == 0 and err == f"warning: {source} has 2 frames; only the first is kept\n"
    assert run(capsys, "decrypt", output, "-o", restored, "--key-file", key_file)[0] == 0
    with Image.open(source) as first:
        expected = np.asarray(first.convert("RGB"))
    with Image.open(restored) as back:
        assert np.array_equal(np.asarray(back.convert("RGB")), expected)


def test_first_frame_in_the_api_warns_and_gives_a_one_frame_image(tmp_path):
    source = _multi_frame(tmp_path, "tiff")
    with pytest.warns(ImageConversionWarning, match="has 2 frames; only the first is kept"):
        image = to_image(source, first_frame=True)
    assert getattr(image, "n_frames", 1) == 1 and image.size == (24, 16)
    blob = encrypt(image, key=(key := generate_key()), codec="png")       # no second refusal, no warning
    assert np.array_equal(np.asarray(decrypt(blob, key=key)), np.asarray(image))


def test_piped_multi_frame_image_is_refused_too(tmp_path, key_file, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", FakeStdin(_multi_frame(tmp_path, "gif").read_bytes()))
    code, _, err = run(capsys, "encrypt", "-o", tmp_path / "x.sc", "--key-file", key_file, "--codec", "png")
    error, _ = assert_clean_error(err)
    assert code == 5 and error.startswith("error: the image on stdin has 2 frames")
    with pytest.warns(ImageConversionWarning):
        assert image_from_bytes(_multi_frame(tmp_path, "gif").read_bytes(), first_frame=True).mode == "RGB"


def test_an_mpo_keeps_its_primary_picture_with_a_warning(tmp_path):
    path = tmp_path / "stereo.jpg"
    frames = _frames()
    frames[0].save(path, format="MPO", save_all=True, append_images=frames[1:])
    with Image.open(path) as check:
        if check.format != "MPO":
            pytest.skip("this Pillow does not write MPO")
    with pytest.warns(ImageConversionWarning, match="MPO file of 2 pictures"):
        assert to_image(path).size == (24, 16)


def test_a_cmyk_jpeg_is_converted_with_one_warning_line(tmp_path, key_file, capsys):
    source = _cmyk_jpeg(tmp_path)
    code, _, err = run(capsys, "encrypt", source, "-o", tmp_path / "x.sc", "--key-file", key_file, "--codec", "png")
    assert code == 0
    assert err == f"warning: {source} is CMYK: converted to RGB without colour management; colours may shift\n"


def test_cmyk_conversion_drops_the_cmyk_profile_that_no_longer_fits(recwarn):
    cmyk = Image.new("CMYK", (4, 4), (0, 128, 255, 10))
    cmyk.info["icc_profile"] = b"a CMYK profile"
    image = to_image(cmyk)
    assert image.mode == "RGB" and "icc_profile" not in image.info
    [warning] = [w for w in recwarn if issubclass(w.category, ImageConversionWarning)]
    assert "CMYK colour profile dropped" in str(warning.message)


@pytest.mark.parametrize(("suffix", "named"), [(".jpg", "JPEG"), (".webp", "WebP"), (".gif", "GIF (256 colours)")])
def test_decrypting_to_a_lossy_format_warns_on_one_line(tmp_path, sealed, key_file, capsys, suffix, named):
    output = tmp_path / f"out{suffix}"
    code, _, err = run(capsys, "decrypt", sealed, "-o", output, "--key-file", key_file)
    assert code == 0 and output.exists()
    assert err == (f"warning: {output} is written as {named}, which compresses the decrypted pixels again, lossily; "
                   "use a .png output to keep them exactly\n")


@pytest.mark.parametrize("suffix", [".png", ".tiff", ".bmp"])
def test_decrypting_to_a_lossless_format_says_nothing(tmp_path, sealed, key_file, capsys, suffix):
    code, _, err = run(capsys, "decrypt", sealed, "-o", tmp_path / f"out{suffix}", "--key-file", key_file)
    assert code == 0 and err == ""


def test_exif_left_out_says_so_on_one_line_and_keep_metadata_keeps_it_quiet(tmp_path, key_file, capsys):
    source = tmp_path / "phone.jpg"
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"
    Image.fromarray(landscape(32)).save(source, exif=exif.tobytes())
    code, _, err = run(capsys, "encrypt", source, "-o", tmp_path / "a.sc", "--key-file", key_file, "--codec", "png")
    assert code == 0 and err == ("note: the image's EXIF metadata (camera, time, place) is left out; "
                                 "--keep-metadata carries it, encrypted\n")
    code, _, err = run(capsys, "encrypt", source, "-o", tmp_path / "b.sc", "--key-file", key_file, "--codec", "png",
                       "--keep-metadata")
    assert code == 0 and err == ""


def test_the_readme_says_what_the_command_line_does_with_the_limits_it_enforces():
    from securecomp.codec.info import DEFAULT_MAX_PIXELS

    text = (REPO / "README.md").read_text()
    privacy = text.split("## Privacy", 1)[1].split("\n## ", 1)[0]
    assert "without saying so" not in privacy
    assert "--first-frame" in privacy and "MultiFrameImageError" in privacy and "ImageConversionWarning" in privacy
    flat = " ".join(privacy.split())
    assert f"to {pillow_pixel_limit():,} pixels (Pillow's decompression-bomb limit)" in flat
    assert f"opens up to {DEFAULT_MAX_PIXELS:,}" in flat and f"limit of {MAX_PIXELS:,} (2**28)" in flat


# --- 6. progress of a large single image -------------------------------------------------------

@pytest.fixture(scope="module")
def two_tiles() -> Image.Image:
    return Image.fromarray(landscape(520)[:40])          # 520 x 40: tiles of 512 x 40 and 8 x 40


@pytest.mark.parametrize(("codec", "steps"),
                         [("learned", 5), ("bandara2020-sae", 2)])
def test_the_learned_codecs_report_progress_per_tile(two_tiles, codec, steps):
    """The per-quality model codes each tile in one step. The continuous model analyses the image
    (one window of up to WINDOW pixels), then codes each tile in two passes (encoding); or it
    decodes each tile's two passes, then synthesises the window (decoding)."""
    key, calls = generate_key(), []
    blob = encrypt(two_tiles, key=key, codec=codec, quality=4, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(step, steps) for step in range(1, steps + 1)]
    calls.clear()
    decrypt(blob, key=key, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(step, steps) for step in range(1, steps + 1)]


def test_classical_codecs_and_no_callback_are_quiet(two_tiles):
    calls = []
    key = generate_key()
    blob = encrypt(two_tiles, key=key, codec="png", progress=lambda *a: calls.append(a))
    decrypt(blob, key=key, progress=lambda *a: calls.append(a))
    assert calls == []
    decrypt(encrypt(two_tiles, key=key, codec="learned", quality=2), key=key)      # progress=None


def test_a_large_image_shows_a_tile_bar_on_a_terminal_only(tmp_path, key_file, two_tiles, monkeypatch, capsys):
    source = tmp_path / "wide.png"
    two_tiles.save(source)
    monkeypatch.setattr(commands, "PROGRESS_PIXELS", 520 * 40 - 1)      # "large" for this test
    monkeypatch.setattr(commands, "_stderr_is_terminal", lambda: True)
    code, _, err = run(capsys, "encrypt", source, "-o", tmp_path / "a.sc", "--key-file", key_file, "--quality", "2")
    assert code == 0 and "encrypt" in err and "5/5" in err and "step" in err and "error" not in err
    code, _, err = run(capsys, "decrypt", tmp_path / "a.sc", "-o", tmp_path / "a.png", "--key-file", key_file)
    assert code == 0 and "decrypt" in err and "5/5" in err      # each tile's two passes, then the window's pixels
    monkeypatch.setattr(commands, "_stderr_is_terminal", lambda: False)
    code, _, err = run(capsys, "decrypt", tmp_path / "a.sc", "-o", tmp_path / "b.png", "--key-file", key_file)
    assert code == 0 and err == ""
    monkeypatch.setattr(commands, "_stderr_is_terminal", lambda: True)
    monkeypatch.setattr(commands, "PROGRESS_PIXELS", 520 * 40)           # not above the threshold: no bar
    code, _, err = run(capsys, "decrypt", tmp_path / "a.sc", "-o", tmp_path / "c.png", "--key-file", key_file)
    assert code == 0 and err == ""
