"""Decoding is bounded by the input (issue 17, finding 4): ``max_pixels`` on decompress and decrypt,
the size a Pillow body declares checked against its descriptor before decoding, Pillow's own
decompression-bomb limit kept, and the last-resort wrapper in decode_image."""

from __future__ import annotations

import dataclasses
import io
import os
import time

import numpy as np
import pytest
from bombs import framed, jpeg2000_bomb
from PIL import Image

import securecomp
from securecomp.api import _seal
from securecomp.codec import classical
from securecomp.codec.bitstream import decode_image, encode_image
from securecomp.codec.info import DEFAULT_MAX_PIXELS, MAX_PIXELS, ImageInfo
from securecomp.errors import DecodeLimitError, FormatError, ParameterError, SecurecompError

BOMB_INFO = ImageInfo("jpeg2000", "RGB", 16384, 16384, quality=1)


def _image(mode: str = "RGB", size: tuple[int, int] = (16, 12)) -> Image.Image:
    pixels = np.random.default_rng(7).integers(0, 256, (size[1], size[0], len(mode)), dtype=np.uint8)
    return Image.fromarray(pixels.squeeze(), mode)


def test_the_default_limit_is_pillows():
    assert DEFAULT_MAX_PIXELS == 89_478_485 == Image.MAX_IMAGE_PIXELS


def test_the_jpeg2000_bomb_is_refused_at_once_by_max_pixels():
    bits = framed(BOMB_INFO, jpeg2000_bomb())
    assert len(bits) < 256
    start = time.perf_counter()
    with pytest.raises(DecodeLimitError) as caught:
        securecomp.decompress(bits)
    assert time.perf_counter() - start < 0.5
    assert "268435456 pixels" in str(caught.value) and "89478485" in str(caught.value)
    assert "max_pixels" in caught.value.hint


def test_the_jpeg2000_bomb_is_refused_by_pillows_limit_even_when_max_pixels_allows_it():
    start = time.perf_counter()
    with pytest.raises(DecodeLimitError, match="Pillow's decompression-bomb limit"):
        securecomp.decompress(framed(BOMB_INFO, jpeg2000_bomb()), max_pixels=MAX_PIXELS)
    assert time.perf_counter() - start < 0.5


def test_a_bomb_inside_a_container_is_refused_before_any_key_is_derived(monkeypatch):
    key = securecomp.generate_key()
    blob = _seal(BOMB_INFO, jpeg2000_bomb(), suite="aes", key=key, password=None, nonce=os.urandom(16), kdf=None)
    monkeypatch.setattr("securecomp.api.subkeys", lambda *a, **k: pytest.fail("a key was derived"))
    with pytest.raises(DecodeLimitError, match="max_pixels"):
        securecomp.decrypt(blob, key=key)


def test_decrypt_takes_max_pixels_both_ways():
    key = securecomp.generate_key()
    image = _image(size=(10, 10))
    blob = securecomp.encrypt(image, key=key, codec="png")
    with pytest.raises(DecodeLimitError, match="10x10 = 100 pixels, more than the limit of 99"):
        securecomp.decrypt(blob, key=key, max_pixels=99)
    assert securecomp.decrypt(blob, key=key, max_pixels=100).size == (10, 10)


def test_decompress_takes_max_pixels_both_ways():
    bits = securecomp.compress(_image(size=(10, 10)), codec="png")
    with pytest.raises(DecodeLimitError) as caught:
        securecomp.decompress(bits, max_pixels=99)
    assert caught.value.hint.startswith("if you trust the input, pass max_pixels=100")
    assert securecomp.decompress(bits, max_pixels=100).size == (10, 10)


@pytest.mark.parametrize("bad", [0, -1, MAX_PIXELS + 1, 1.5, True, None, "100"])
def test_a_bad_max_pixels_is_a_parameter_error(bad):
    bits = securecomp.compress(_image(), codec="png")
    with pytest.raises(ParameterError, match="max_pixels"):
        securecomp.decompress(bits, max_pixels=bad)


def test_a_decode_limit_error_is_a_format_error_with_its_exit_code():
    assert issubclass(DecodeLimitError, FormatError) and DecodeLimitError.exit_code == FormatError.exit_code


@pytest.mark.parametrize("codec", ["webp", "webp-lossless"])
@pytest.mark.parametrize("size", [(16, 13), (17, 12), (4000, 3000)])
def test_a_webp_header_that_disagrees_with_the_descriptor_is_refused_before_libwebp_sees_it(codec, size):
    info, body = encode_image(_image(), codec, 4)
    with pytest.raises(FormatError, match="body declares a 16x12 image"):   # "declares": our header check
        decode_image(dataclasses.replace(info, width=size[0], height=size[1]), body)


@pytest.mark.parametrize("codec", ["webp", "webp-lossless"])
def test_a_webp_canvas_header_is_read_as_libwebp_reads_it(codec):
    info, body = encode_image(_image("RGBA", (300, 5)), codec, 4)
    assert decode_image(info, body).size == (300, 5)


def test_a_jpeg2000_body_in_jp2_boxes_is_refused():
    info, _ = encode_image(_image(), "jpeg2000", 4)
    buffer = io.BytesIO()
    _image().save(buffer, "JPEG2000")            # a JP2 file: the ihdr box may disagree with SIZ
    with pytest.raises(FormatError, match="not a raw JPEG 2000 codestream"):
        decode_image(info, buffer.getvalue())


def test_a_progressive_jpeg_is_refused():
    info, _ = encode_image(_image(), "jpeg", 4)
    buffer = io.BytesIO()
    _image().save(buffer, "JPEG", progressive=True)
    with pytest.raises(FormatError, match="progressive"):
        decode_image(info, buffer.getvalue())


@pytest.mark.parametrize("codec, pillow_format", [("png", "PNG"), ("webp-lossless", "WEBP")])
def test_an_animated_body_is_refused(codec, pillow_format):
    info, _ = encode_image(_image(), codec, 4)
    frames = [_image(), _image().transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    buffer = io.BytesIO()
    options = {"lossless": True} if pillow_format == "WEBP" else {}
    frames[0].save(buffer, pillow_format, save_all=True, append_images=frames[1:], **options)
    with pytest.raises(FormatError, match="2 frames"):
        decode_image(info, buffer.getvalue())


@pytest.mark.parametrize("raised", [IndexError("list index out of range"), MemoryError(), RuntimeError("bug"),
                                    ZeroDivisionError("x")])
def test_anything_a_codec_raises_on_a_bad_body_becomes_a_format_error_naming_the_codec(monkeypatch, raised):
    info, body = encode_image(_image(), "png", 4)

    def broken(self, body, info):
        raise raised

    monkeypatch.setattr(classical.PillowCodec, "decompress", broken)
    with pytest.raises(FormatError, match="codec png could not decode the body") as caught:
        decode_image(info, body)
    assert caught.value.__cause__ is raised


def test_a_securecomp_error_from_a_codec_passes_unchanged(monkeypatch):
    info, body = encode_image(_image(), "png", 4)
    error = SecurecompError("the codec's own words")

    def refusing(self, body, info):
        raise error

    monkeypatch.setattr(classical.PillowCodec, "decompress", refusing)
    with pytest.raises(SecurecompError) as caught:
        decode_image(info, body)
    assert caught.value is error
