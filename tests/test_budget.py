"""Real qualities, target sizes (max_bytes) and the bitstream versions that carry them."""

from __future__ import annotations

import io
import zlib

import numpy as np
import pytest
from PIL import Image
from skimage import data

import securecomp
from securecomp import _wire
from securecomp.codec.budget import parse_size
from securecomp.codec.framing import MAGIC
from securecomp.codec.info import ImageInfo
from securecomp.errors import FormatError, ParameterError, SecurecompError

ASTRONAUT = Image.fromarray(data.astronaut())


@pytest.mark.parametrize("text,size", [("40000", 40000), ("40k", 40000), ("40kB", 40000), ("40KiB", 40960),
                                       (" 1.5M ", 1_500_000), ("2MiB", 2 * 1024**2)])
def test_sizes_are_read_with_decimal_and_binary_units(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "k", "forty", "-3", "0", "1.5", "10q"])
def test_unreadable_sizes_are_parameter_errors(text):
    with pytest.raises(ParameterError):
        parse_size(text)


@pytest.mark.parametrize("codec", ["jpeg", "webp", "jpeg2000"])
@pytest.mark.parametrize("budget", [15000, 40000])
def test_max_bytes_gives_the_largest_output_that_fits(codec, budget):
    data_ = securecomp.compress(ASTRONAUT, codec=codec, max_bytes=budget)
    assert 0.8 * budget <= len(data_) <= budget
    assert securecomp.decompress(data_).size == ASTRONAUT.size


def test_a_budget_no_quality_reaches_names_the_smallest_size_in_bytes():
    with pytest.raises(ParameterError, match=r"takes \d+ bytes, more than max_bytes=200 bytes"):
        securecomp.compress(ASTRONAUT, codec="jpeg", max_bytes=200)


def test_a_real_quality_lies_between_its_integer_neighbours():
    sizes = [len(securecomp.compress(ASTRONAUT, codec="jpeg2000", quality=q)) for q in (3, 3.3, 4)]
    assert sizes[0] < sizes[1] < sizes[2]


def test_the_bitstream_keeps_a_real_quality_in_hundredths():
    data_ = securecomp.compress(ASTRONAUT, codec="jpeg", quality=3.333)
    reader = _wire.Reader(data_[:-4], "bitstream")
    reader.take(len(MAGIC))
    assert reader.u8() == 2
    assert ImageInfo.read(reader, 2).quality == 3.33


def test_a_version_1_bitstream_still_decodes():
    buffer = io.BytesIO()
    ASTRONAUT.save(buffer, "PNG")
    info = ImageInfo("png", "RGB", *ASTRONAUT.size)
    framed = MAGIC + bytes([1]) + info.pack(1) + buffer.getvalue()
    image = securecomp.decompress(framed + zlib.crc32(framed).to_bytes(4, "big"))
    assert np.array_equal(np.asarray(image), np.asarray(ASTRONAUT))


@pytest.mark.parametrize("quality", [0.99, 8.01, float("nan"), "5", True])
def test_qualities_outside_1_to_8_are_refused(quality):
    with pytest.raises(ParameterError):
        securecomp.compress(ASTRONAUT, codec="jpeg", quality=quality)


def test_a_descriptor_with_a_quality_off_the_range_is_a_format_error():
    packed = bytearray(ImageInfo("jpeg", "RGB", 4, 4, 2.5).pack(2))
    packed[6:8] = (805).to_bytes(2, "big")          # 8.05
    with pytest.raises(FormatError):
        ImageInfo.read(_wire.Reader(bytes(packed), "descriptor"), 2)
    with pytest.raises(ValueError):
        ImageInfo("jpeg", "RGB", 4, 4, 2.5).pack(1)   # version 1 has integer qualities only


def test_effort_max_is_refused_by_a_classical_codec():
    with pytest.raises(ParameterError, match="effort"):
        securecomp.compress(ASTRONAUT, codec="jpeg", effort="max")


def test_a_per_quality_learned_model_refuses_a_real_quality():
    with pytest.raises(SecurecompError, match="integer qualities"):
        securecomp.compress(ASTRONAUT.resize((64, 64)), codec="bandara2020-sae", quality=4.5)
