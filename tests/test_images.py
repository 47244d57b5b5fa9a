"""Image input: PIL images, numpy arrays and paths become L, RGB, RGBA or I;16 images, or fail clearly."""

import pathlib
import struct
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image, ImageOps

from securecomp.errors import ImageConversionWarning, UnsupportedImageError
from securecomp.images import CARRIED_MODES, image_to_array, to_image

RNG = np.random.default_rng(7)


def _random_array(shape, dtype=np.uint8):
    return RNG.integers(0, np.iinfo(dtype).max + 1, shape, dtype=dtype)


def _png_with_declared_size(width, height):
    """PNG bytes whose header declares ``width`` x ``height`` but whose pixel data is a stub."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"") + chunk(b"IEND", b"")


@pytest.mark.parametrize("mode", CARRIED_MODES)
def test_pil_images_in_carried_modes_keep_mode_and_pixels(mode):
    shape = (5, 9) if mode in ("L", "I;16") else (5, 9, len(mode))
    original = Image.fromarray(_random_array(shape, np.uint16 if mode == "I;16" else np.uint8))
    image = to_image(original)
    assert image.mode == mode
    assert np.array_equal(np.asarray(image), np.asarray(original))


@pytest.mark.parametrize(
    ("array", "mode"),
    [(_random_array((4, 6)), "L"), (_random_array((4, 6, 3)), "RGB"), (_random_array((4, 6, 4)), "RGBA"),
     (_random_array((4, 6), np.uint16), "I;16"), (_random_array((4, 6), np.uint16).astype(">u2"), "I;16")],
    ids=["L", "RGB", "RGBA", "I;16", "I;16-big-endian"],
)
def test_numpy_arrays_become_the_matching_mode_with_the_same_pixels(array, mode):
    image = to_image(array)
    assert (image.mode, image.size) == (mode, (6, 4))
    assert np.array_equal(image_to_array(image), array)


def test_single_channel_array_becomes_grayscale():
    array = _random_array((4, 6, 1))
    assert np.array_equal(image_to_array(array), array[:, :, 0])


def test_non_contiguous_array_views_are_accepted():
    array = _random_array((8, 10, 3))[::2, ::-1]
    assert np.array_equal(image_to_array(array), array)


@pytest.mark.parametrize(
    "array",
    [np.zeros((4, 4), np.float32), np.zeros((4, 4, 3), np.float64), np.zeros((4, 4), bool),
     np.zeros((4, 4), np.int32), np.zeros((4, 4), np.int16), np.zeros((4, 4), np.uint32),
     np.zeros((4, 4, 3), np.uint16), np.zeros((4, 4, 2), np.uint8), np.zeros((4, 4, 5), np.uint8),
     np.zeros(16, np.uint8), np.zeros((2, 4, 4, 3), np.uint8), np.zeros((0, 5), np.uint8),
     np.zeros((5, 0, 3), np.uint8), np.array(7, np.uint8), np.zeros((4, 4), object)],
    ids=lambda array: f"{array.dtype}-{array.shape}",
)
def test_arrays_of_other_dtypes_or_shapes_raise_unsupported_image_error(array):
    with pytest.raises(UnsupportedImageError, match="numpy array") as caught:
        to_image(array)
    assert "uint8" in caught.value.hint


@pytest.mark.parametrize(
    ("source", "mode"),
    [("1", "L"), ("LA", "RGBA"), ("PA", "RGBA"), ("RGBX", "RGB"), ("CMYK", "RGB"), ("YCbCr", "RGB"),
     ("HSV", "RGB")],
)
def test_other_pil_modes_convert_to_a_carried_mode(source, mode, recwarn):
    assert to_image(Image.new(source, (3, 2))).mode == mode
    conversions = [str(w.message) for w in recwarn if issubclass(w.category, ImageConversionWarning)]
    assert conversions == (["the image is CMYK: converted to RGB without colour management; colours may shift"]
                           if source == "CMYK" else [])


def test_palette_image_becomes_rgba_with_transparency_and_rgb_without():
    palette = Image.fromarray(_random_array((4, 4), np.uint8) % 4).convert("P")
    assert to_image(palette).mode == "RGB"
    palette.info["transparency"] = 0
    assert to_image(palette).mode == "RGBA"


@pytest.mark.parametrize("mode", ["I;16B", "I;16L", "I"])
def test_integer_modes_become_i16_with_exact_values(mode):
    values = _random_array((6, 5), np.uint16)
    values[0, 0], values[0, 1] = 65535, 513
    source = Image.fromarray(values).convert("I") if mode == "I" else Image.frombytes(
        mode, (5, 6), values.astype(">u2" if mode == "I;16B" else "<u2").tobytes())
    image = to_image(source)
    assert image.mode == "I;16"
    assert np.array_equal(image_to_array(image), values)


@pytest.mark.parametrize("value", [-1, 65536])
def test_integer_image_outside_16_bits_raises_unsupported_image_error(value):
    with pytest.raises(UnsupportedImageError, match="0..65535"):
        to_image(Image.fromarray(np.array([[0, value]], dtype=np.int32)))


@pytest.mark.parametrize("mode", ["F", "LAB", "La"])
def test_float_and_unconvertible_pil_modes_raise_unsupported_image_error(mode):
    with pytest.raises(UnsupportedImageError):
        to_image(Image.new(mode, (2, 2)))


def test_sixteen_bit_png_file_reads_back_as_i16_exactly(tmp_path):
    values = _random_array((7, 13), np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(values).save(path)
    assert Image.open(path).mode == "I;16"  # Pillow 13; older Pillow opened these as "I"
    image = to_image(path)
    assert image.mode == "I;16" and np.array_equal(image_to_array(image), values)


@pytest.mark.parametrize("as_type", [str, pathlib.Path])
def test_path_to_an_image_file_is_read(tmp_path, as_type):
    array = _random_array((5, 8, 3))
    Image.fromarray(array).save(tmp_path / "photo.png")
    assert np.array_equal(image_to_array(as_type(tmp_path / "photo.png")), array)


def test_file_with_exif_orientation_is_read_as_a_viewer_shows_it(tmp_path):
    original = Image.fromarray(_random_array((2, 3)))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to view
    original.save(tmp_path / "rotated.png", exif=exif)
    image = to_image(tmp_path / "rotated.png")
    assert image.size == (2, 3)
    upright = ImageOps.exif_transpose(Image.open(tmp_path / "rotated.png"))
    assert np.array_equal(np.asarray(image), np.asarray(upright))


def test_missing_file_raises_unsupported_image_error_naming_it(tmp_path):
    with pytest.raises(UnsupportedImageError, match="no such file") as caught:
        to_image(tmp_path / "absent.png")
    assert "absent.png" in str(caught.value)


def test_non_image_file_raises_unsupported_image_error_with_hint(tmp_path):
    (tmp_path / "notes.txt").write_text("not an image")
    with pytest.raises(UnsupportedImageError, match="not an image file") as caught:
        to_image(tmp_path / "notes.txt")
    assert "PNG" in caught.value.hint


def test_directory_path_raises_unsupported_image_error(tmp_path):
    with pytest.raises(UnsupportedImageError, match="cannot read image"):
        to_image(tmp_path)


def test_truncated_image_file_raises_unsupported_image_error(tmp_path):
    Image.fromarray(_random_array((64, 64, 3))).save(tmp_path / "whole.png")
    (tmp_path / "cut.png").write_bytes((tmp_path / "whole.png").read_bytes()[:300])
    with pytest.raises(UnsupportedImageError):
        to_image(tmp_path / "cut.png")


@pytest.mark.parametrize("size", [(70000, 1), (16384, 16385), (15000, 15000)])
def test_file_declaring_too_many_pixels_raises_before_decoding(tmp_path, size):
    (tmp_path / "bomb.png").write_bytes(_png_with_declared_size(*size))
    with pytest.raises(UnsupportedImageError):
        to_image(tmp_path / "bomb.png")


def test_pil_image_larger_than_the_side_limit_raises_unsupported_image_error():
    with pytest.raises(UnsupportedImageError, match="outside"):
        to_image(Image.new("L", (65537, 1)))


@pytest.mark.parametrize("obj", [b"\x89PNG", [[0, 1], [2, 3]], None, 3.5])
def test_objects_that_are_not_images_raise_unsupported_image_error(obj):
    with pytest.raises(UnsupportedImageError, match="cannot use") as caught:
        to_image(obj)
    assert "BytesIO" in caught.value.hint


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.uint8, hnp.array_shapes(min_dims=2, max_dims=2, max_side=9)),
       st.sampled_from([None, 1, 3, 4]))
def test_random_uint8_arrays_round_trip_through_to_image_exactly(plane, channels):
    array = plane if channels is None else np.repeat(plane[:, :, None], channels, axis=2)
    assert np.array_equal(image_to_array(array), array if channels != 1 else plane)
