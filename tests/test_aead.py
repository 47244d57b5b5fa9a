"""AES-256-GCM STREAM: chunk boundaries, and every rearrangement of chunks is detected."""

import os

import pytest

from securecomp.hazmat import aead
from securecomp.hazmat.exceptions import InvalidTag

KEY, PREFIX, AD = os.urandom(32), os.urandom(7), b"header"
STEP = aead.CHUNK_SIZE + aead.TAG_SIZE


@pytest.mark.parametrize("n", [0, 1, aead.CHUNK_SIZE - 1, aead.CHUNK_SIZE, aead.CHUNK_SIZE + 1, 3 * aead.CHUNK_SIZE])
def test_open_inverts_seal_at_chunk_boundaries(n):
    data = os.urandom(n)
    sealed = aead.seal(KEY, PREFIX, data, AD)
    assert len(sealed) == aead.sealed_size(n)
    assert aead.open_(KEY, PREFIX, sealed, AD, n) == data


def _three_chunks():
    data = os.urandom(2 * aead.CHUNK_SIZE + 100)
    sealed = aead.seal(KEY, PREFIX, data, AD)
    return data, [sealed[i : i + STEP] for i in range(0, len(sealed), STEP)]


def test_swapping_chunks_is_detected():
    data, chunks = _three_chunks()
    swapped = chunks[1] + chunks[0] + chunks[2]
    with pytest.raises(InvalidTag):
        aead.open_(KEY, PREFIX, swapped, AD, len(data))


def test_dropping_the_last_chunk_is_detected_even_with_the_matching_length():
    data, chunks = _three_chunks()
    with pytest.raises(InvalidTag):
        aead.open_(KEY, PREFIX, chunks[0] + chunks[1], AD, 2 * aead.CHUNK_SIZE)


def test_extending_with_a_chunk_is_detected():
    data, chunks = _three_chunks()
    extended = b"".join(chunks[:2]) + chunks[1] + chunks[2]
    with pytest.raises(InvalidTag):
        aead.open_(KEY, PREFIX, extended, AD, len(data) + aead.CHUNK_SIZE)


def test_other_associated_data_or_prefix_or_key_is_detected():
    data = os.urandom(100)
    sealed = aead.seal(KEY, PREFIX, data, AD)
    for key, prefix, ad in [(KEY, PREFIX, b"other"), (KEY, bytes(7), AD), (os.urandom(32), PREFIX, AD)]:
        with pytest.raises(InvalidTag):
            aead.open_(key, prefix, sealed, ad, len(data))
