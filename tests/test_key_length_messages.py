"""A key of the wrong length says that a securecomp key is 32 bytes, whether it comes as bytes or in a
well-formed key file, instead of calling the file damaged."""

from __future__ import annotations

import pytest

from securecomp import cli
from securecomp.errors import KeyFileError, ParameterError
from securecomp.keys import KEY_FILE_PREFIX, check_key, encode_secret_line, parse_key


@pytest.mark.parametrize("size", [0, 16, 31, 33, 64])
def test_a_key_of_the_wrong_length_names_32_bytes_and_the_length_given(size):
    with pytest.raises(ParameterError, match=f"a key must be 32 bytes, not {size}$"):
        check_key(bytes(size))


def test_a_key_that_is_not_bytes_names_32_bytes_and_its_type():
    with pytest.raises(ParameterError, match="a key must be 32 bytes, not a str"):
        check_key("00" * 32)


def test_a_well_formed_key_file_with_a_16_byte_key_says_32_bytes_not_damaged():
    line = encode_secret_line(KEY_FILE_PREFIX, bytes(range(16)))      # a valid checksum over 16 bytes
    with pytest.raises(KeyFileError, match="key file holds a 16-byte key; a securecomp key is 32 bytes"):
        parse_key(line)


def test_a_32_byte_key_file_with_a_bad_checksum_is_still_called_damaged():
    line = encode_secret_line(KEY_FILE_PREFIX, bytes(range(32)))
    with pytest.raises(KeyFileError, match="checksum mismatch"):
        parse_key(line[:-1] + ("0" if line[-1] != "0" else "1"))


def test_cli_with_a_16_byte_key_file_exits_4_and_names_32_bytes(tmp_path, capsys):
    (tmp_path / "short.key").write_text(encode_secret_line(KEY_FILE_PREFIX, bytes(16)) + "\n")
    (tmp_path / "short.key").chmod(0o600)
    (tmp_path / "any.sc").write_bytes(b"an input that exists")
    code = cli.main(["decrypt", str(tmp_path / "any.sc"), "-o", str(tmp_path / "x.png"),
                     "--key-file", str(tmp_path / "short.key")])
    err = capsys.readouterr().err
    assert code == 4 and "16-byte key" in err and "32 bytes" in err
