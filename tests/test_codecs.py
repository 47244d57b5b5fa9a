"""Codec registry and the classical Pillow codecs: exact lossless round trips, sane lossy quality,
mode handling, and damaged or hostile bodies that fail with FormatError or CodecError only."""

import dataclasses
import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from skimage import data

import securecomp.codec.registry as registry
from securecomp.codec import codec_ids, codecs_for_mode, get_codec, register
from securecomp.codec.bitstream import decode_image, encode_image
from securecomp.errors import CodecError, DecodeLimitError, FormatError, UnsupportedImageError

LOSSLESS = ["png", "webp-lossless"]
LOSSY = ["jpeg", "webp", "jpeg2000", "avif"]
SIZES = [(1, 1), (7, 13), (33, 17)]
CHANNELS = {"L": (), "RGB": (3,), "RGBA": (4,)}


def _random_image(mode, size, seed=0):
    rng = np.random.default_rng(seed)
    if mode == "I;16":
        return Image.fromarray(rng.integers(0, 65536, size[::-1], dtype=np.uint16))
    return Image.fromarray(rng.integers(0, 256, size[::-1] + CHANNELS[mode], dtype=np.uint8))


def _psnr(reference, image):
    error = np.asarray(reference, dtype=float) - np.asarray(image, dtype=float)
    return 10 * np.log10(255**2 / np.mean(error**2))


@pytest.fixture(scope="module")
def astronaut():
    return Image.fromarray(data.astronaut()).resize((256, 256), Image.Resampling.LANCZOS)


@pytest.fixture(scope="module")
def ladder(astronaut):
    """(bits per pixel, PSNR) of every lossy codec at every quality level, on the astronaut."""
    pixels = astronaut.width * astronaut.height
    results = {}
    for codec in LOSSY:
        for quality in range(1, 9):
            info, body = encode_image(astronaut, codec, quality)
            results[codec, quality] = (8 * len(body) / pixels, _psnr(astronaut, decode_image(info, body)))
    return results


def test_codec_ids_lists_the_classical_codecs_then_the_learned_ones():
    classical = ["png", "webp-lossless", "jpeg", "webp", "jpeg2000", "avif"]
    assert codec_ids() == classical + ["learned", "bandara2020-sae", "he2021-checkerboard-gain"]
    assert [get_codec(codec_id).lossless for codec_id in codec_ids()] == [True, True] + [False] * 7


@pytest.mark.parametrize("codec_id", ["gif", "PNG", "", None, 3])
def test_unknown_codec_id_raises_codec_error_listing_known_ids(codec_id):
    with pytest.raises(CodecError, match="unknown codec.*png, webp-lossless, jpeg, webp, jpeg2000, avif"):
        get_codec(codec_id)


@dataclasses.dataclass(frozen=True)
class RawCodec:
    """A stand-in for a codec registered by another module: raw pixels, with a model id."""

    id: str = "raw-test"
    lossless: bool = True
    modes: frozenset = frozenset({"L"})
    model: str = "none-2024"

    def compress(self, image, quality):
        return image.tobytes()

    def decompress(self, body, info):
        return Image.frombytes("L", info.size, body)


def test_registered_codec_round_trips_through_encode_and_decode(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", {codec_id: get_codec(codec_id) for codec_id in codec_ids()})
    register(RawCodec())
    image = _random_image("L", (5, 3))
    info, body = encode_image(image, "raw-test", 4)
    assert (info.codec, info.model, info.quality) == ("raw-test", "none-2024", 0)
    assert np.array_equal(np.asarray(decode_image(info, body)), np.asarray(image))
    assert "raw-test" in codecs_for_mode("L") and "raw-test" not in codecs_for_mode("RGB")


def test_a_failing_codec_loader_leaves_no_half_registry_and_fails_again(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", {})
    monkeypatch.setattr(registry, "_loaders", [])

    def broken_loader():
        register(RawCodec())
        raise OSError("manifest unreadable")

    registry.on_first_use(broken_loader)
    for _ in range(2):
        with pytest.raises(OSError, match="manifest unreadable"):
            codec_ids()
        assert registry._REGISTRY == {}


@pytest.mark.parametrize(
    "codec", [RawCodec(id="png"), RawCodec(id="Bad Id"), RawCodec(model="x" * 65), object()],
    ids=["taken-id", "invalid-id", "model-id-too-long", "not-a-codec"],
)
def test_registering_a_taken_or_invalid_codec_raises(monkeypatch, codec):
    monkeypatch.setattr(registry, "_REGISTRY", {codec_id: get_codec(codec_id) for codec_id in codec_ids()})
    with pytest.raises((ValueError, TypeError)):
        register(codec)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("codec", "mode"), [(c, m) for c in LOSSLESS for m in CHANNELS] + [("png", "I;16")])
def test_lossless_codecs_round_trip_every_mode_exactly(codec, mode, size):
    image = _random_image(mode, size)
    info, body = encode_image(image, codec, 5)
    restored = decode_image(info, body)
    assert (restored.mode, restored.size, info.quality) == (mode, size, 0)
    assert np.array_equal(np.asarray(restored), np.asarray(image))


def test_webp_lossless_keeps_colour_under_fully_transparent_pixels():
    pixels = np.asarray(_random_image("RGBA", (16, 16))).copy()
    pixels[..., 3] = 0
    info, body = encode_image(Image.fromarray(pixels), "webp-lossless", 1)
    assert np.array_equal(np.asarray(decode_image(info, body)), pixels)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("codec", "mode"), [(c, m) for c in LOSSY for m in sorted(get_codec(c).modes)])
def test_lossy_codecs_return_the_stored_mode_and_size(codec, mode, size):
    info, body = encode_image(_random_image(mode, size), codec, 3)
    restored = decode_image(info, body)
    assert (restored.mode, restored.size, info.quality) == (mode, size, 3)


@pytest.mark.parametrize("codec", ["webp", "avif", "webp-lossless"])
def test_opaque_rgba_comes_back_as_rgba_with_opaque_alpha(codec):
    pixels = np.asarray(_random_image("RGBA", (9, 9))).copy()
    pixels[..., 3] = 255
    info, body = encode_image(Image.fromarray(pixels), codec, 8)
    restored = np.asarray(decode_image(info, body))
    assert restored.shape == (9, 9, 4) and (restored[..., 3] == 255).all()


def test_lossy_webp_keeps_alpha_exact():
    pixels = np.asarray(_random_image("RGBA", (12, 9)))
    info, body = encode_image(Image.fromarray(pixels), "webp", 1)
    assert np.array_equal(np.asarray(decode_image(info, body))[..., 3], pixels[..., 3])


def test_jpeg2000_codes_alpha_lossily_like_the_colour_channels():
    pixels = np.asarray(_random_image("RGBA", (9, 9))).copy()
    pixels[..., 3] = 255
    info, body = encode_image(Image.fromarray(pixels), "jpeg2000", 8)
    alpha = np.asarray(decode_image(info, body))[..., 3]
    assert (alpha >= 253).all()


def test_grayscale_jpeg_is_a_one_channel_jpeg():
    info, body = encode_image(_random_image("L", (8, 8)), "jpeg", 6)
    assert Image.open(io.BytesIO(body)).layers == 1


@pytest.mark.parametrize("codec", LOSSY)
def test_lossy_codecs_reach_30_db_at_quality_6(ladder, codec):
    bits_per_pixel, psnr = ladder[codec, 6]
    assert psnr > 30 and bits_per_pixel < 2.5


@pytest.mark.parametrize("codec", LOSSY)
def test_bits_per_pixel_and_psnr_increase_with_quality(ladder, codec):
    rates, psnrs = zip(*(ladder[codec, quality] for quality in range(1, 9)))
    assert all(higher > lower for lower, higher in zip(rates, rates[1:])), rates
    assert all(higher > lower - 0.1 for lower, higher in zip(psnrs, psnrs[1:])), psnrs


def test_jpeg2000_rate_follows_its_ratio_table(ladder):
    rates = [ladder["jpeg2000", quality][0] for quality in (1, 6, 8)]
    assert rates == pytest.approx([0.1, 1.0, 2.5], rel=0.05)


@pytest.mark.parametrize("codec", ["webp-lossless"] + LOSSY)
def test_sixteen_bit_images_to_codecs_without_i16_raise_with_a_png_hint(codec):
    with pytest.raises(UnsupportedImageError, match=f"{codec} cannot carry I;16") as caught:
        encode_image(_random_image("I;16", (4, 4)), codec, 4)
    assert caught.value.hint == "use png for I;16 images"


def test_jpeg_refuses_rgba_and_names_the_codecs_that_carry_alpha():
    with pytest.raises(UnsupportedImageError, match="jpeg cannot carry RGBA") as caught:
        encode_image(_random_image("RGBA", (4, 4)), "jpeg", 4)
    carriers = ("png or webp-lossless or webp or jpeg2000 or avif or learned or bandara2020-sae "
                "or he2021-checkerboard-gain")
    assert caught.value.hint == f"use {carriers} for RGBA images"


@pytest.mark.parametrize("codec", ["png", "jpeg", "webp", "avif"])
def test_bodies_carry_no_metadata_of_the_input(codec):
    bare = _random_image("RGB", (16, 16))
    tagged = bare.copy()
    tagged.info.update(icc_profile=b"fake profile", comment=b"secret", transparency=(0, 0, 0), exif=b"Exif\0\0")
    assert encode_image(tagged, codec, 4)[1] == encode_image(bare, codec, 4)[1]


@pytest.mark.parametrize("codec", LOSSLESS + LOSSY)
def test_body_whose_size_disagrees_with_the_descriptor_raises_format_error(codec):
    info, body = encode_image(_random_image("RGB", (12, 10)), codec, 4)
    hostile = dataclasses.replace(info, width=9000, height=9000)     # within the default max_pixels
    with pytest.raises(FormatError, match="12x10"):
        decode_image(hostile, body)


@pytest.mark.parametrize("codec", LOSSLESS + LOSSY)
def test_body_in_another_format_raises_format_error(codec):
    other = "jpeg" if codec == "png" else "png"
    info, body = encode_image(_random_image("RGB", (6, 6)), other, 4)
    with pytest.raises(FormatError):
        quality = 0 if get_codec(codec).lossless else 4
        decode_image(dataclasses.replace(info, codec=codec, quality=quality), body)


@pytest.mark.parametrize(
    "changes",
    [{"mode": "I;16"}, {"quality": 0}, {"quality": 3, "codec": "png"}, {"model": "bmshj2018-factorized"}],
    ids=["mode-jpeg-cannot-carry", "lossy-with-quality-0", "lossless-with-quality", "unexpected-model"],
)
def test_descriptor_inconsistent_with_its_codec_raises_format_error(changes):
    info, body = encode_image(_random_image("RGB", (6, 6)), "jpeg", 4)
    with pytest.raises(FormatError):
        decode_image(dataclasses.replace(info, **changes), body)


def test_body_decoding_to_an_unexpected_mode_raises_format_error():
    info, body = encode_image(_random_image("L", (6, 6)), "png", 4)
    with pytest.raises(FormatError, match="decodes to a L image where RGBA was stored"):
        decode_image(dataclasses.replace(info, mode="RGBA"), body)


_BODIES = {codec: encode_image(_random_image("RGB", (24, 16)), codec, 4) for codec in LOSSLESS + LOSSY}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(_BODIES)), st.data())
def test_damaged_bodies_raise_format_or_codec_error_only(codec, draw):
    info, body = _BODIES[codec]
    damaged = bytearray(body)
    for _ in range(draw.draw(st.integers(1, 4))):
        position = draw.draw(st.integers(0, len(damaged) - 1))
        damaged[position] ^= draw.draw(st.integers(1, 255))
    cut = draw.draw(st.integers(0, len(damaged)))
    try:
        restored = decode_image(info, bytes(damaged[:cut]))
    except (FormatError, CodecError):
        return
    assert (restored.mode, restored.size) == (info.mode, info.size)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(_BODIES)), st.binary(max_size=300))
def test_random_bytes_as_a_body_raise_format_error(codec, body):
    with pytest.raises(FormatError):
        decode_image(_BODIES[codec][0], body)


@pytest.mark.parametrize("codec", LOSSLESS + LOSSY)
def test_decoding_keeps_pillows_bomb_limit_as_image_open_does(monkeypatch, codec):
    info, body = encode_image(_random_image("RGB", (16, 16)), codec, 4)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(DecodeLimitError, match="256 pixels, more than Pillow's decompression-bomb limit of 200"):
        decode_image(info, body)


@pytest.mark.parametrize("codec", ["webp", "webp-lossless"])
def test_webp_refuses_images_its_pillow_plugin_would_refuse_to_decode(monkeypatch, codec):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(UnsupportedImageError, match="more than 200 pixels"):
        encode_image(_random_image("RGB", (16, 16)), codec, 4)
