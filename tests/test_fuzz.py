"""Fuzzing the format (issue 17): mutated bitstreams of every codec with a valid CRC-32, mutated
containers parsed and decrypted with the right secret, and valid containers around mutated bodies
give an image or a SecurecompError, nothing else, and never hang (tests/fuzzing.py).

In CI the budget is about a minute: small seeds, a few hundred examples per test, decoding held to
``max_pixels=65536``. ``make fuzz`` runs the same tests longer: SECURECOMP_FUZZ_EXAMPLES examples
per test, seeds read from SECURECOMP_FUZZ_CORPUS (written by ``python tests/fuzzing.py DIR``), and
SECURECOMP_FUZZ_MAX_PIXELS (default here 65536; ``make fuzz`` uses the library's default).
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import fuzzing
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import securecomp
from securecomp import _wire, container
from securecomp.codec.framing import add_checksum
from securecomp.codec.info import ImageInfo
from securecomp.codec.learned import PLANAR
from securecomp.codec.registry import codec_ids
from securecomp.errors import SecurecompError

CORPUS = os.environ.get("SECURECOMP_FUZZ_CORPUS")
MAX_PIXELS = int(os.environ.get("SECURECOMP_FUZZ_MAX_PIXELS", 1 << 16))
if CORPUS:
    BITSTREAMS, CONTAINERS = fuzzing.read_corpus(Path(CORPUS))
else:
    BITSTREAMS, CONTAINERS = {**fuzzing.bitstream_seeds(), **fuzzing.bomb_seeds()}, fuzzing.container_seeds()


def _fuzz_settings(examples: int) -> settings:
    return settings(max_examples=int(os.environ.get("SECURECOMP_FUZZ_EXAMPLES", examples)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _descriptor(bitstream: bytes) -> ImageInfo:
    return ImageInfo.read(_wire.Reader(bitstream[6:-4], "seed"), bitstream[5])


BY_CODEC: dict[str, list[bytes]] = defaultdict(list)
for _data in BITSTREAMS.values():
    BY_CODEC[_descriptor(_data).codec].append(_data)


def test_every_codec_has_seeds():
    assert set(BY_CODEC) == set(codec_ids())


def _image_or_typed_error(result: object) -> None:
    assert result is None or isinstance(result, Image.Image), type(result)


@pytest.mark.parametrize("codec", sorted(BY_CODEC))
@_fuzz_settings(300)
@given(data=st.data())
def test_mutated_bitstreams_with_a_valid_crc_give_an_image_or_a_securecomp_error(codec, data):
    frame = data.draw(st.sampled_from(BY_CODEC[codec]).flatmap(fuzzing.mutated_frame), label="frame")
    bits = add_checksum(frame)          # past the CRC-32: the decoders see the damage
    _image_or_typed_error(fuzzing.only_typed_errors(
        lambda: securecomp.decompress(bits, max_pixels=MAX_PIXELS), f"decompress {codec}"))


@_fuzz_settings(500)
@given(st.sampled_from(sorted(CONTAINERS)).flatmap(lambda name: fuzzing.mutated_container(CONTAINERS[name][1])))
def test_mutated_containers_parse_or_raise_securecomp_errors(blob):
    parsed = fuzzing.only_typed_errors(lambda: container.parse(blob), "container.parse")
    assert parsed is None or isinstance(parsed, container.Parsed)


@_fuzz_settings(400)
@given(st.sampled_from(sorted(CONTAINERS)).flatmap(
    lambda name: st.tuples(st.just(CONTAINERS[name][0]), fuzzing.mutated_container(CONTAINERS[name][1]))))
def test_mutated_containers_decrypted_with_the_right_secret_give_an_image_or_a_securecomp_error(case):
    kind, blob = case
    _image_or_typed_error(fuzzing.only_typed_errors(
        lambda: securecomp.decrypt(blob, max_pixels=MAX_PIXELS, allow_legacy=True, **fuzzing.SECRETS[kind]),
        "decrypt"))


@_fuzz_settings(400)
@given(st.sampled_from(sorted(BITSTREAMS)).flatmap(lambda name: fuzzing.mutated_frame(BITSTREAMS[name])),
       st.sampled_from(fuzzing.SUITES), st.sampled_from(sorted(fuzzing.SECRETS)))
def test_valid_containers_around_mutated_bodies_give_an_image_or_a_securecomp_error(frame, suite, kind):
    """Authentication passes, so the descriptor and body reach the decoders as a sender wrote them."""
    reader = _wire.Reader(frame, "frame")
    try:
        reader.take(6)
        info = ImageInfo.read(reader, 2 if frame[5:6] != b"\x01" else 1)
    except SecurecompError:
        return                          # not a descriptor a sender could seal
    blob = fuzzing.seal(info, bytes(reader.rest()), suite=suite, kind=kind)
    _image_or_typed_error(fuzzing.only_typed_errors(
        lambda: securecomp.decrypt(blob, max_pixels=MAX_PIXELS, **fuzzing.SECRETS[kind]), "decrypt"))


@pytest.mark.parametrize("length", [0, 1, 2, 4, 5, 1 << 31, (1 << 32) - 1])
def test_regression_a_learned_body_with_a_wrong_latent_string_length_gives_a_securecomp_error(length):
    """Issue 17, finding 5: a wrong latent string count raised a bare IndexError (body version 3).
    Version 4 has no count: the strings follow the version byte and the weights tag, each after
    its length, z's first."""
    seed = BY_CODEC["learned"][0]
    frame = bytearray(seed[:-4])
    body = fuzzing.bitstream_split(seed)
    assert frame[body] == PLANAR
    frame[body + 5 : body + 9] = length.to_bytes(4, "big")
    with pytest.raises(SecurecompError):
        securecomp.decompress(add_checksum(bytes(frame)))


def test_regression_the_jpeg2000_bomb_is_a_seed_and_is_refused():
    bomb = BITSTREAMS["jpeg2000-bomb-16384"]
    with pytest.raises(SecurecompError, match="268435456 pixels"):
        securecomp.decompress(bomb, max_pixels=1 << 28)
