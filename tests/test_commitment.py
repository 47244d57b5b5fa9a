"""Container format 2: the header MAC commits a container to one key; KDF floor and cap; the
encrypted metadata block; real qualities and target sizes through encrypt()."""

from __future__ import annotations

import io
import time
import unicodedata

import numpy as np
import pytest
from PIL import Image, ImageCms

import securecomp
from securecomp import container
from securecomp.api import _seal
from securecomp.container import Header
from securecomp.errors import DecryptionError
from securecomp.keys import KdfParams
from securecomp.recipients import _wrap_to, generate_identity

PICTURE = Image.fromarray(np.random.default_rng(0).integers(0, 256, (24, 32, 3), np.uint8))
WEAK = KdfParams(memory_kib=256, iterations=1, lanes=1, salt=bytes(16))


def _png_body() -> tuple:
    from securecomp.codec.bitstream import encode_image

    return encode_image(PICTURE, "png", 1)


@pytest.mark.parametrize("cipher", ["aes", "chaos+aes", "chaos"])
def test_flipping_any_header_mac_byte_raises_decryption_error(cipher):
    key = securecomp.generate_key()
    blob = bytearray(securecomp.encrypt(PICTURE, key=key, codec="png", cipher=cipher))
    end = len(container.parse(bytes(blob)).header_bytes)
    for position in range(end - container.HEADER_MAC_SIZE, end):
        damaged = bytearray(blob)
        damaged[position] ^= 1
        with pytest.raises(DecryptionError, match="authentication failed"):
            securecomp.decrypt(bytes(damaged), key=key)


@pytest.mark.parametrize("cipher", ["aes", "chaos+aes"])
def test_a_container_opens_under_the_key_it_was_sealed_for_and_no_other(cipher):
    """A sender who wraps one file key to A and another to B: the header MAC holds under one of
    them only, so B is refused before any payload is opened."""
    info, body = _png_body()
    a, b = generate_identity(), generate_identity()
    key_a, key_b = bytes(range(32)), bytes(range(1, 33))
    stanzas = (_wrap_to(key_a, a.recipient, generate_identity()._private),
               _wrap_to(key_b, b.recipient, generate_identity()._private))
    blob = _seal(info, body, suite=cipher, key=key_a, password=None, nonce=bytes(16), kdf=None, stanzas=stanzas)
    assert np.array_equal(np.asarray(securecomp.decrypt(blob, identity=a)), np.asarray(PICTURE))
    with pytest.raises(DecryptionError, match="authentication failed"):
        securecomp.decrypt(blob, identity=b)


def test_an_identity_that_opens_two_stanzas_to_different_keys_is_refused():
    info, body = _png_body()
    me = generate_identity()
    stanzas = tuple(_wrap_to(k, me.recipient, generate_identity()._private) for k in (bytes(32), bytes([1]) * 32))
    blob = _seal(info, body, suite="aes", key=bytes(32), password=None, nonce=bytes(16), kdf=None, stanzas=stanzas)
    with pytest.raises(DecryptionError, match="different file keys"):
        securecomp.decrypt(blob, identity=me)


def test_a_wrong_password_fails_at_the_header_mac_like_any_other_wrong_secret():
    info, body = _png_body()
    kdf = KdfParams.fresh()
    blob = _seal(info, body, suite="chaos+aes", key=None, password="right", nonce=bytes(16), kdf=kdf)
    with pytest.raises(DecryptionError, match="authentication failed") as wrong:
        securecomp.decrypt(blob, password="wrong")
    assert wrong.value.hint == DecryptionError("x").hint
    assert securecomp.decrypt(blob, password="right").size == PICTURE.size


def test_a_kdf_cheaper_than_securecomps_own_is_refused_unless_allowed():
    info, body = _png_body()
    blob = _seal(info, body, suite="aes", key=None, password="pw", nonce=bytes(16), kdf=WEAK)
    with pytest.raises(DecryptionError, match="below securecomp's own"):
        securecomp.decrypt(blob, password="pw")
    assert securecomp.decrypt(blob, password="pw", allow_weak_kdf=True).size == PICTURE.size


def test_a_header_asking_for_the_maximum_kdf_cost_is_refused_at_once():
    info, body = _png_body()
    costly = KdfParams(memory_kib=1 << 20, iterations=10, lanes=16, salt=bytes(16))
    header = Header(suite="aes", nonce=bytes(16), info=info, payload_size=len(body), kdf=costly)
    blob = header.pack() + bytes(container.HEADER_MAC_SIZE) + bytes(header.sealed_size)
    start = time.perf_counter()
    with pytest.raises(DecryptionError, match="more than this reader allows"):
        securecomp.decrypt(blob, password="pw")
    assert time.perf_counter() - start < 1


def test_passwords_are_nfc_normalised():
    composed, decomposed = "caf\u00e9", unicodedata.normalize("NFD", "caf\u00e9")
    assert composed != decomposed
    blob = securecomp.encrypt(PICTURE, password=composed, codec="png")
    assert securecomp.decrypt(blob, password=decomposed).size == PICTURE.size


def _with_icc(image: Image.Image) -> tuple[Image.Image, bytes]:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    image.save(buffer, "PNG", icc_profile=icc)
    return Image.open(io.BytesIO(buffer.getvalue())), icc


@pytest.mark.parametrize("codec", ["png", "webp", "jpeg2000"])
def test_the_icc_profile_survives_encrypt_and_decrypt(codec):
    image, icc = _with_icc(PICTURE)
    key = securecomp.generate_key()
    assert securecomp.decrypt(securecomp.encrypt(image, key=key, codec=codec), key=key).info["icc_profile"] == icc


def test_exif_is_left_out_unless_kept():
    exif = Image.Exif()
    exif[0x010F] = "a camera maker"
    buffer = io.BytesIO()
    PICTURE.save(buffer, "PNG", exif=exif.tobytes())
    image = Image.open(io.BytesIO(buffer.getvalue()))
    key = securecomp.generate_key()
    assert "exif" not in securecomp.decrypt(securecomp.encrypt(image, key=key, codec="png"), key=key).info
    kept = securecomp.decrypt(securecomp.encrypt(image, key=key, codec="png", keep_metadata=True), key=key)
    assert kept.info["exif"] == image.info["exif"]


def test_encrypt_carries_a_real_quality_and_fits_a_byte_budget():
    key = securecomp.generate_key()
    big = PICTURE.resize((256, 192))
    blob = securecomp.encrypt(big, key=key, codec="jpeg", quality=3.3)
    assert container.parse(blob).header.info.quality == 3.3
    fitted = securecomp.encrypt(big, key=key, codec="jpeg", max_bytes=20000)
    assert 16000 <= len(fitted) <= 20000
    assert securecomp.decrypt(fitted, key=key).size == big.size
    with pytest.raises(securecomp.errors.ParameterError, match="bytes"):
        securecomp.encrypt(big, key=key, codec="jpeg", max_bytes=200)


@pytest.mark.parametrize("cipher", ["aes", "chaos+aes"])
@pytest.mark.parametrize("version", [1, 2])
def test_a_payload_that_authenticates_under_two_file_keys_is_refused(cipher, version):
    """The invisible-salamanders container: stanzas wrap file key 1 to A and file key 2 to B, and
    the payload passes AES-GCM under both. Format 2: the header MAC holds for one key only, so B is
    refused before the payload is opened. Format 1: refused for both unless allow_legacy."""
    from salamander import two_key_ciphertext

    from securecomp.hazmat import aead
    from securecomp.keys import subkeys

    info, _ = _png_body()
    a, b = generate_identity(), generate_identity()
    file_keys, nonce = (bytes([7]) * 32, bytes([9]) * 32), bytes(range(16))
    stanzas = (_wrap_to(file_keys[0], a.recipient, generate_identity()._private),
               _wrap_to(file_keys[1], b.recipient, generate_identity()._private))
    header = Header(suite=cipher, nonce=nonce, info=info, payload_size=64, stanzas=stanzas, version=version)
    keys = [subkeys(k, nonce, version=version, suite=cipher, key_type=header.key_type) for k in file_keys]
    header_bytes = header.pack()
    if version == 2:
        import hashlib
        import hmac

        header_bytes += hmac.new(keys[0].header, header_bytes, hashlib.sha256).digest()
    gcm_nonces = tuple(k.aes_prefix + bytes([0, 0, 0, 0, 1]) for k in keys)
    sealed = two_key_ciphertext((keys[0].aes, keys[1].aes), gcm_nonces, header_bytes)
    for k in keys:                              # the attack payload is real: GCM accepts it under both
        aead.open_(k.aes, k.aes_prefix, sealed, header_bytes, 64)
    blob = header_bytes + sealed
    if version == 1:
        for identity in (a, b):
            with pytest.raises(DecryptionError, match="version 1"):
                securecomp.decrypt(blob, identity=identity)
    else:
        with pytest.raises(DecryptionError, match="authentication failed"):
            securecomp.decrypt(blob, identity=b)
        with pytest.raises(securecomp.errors.SecurecompError) as opened:    # A's key: junk, not an image
            securecomp.decrypt(blob, identity=a)
        assert not isinstance(opened.value, DecryptionError)
