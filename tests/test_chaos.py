"""ChaosCipher: round trips, determinism, diffusion, non-affinity, whitening, chaotic regime."""

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from securecomp.hazmat import chaos
from securecomp.hazmat.chaos import ChaosCipher
from securecomp.hazmat.exceptions import InvalidParameter

KEY, NONCE = bytes(range(32)), bytes(range(100, 116))


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=3000), key=st.binary(min_size=32, max_size=32),
       nonce=st.binary(min_size=16, max_size=16))
def test_decrypt_inverts_encrypt_and_preserves_length(data, key, nonce):
    cipher = ChaosCipher(key)
    ct = cipher.encrypt(data, nonce=nonce)
    assert len(ct) == len(data)
    assert cipher.decrypt(ct, nonce=nonce) == data


@pytest.mark.parametrize("n", [8 * 32 * 5, 8 * 32 * 5 + 3, 70001])
def test_round_trip_across_block_permutation_sizes(n):
    data = os.urandom(n)
    assert ChaosCipher(KEY).decrypt(ChaosCipher(KEY).encrypt(data, nonce=NONCE), nonce=NONCE) == data


def test_same_key_and_nonce_is_deterministic_and_other_nonce_differs():
    data = os.urandom(5000)
    a = ChaosCipher(KEY).encrypt(data, nonce=NONCE)
    assert a == ChaosCipher(KEY).encrypt(data, nonce=NONCE)
    b = np.frombuffer(ChaosCipher(KEY).encrypt(data, nonce=bytes(16)), np.uint8)
    assert (np.frombuffer(a, np.uint8) != b).mean() > 0.99


def _changed_fraction(cipher, base, ct, position, delta):
    changed = bytearray(base)
    changed[position] = (changed[position] + delta) % 256
    other = np.frombuffer(cipher.encrypt(bytes(changed), nonce=NONCE), np.uint8)
    return float((ct != other).mean())


def test_changing_any_one_byte_of_a_512x512_plaintext_changes_99_percent_of_ciphertext():
    rng = np.random.default_rng(7)
    plain = rng.integers(0, 256, 512 * 512, dtype=np.uint8).tobytes()
    cipher = ChaosCipher(KEY)
    ct = np.frombuffer(cipher.encrypt(plain, nonce=NONCE), np.uint8)
    positions = [0, 1, len(plain) - 1, len(plain) // 2, *rng.integers(0, len(plain), 60)]
    fractions = [_changed_fraction(cipher, plain, ct, int(p), int(rng.integers(1, 256))) for p in positions]
    assert min(fractions) >= 0.99, fractions


def test_changing_a_tail_byte_of_an_unaligned_plaintext_diffuses_everywhere():
    plain = os.urandom(8 * 1000 + 5)
    cipher = ChaosCipher(KEY)
    ct = np.frombuffer(cipher.encrypt(plain, nonce=NONCE), np.uint8)
    for position in (len(plain) - 1, len(plain) - 5, 0):
        assert _changed_fraction(cipher, plain, ct, position, 1) >= 0.99


def _e(cipher, v):
    return np.frombuffer(cipher.encrypt(v.tobytes(), nonce=NONCE), np.uint8)


@pytest.mark.parametrize("n", [16, 4096, 4099])
def test_cipher_is_not_affine_over_xor_or_addition(n):
    rng = np.random.default_rng(n)
    cipher = ChaosCipher(KEY)
    a, b = rng.integers(0, 256, (2, n), dtype=np.uint8)
    zero = np.zeros(n, np.uint8)
    xor_relation = _e(cipher, a) ^ _e(cipher, b) ^ _e(cipher, zero) ^ _e(cipher, a ^ b)
    add_relation = _e(cipher, a) + _e(cipher, b) - _e(cipher, zero) - _e(cipher, a + b)   # mod 256
    assert (xor_relation != 0).mean() > 0.9
    assert (add_relation != 0).mean() > 0.9


def test_ciphertext_of_a_constant_image_has_uniform_bytes():
    ct = np.frombuffer(ChaosCipher(KEY).encrypt(bytes(512 * 512), nonce=NONCE), np.uint8)
    counts = np.bincount(ct, minlength=256)
    expected = ct.size / 256
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert chi2 < 330.5     # chi-square 255 dof at alpha = 0.001: a fixed-seed test fails by chance 1 in 1000


def test_lanes_stay_in_the_chaotic_regime():
    """Lyapunov exponent of every lane, from its own orbit: positive and near ln 2 (no periodic window)."""
    for nonce in (NONCE, bytes(16), b"\xff" * 16):
        x0, r = chaos.lane_parameters(KEY, nonce, 1024)
        assert np.all((r >= 3.9999) & (r < 4.0)) and np.all((x0 >= 0.25) & (x0 < 0.75))
        orbit = chaos.logistic_orbit(x0, r, 3000)
        lyapunov = np.log(np.abs(r * (1 - 2 * orbit))).mean(axis=0)
        assert lyapunov.min() > 0.6


def test_keystream_words_are_distinct_across_lanes_and_steps():
    x0, r = chaos.lane_parameters(KEY, NONCE, 64)
    words = chaos.keystream(x0, r, 64 * 500)
    assert np.unique(words).size == words.size


@pytest.mark.parametrize("bad_key", [b"", bytes(31), bytes(33), "k" * 32])
def test_wrong_key_size_raises_invalid_parameter(bad_key):
    with pytest.raises(InvalidParameter):
        ChaosCipher(bad_key)


@pytest.mark.parametrize("bad_nonce", [b"", bytes(12), bytes(17), None])
def test_wrong_nonce_size_raises_invalid_parameter(bad_nonce):
    with pytest.raises(InvalidParameter):
        ChaosCipher(KEY).encrypt(b"data", nonce=bad_nonce)
