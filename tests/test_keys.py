"""Keys: generation, key files, Argon2id limits, HKDF subkeys."""

import os
import stat

import pytest

from securecomp import generate_key, keys
from securecomp.errors import FormatError, KeyFileError, OutputExistsError, ParameterError
from securecomp.keys import KdfParams, format_key, parse_key, password_key, read_key_file, subkeys, write_key_file


def test_generate_key_returns_32_fresh_bytes():
    a, b = generate_key(), generate_key()
    assert len(a) == 32 and a != b


def test_key_file_is_one_line_owner_only_and_round_trips(tmp_path):
    key, path = generate_key(), tmp_path / "k.key"
    write_key_file(path, key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = path.read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith("securecomp-key-v1:")
    assert read_key_file(path) == key


def test_key_file_is_not_overwritten_without_asking(tmp_path):
    path = tmp_path / "k.key"
    write_key_file(path, generate_key())
    before = path.read_bytes()
    with pytest.raises(OutputExistsError):
        write_key_file(path, generate_key())
    assert path.read_bytes() == before
    write_key_file(path, generate_key(), overwrite=True)
    assert path.read_bytes() != before


def test_any_damaged_character_of_a_key_line_raises_key_file_error():
    line = format_key(generate_key())
    for i in range(len(line)):
        damaged = line[:i] + ("A" if line[i] != "A" else "B") + line[i + 1 :]
        with pytest.raises(KeyFileError):
            parse_key(damaged)


@pytest.mark.parametrize("text", ["", "hello", "securecomp-key-v2:AAAA:00000000", "securecomp-key-v1:!!:x"])
def test_foreign_text_raises_key_file_error(text):
    with pytest.raises(KeyFileError):
        parse_key(text)


def test_missing_or_binary_key_file_raises_key_file_error(tmp_path):
    with pytest.raises(KeyFileError):
        read_key_file(tmp_path / "absent")
    (tmp_path / "bin").write_bytes(os.urandom(64) + b"\xff")
    with pytest.raises(KeyFileError):
        read_key_file(tmp_path / "bin")


@pytest.mark.parametrize("params", [
    KdfParams(memory_kib=(1 << 20) + 1, salt=bytes(16)),
    KdfParams(iterations=11, salt=bytes(16)),
    KdfParams(iterations=0, salt=bytes(16)),
    KdfParams(lanes=0, salt=bytes(16)),
    KdfParams(memory_kib=4, lanes=1, salt=bytes(16)),
    KdfParams(salt=bytes(8)),
])
def test_hostile_argon2_parameters_are_refused_before_any_work(params, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("Argon2id ran on parameters that should have been refused")

    monkeypatch.setattr(keys, "Argon2id", forbidden)
    with pytest.raises(FormatError):
        password_key("pw", params)


def test_password_key_depends_on_password_and_salt():
    params = KdfParams(memory_kib=256, iterations=1, lanes=1, salt=bytes(16))
    k = password_key("pw", params)
    assert len(k) == 32 and k == password_key(b"pw", params)
    assert k != password_key("pW", params)
    assert k != password_key("pw", KdfParams(memory_kib=256, iterations=1, lanes=1, salt=b"\1" * 16))
    with pytest.raises(ParameterError):
        password_key("", params)


def test_subkeys_differ_by_purpose_and_by_nonce():
    master = generate_key()
    a, b = subkeys(master, bytes(16)), subkeys(master, b"\1" + bytes(15))
    assert len({a.chaos, a.aes, a.mac, b.chaos, b.aes, b.mac}) == 6
    assert len(a.aes_prefix) == 7 and a.aes_prefix != b.aes_prefix
