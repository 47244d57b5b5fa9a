"""encrypt()/decrypt() end to end: round trips, tampering, truncation, wrong secrets, strict parsing."""

import io
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import securecomp
from securecomp import container
from securecomp.api import _seal
from securecomp.codec.info import ImageInfo
from securecomp.errors import DecryptionError, FormatError, SecurecompError
from securecomp.keys import KdfParams

KEY = bytes(range(32))
SUITES = ["chaos+aes", "aes", "chaos"]
FAST_KDF = KdfParams(memory_kib=256, iterations=1, lanes=1, salt=bytes(16))


def _random_image(mode, size=(13, 7), seed=0):
    rng = np.random.default_rng(seed)
    if mode == "I;16":
        return Image.fromarray(rng.integers(0, 65536, size[::-1], dtype=np.uint16))
    channels = {"L": (), "RGB": (3,), "RGBA": (4,)}[mode]
    return Image.fromarray(rng.integers(0, 256, size[::-1] + channels, dtype=np.uint8))


def _pixels(image):
    return np.asarray(image)


LOSSLESS_CASES = [(codec, mode) for codec in ("png", "webp-lossless") for mode in ("L", "RGB", "RGBA")]
LOSSLESS_CASES.append(("png", "I;16"))


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("codec,mode", LOSSLESS_CASES)
def test_lossless_round_trip_returns_identical_pixels_mode_and_size(suite, codec, mode):
    image = _random_image(mode)
    blob = securecomp.encrypt(image, key=KEY, codec=codec, cipher=suite)
    out = securecomp.decrypt(blob, key=KEY)
    assert out.mode == image.mode and out.size == image.size
    assert np.array_equal(_pixels(out), _pixels(image))


@pytest.mark.parametrize("suite", SUITES)
def test_password_round_trip_with_default_argon2_parameters(suite):
    image = _random_image("RGB")
    blob = securecomp.encrypt(image, password="pässword", codec="png", cipher=suite)
    assert np.array_equal(_pixels(securecomp.decrypt(blob, password="pässword")), _pixels(image))
    with pytest.raises(DecryptionError):
        securecomp.decrypt(blob, password="passw0rd")


def test_numpy_and_path_inputs_round_trip(tmp_path):
    array = np.asarray(_random_image("RGB"))
    path = tmp_path / "in.png"
    Image.fromarray(array).save(path)
    for source in (array, path, str(path)):
        out = securecomp.decrypt(securecomp.encrypt(source, key=KEY, codec="png"), key=KEY)
        assert np.array_equal(_pixels(out), array)


def test_two_encryptions_of_one_image_with_one_key_differ():
    image = _random_image("RGB")
    a = securecomp.encrypt(image, key=KEY, codec="png")
    b = securecomp.encrypt(image, key=KEY, codec="png")
    assert a != b and a[30:] != b[30:]


@pytest.mark.parametrize("suite", SUITES)
def test_wrong_key_raises_decryption_error(suite):
    blob = securecomp.encrypt(_random_image("L"), key=KEY, codec="png", cipher=suite)
    with pytest.raises(DecryptionError):
        securecomp.decrypt(blob, key=securecomp.generate_key())


def test_key_for_a_password_container_and_vice_versa_raise_decryption_error():
    info, body = ImageInfo("png", "RGB", 2, 2), b"x" * 10
    by_password = _seal(info, body, suite="aes", key=None, password="pw", nonce=bytes(16), kdf=FAST_KDF)
    with pytest.raises(DecryptionError):
        securecomp.decrypt(by_password, key=KEY)
    by_key = _seal(info, body, suite="aes", key=KEY, password=None, nonce=bytes(16), kdf=None)
    with pytest.raises(DecryptionError):
        securecomp.decrypt(by_key, password="pw")


def _small_container(suite, password=False):
    buffer = io.BytesIO()
    _random_image("RGB", (4, 3)).save(buffer, format="PNG")
    info = ImageInfo("png", "RGB", 4, 3)
    if password:
        return _seal(info, buffer.getvalue(), suite=suite, key=None, password="pw", nonce=bytes(16), kdf=FAST_KDF)
    return _seal(info, buffer.getvalue(), suite=suite, key=KEY, password=None, nonce=bytes(16), kdf=None)


def _decrypt_raises_only_typed_errors(blob, password=False):
    secret = {"password": "pw"} if password else {"key": KEY}
    with pytest.raises((DecryptionError, FormatError)):
        securecomp.decrypt(blob, **secret)


@pytest.mark.parametrize("suite", SUITES)
def test_flipping_any_byte_raises_decryption_or_format_error(suite):
    blob = _small_container(suite)
    for position in range(len(blob)):
        for mask in (0x01, 0x80, 0xFF):
            damaged = bytearray(blob)
            damaged[position] ^= mask
            _decrypt_raises_only_typed_errors(bytes(damaged))


@pytest.mark.parametrize("suite", SUITES)
def test_flipping_any_byte_of_a_password_container_raises_decryption_or_format_error(suite):
    blob = _small_container(suite, password=True)
    for position in range(len(blob)):
        damaged = bytearray(blob)
        damaged[position] ^= 0x01
        _decrypt_raises_only_typed_errors(bytes(damaged), password=True)


@pytest.mark.parametrize("suite", SUITES)
def test_truncating_at_every_length_or_appending_bytes_raises(suite):
    blob = _small_container(suite)
    for length in range(len(blob)):
        _decrypt_raises_only_typed_errors(blob[:length])
    for extra in (b"\0", b"junk", blob):
        with pytest.raises(FormatError):
            securecomp.decrypt(blob + extra, key=KEY)


@settings(max_examples=200, deadline=None)
@given(garbage=st.binary(max_size=200), keep=st.integers(0, 60))
def test_garbage_after_a_real_header_prefix_raises_only_typed_errors(garbage, keep):
    blob = _small_container("chaos+aes")
    _decrypt_raises_only_typed_errors(blob[:keep] + garbage)


def _patched_header(**fields):
    header = container.parse(_small_container("aes")).header
    return container.Header(**{**header.__dict__, **fields}).pack()


@pytest.mark.parametrize("offset,value,message", [
    (10, 3, "version"), (11, 9, "suite"), (12, 7, "key type"),
])
def test_unknown_codes_raise_format_error(offset, value, message):
    blob = bytearray(_small_container("aes"))
    blob[offset] = value
    with pytest.raises(FormatError, match=message):
        container.parse(bytes(blob))


def test_sizes_over_the_limits_raise_format_error_before_allocation():
    header = _patched_header(payload_size=(1 << 32) + 1)
    with pytest.raises(FormatError, match="payload"):
        container.parse(header)
    blob = bytearray(_small_container("aes"))
    width_at = blob.index(b"\x00\x00\x00\x04\x00\x00\x00\x03")
    blob[width_at : width_at + 4] = (1 << 20).to_bytes(4, "big")
    with pytest.raises(FormatError, match="size"):
        container.parse(bytes(blob))


def test_every_error_for_hostile_input_is_a_securecomp_error():
    for blob in (b"", b"SECURECOMP", os.urandom(100), b"SECURECOMP\x01" + os.urandom(200)):
        with pytest.raises(SecurecompError):
            securecomp.decrypt(blob, key=KEY)
