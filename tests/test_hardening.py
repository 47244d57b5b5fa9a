"""Smaller findings of the security review: one immutable copy in the chaos suite, secrets kept
out of reprs, bounded reads of secret files."""

from __future__ import annotations

import hmac

import numpy as np
import pytest
from PIL import Image

import securecomp
from securecomp import container, suites
from securecomp.keys import subkeys


def test_the_chaos_suite_decrypts_the_bytes_it_authenticated(monkeypatch):
    """A buffer changed between the MAC check and the decryption must not change the output."""
    image = Image.fromarray(np.arange(48, dtype=np.uint8).reshape(4, 4, 3))
    key = securecomp.generate_key()
    blob = securecomp.encrypt(image, key=key, codec="png", cipher="chaos")
    parsed = container.parse(blob)
    header = parsed.header
    shared = bytearray(parsed.sealed)
    real_compare = hmac.compare_digest

    def compare_then_tamper(a, b):
        result = real_compare(a, b)
        shared[0] ^= 0xFF                       # another thread writes after the check
        return result

    monkeypatch.setattr(suites.hmac, "compare_digest", compare_then_tamper)
    keys = subkeys(key, header.nonce, version=header.version, suite="chaos", key_type=header.key_type)
    opened = suites.open_payload("chaos", keys, header.nonce, parsed.header_bytes, memoryview(shared),
                                 header.payload_size)
    monkeypatch.undo()
    expected = suites.open_payload("chaos", keys, header.nonce, parsed.header_bytes, parsed.sealed,
                                   header.payload_size)
    assert opened == expected


def test_batch_settings_never_show_the_secret():
    from securecomp.batch import Settings
    from securecomp.errors import ParameterError
    from securecomp.secret import Password

    settings = Settings("encrypt", Password("hunter2-very-secret"))
    assert "hunter2" not in repr(settings)
    with pytest.raises(ParameterError) as refused:          # the old {kind: value} form
        Settings("encrypt", {"password": "hunter2-very-secret"})
    assert "hunter2" not in str(refused.value)


def test_a_password_file_is_read_only_as_far_as_its_limit(tmp_path):
    from securecomp.cli.io import MAX_PASSWORD_FILE, read_password_file

    path = tmp_path / "pw"
    path.write_bytes(b"first line\n" + bytes(MAX_PASSWORD_FILE * 4))
    assert read_password_file(path) == b"first line"


@pytest.mark.skipif(not __import__("os").path.exists("/dev/zero"), reason="no /dev/zero")
def test_a_password_file_of_dev_zero_ends():
    from pathlib import Path

    from securecomp.cli.io import MAX_PASSWORD_FILE, read_password_file

    assert len(read_password_file(Path("/dev/zero"))) <= MAX_PASSWORD_FILE     # it returns, bounded
