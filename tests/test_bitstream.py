"""compress()/decompress(): the self-describing bitstream, its defaults, and strict parsing."""

import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from securecomp import _wire
from securecomp.codec.bitstream import (
    DEFAULT_CODEC,
    DEFAULT_QUALITY,
    MAGIC,
    VERSION,
    compress,
    decompress,
    encode_image,
)
from securecomp.codec.info import ImageInfo
from securecomp.errors import CodecError, FormatError, ParameterError

RNG = np.random.default_rng(11)
RGB = RNG.integers(0, 256, (10, 14, 3), dtype=np.uint8)
DEEP = RNG.integers(0, 65536, (5, 6), dtype=np.uint16)


def _descriptor(data):
    """(descriptor, body) of a bitstream, its CRC-32 trailer dropped."""
    reader = _wire.Reader(data[:-4], "bitstream")
    reader.take(len(MAGIC) + 1)
    return ImageInfo.read(reader, VERSION), bytes(reader.rest())


def _with_crc(data: bytes) -> bytes:
    return data + zlib.crc32(data).to_bytes(4, "big")


def test_header_bytes_are_pinned():
    data = compress(np.zeros((2, 3), np.uint8), codec="png")
    assert data[:22] == bytes.fromhex("5343494d4702" "03706e67" "00" "0000" "01" "00000003" "00000002")


def test_defaults_are_learned_at_quality_6():
    info, _ = _descriptor(compress(RGB))
    assert (info.codec, info.quality, info.mode, info.size) == (DEFAULT_CODEC, DEFAULT_QUALITY, "RGB", (14, 10))
    assert (DEFAULT_CODEC, DEFAULT_QUALITY) == ("learned", 6)


def test_bitstream_is_magic_version_descriptor_body_then_crc32():
    data = compress(RGB, codec="jpeg", quality=3)
    info, body = encode_image(Image.fromarray(RGB), "jpeg", 3)
    assert data == _with_crc(MAGIC + bytes([VERSION]) + info.pack(VERSION) + body)


@pytest.mark.parametrize("position", [0, 6, 20, -30, -5, -1])
def test_any_damaged_byte_is_caught_by_the_crc(position):
    data = bytearray(compress(RGB, codec="learned", quality=3))
    data[position] ^= 0x10
    with pytest.raises(FormatError):
        decompress(bytes(data))


def test_sixteen_bit_images_default_to_png_and_round_trip_exactly():
    data = compress(DEEP)
    assert _descriptor(data)[0].codec == "png"
    assert np.array_equal(np.asarray(decompress(data)), DEEP)


@pytest.mark.parametrize("codec", ["png", "webp-lossless"])
def test_lossless_codecs_store_quality_zero_and_round_trip_exactly(codec):
    data = compress(RGB, codec=codec, quality=2)
    assert _descriptor(data)[0].quality == 0
    assert np.array_equal(np.asarray(decompress(data)), RGB)


def test_compress_accepts_a_path(tmp_path):
    Image.fromarray(RGB).save(tmp_path / "in.png")
    assert np.array_equal(np.asarray(decompress(compress(tmp_path / "in.png", codec="png"))), RGB)


def test_lossy_round_trip_returns_same_mode_and_size():
    image = decompress(compress(Image.fromarray(RGB[..., 0])))
    assert (image.mode, image.size) == ("L", (14, 10))


@pytest.mark.parametrize("quality", [0, 9, -1, 0.5, 8.5, "4", True, b"4"])
def test_quality_outside_1_to_8_raises_parameter_error(quality):
    with pytest.raises(ParameterError, match="quality must be a number from 1 to 8"):
        compress(RGB, quality=quality)


def test_numpy_integer_quality_is_accepted():
    assert _descriptor(compress(RGB, quality=np.int64(2)))[0].quality == 2


def test_an_unknown_codec_chosen_by_the_caller_is_a_bad_value():
    """ParameterError (exit 2 on the command line), as README's table says; a container naming a
    codec this version lacks stays a CodecError (get_codec)."""
    with pytest.raises(ParameterError, match="unknown codec 'gif'") as caught:
        compress(RGB, codec="gif")
    assert "jpeg2000" in caught.value.hint


@pytest.mark.parametrize("data", [b"", b"SCIM", b"PNG\x89SCIMG\x01", b"scimg\x01" + bytes(30)])
def test_bad_magic_raises_format_error(data):
    with pytest.raises(FormatError):
        decompress(data)


@pytest.mark.parametrize("version", [0, 3, 255])
def test_unknown_version_raises_format_error(version):
    data = bytearray(compress(RGB, codec="png")[:-4])
    data[len(MAGIC)] = version
    with pytest.raises(FormatError, match=f"version {version}"):
        decompress(_with_crc(bytes(data)))


def test_unknown_codec_in_a_bitstream_raises_codec_error():
    info, body = _descriptor(compress(RGB, codec="png"))
    forged = ImageInfo("gif", info.mode, info.width, info.height)
    with pytest.raises(CodecError):
        decompress(_with_crc(MAGIC + bytes([VERSION]) + forged.pack(VERSION) + body))


@pytest.mark.parametrize("size", [(65536, 4096), (7, 10), (14, 11)])
def test_hostile_descriptor_whose_size_disagrees_with_the_body_raises_format_error(size):
    info, body = _descriptor(compress(RGB, codec="webp"))
    forged = ImageInfo(info.codec, info.mode, *size, quality=info.quality)
    with pytest.raises(FormatError, match="descriptor says"):
        decompress(_with_crc(MAGIC + bytes([VERSION]) + forged.pack(VERSION) + body), max_pixels=1 << 28)


CODECS = ("png", "webp-lossless", "jpeg", "webp", "jpeg2000", "avif")
_STREAMS = [compress(RGB, codec=codec, quality=4) for codec in CODECS]


@pytest.mark.parametrize("data", _STREAMS, ids=lambda data: _descriptor(data)[0].codec)
def test_truncating_the_header_or_half_the_body_raises_format_error(data):
    header_size = len(data) - 4 - len(_descriptor(data)[1])
    for cut in [*range(header_size + 1), header_size + (len(data) - header_size) // 2]:
        with pytest.raises(FormatError):
            decompress(data[:cut])


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(_STREAMS), st.data())
def test_truncating_a_bitstream_anywhere_raises_format_error(data, draw):
    cut = draw.draw(st.integers(0, len(data) - 1))
    with pytest.raises(FormatError):
        decompress(data[:cut])


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(_STREAMS), st.data())
def test_a_body_truncated_under_a_valid_crc_raises_format_or_codec_error_or_loses_only_trailers(data, draw):
    info, body = _descriptor(data)
    cut = draw.draw(st.integers(0, len(body) - 1))
    try:
        image = decompress(_with_crc(MAGIC + bytes([VERSION]) + info.pack(VERSION) + body[:cut]))
    except (FormatError, CodecError):
        return
    assert (image.mode, image.size) == ("RGB", (14, 10))  # e.g. a PNG missing its IEND chunk


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_raise_format_error(data):
    with pytest.raises(FormatError):
        decompress(data)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(_STREAMS), st.binary(max_size=200))
def test_random_bytes_after_a_valid_header_raise_format_error(data, body):
    header = data[: len(data) - 4 - len(_descriptor(data)[1])]
    with pytest.raises(FormatError):
        decompress(_with_crc(header + body))
