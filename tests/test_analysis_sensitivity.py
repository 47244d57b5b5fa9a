"""Plaintext and key sensitivity, wrong-key decryption and cipher images, on ChaosCipher and on a
deliberately weak cipher that the tests must catch."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from securecomp.analysis import (
    cipher_image,
    key_sensitivity,
    plaintext_sensitivity,
    sensitivity_experiments,
    wrong_key_decryption,
)
from securecomp.analysis.sensitivity import flip_key_bit
from securecomp.errors import ParameterError
from securecomp.hazmat.chaos import ChaosCipher

skimage_data = pytest.importorskip("skimage.data")

KEY = bytes(range(32))


@pytest.fixture(scope="module")
def camera() -> np.ndarray:
    return np.ascontiguousarray(skimage_data.camera()[::2, ::2])      # 256 x 256 gray


class XorStream:
    """Keystream XOR and nothing else: no diffusion, the textbook failure of plaintext sensitivity."""

    def __init__(self, key: bytes) -> None:
        self.key = key

    def encrypt(self, data: bytes, *, nonce: bytes) -> bytes:
        stream = np.random.default_rng(list(self.key + nonce)).integers(0, 256, len(data), dtype=np.uint8)
        return (np.frombuffer(data, dtype=np.uint8) ^ stream).tobytes()

    decrypt = encrypt


class Recording:
    """A ChaosCipher factory that records the nonce of every encryption."""

    def __init__(self) -> None:
        self.nonces: list[bytes] = []

    def __call__(self, key: bytes):
        recorder = self

        class Cipher(ChaosCipher):
            def encrypt(self, data, *, nonce):
                recorder.nonces.append(bytes(nonce))
                return super().encrypt(data, nonce=nonce)
        return Cipher(key)


def test_chaos_cipher_pass_rates_are_consistent_with_an_ideal_cipher(camera):
    results = sensitivity_experiments(ChaosCipher, camera, key=KEY, trials=80, seed=1)
    for result in results.values():
        assert result.npcr_rate.verdict == "consistent" and result.uaci_rate.verdict == "consistent"
        assert result.npcr.mean() == pytest.approx(99.6094, abs=0.01)
        assert result.uaci.mean() == pytest.approx(33.4635, abs=0.05)


def test_both_images_of_a_pair_share_a_nonce_and_every_trial_draws_its_own(camera):
    recording = Recording()
    results = sensitivity_experiments(recording, camera, key=KEY, trials=6, seed=2)
    uses = Counter(recording.nonces)
    assert set(uses) == set(results["plaintext"].nonces) == set(results["key"].nonces)
    assert len(uses) == 6 and set(uses.values()) == {3}        # reference, plaintext variant, key variant
    assert results["plaintext"].as_dict()["nonce_fixed"] is True


def test_a_cipher_without_diffusion_fails_plaintext_but_not_key_sensitivity(camera):
    plaintext = plaintext_sensitivity(XorStream, camera, key=KEY, trials=20, seed=3)
    assert plaintext.npcr.max() == pytest.approx(100 / camera.size)          # one sample changes
    assert plaintext.npcr_rate.passes == 0 and plaintext.npcr_rate.verdict == "low"
    assert key_sensitivity(XorStream, camera, key=KEY, trials=20, seed=3).npcr_rate.verdict == "consistent"


def test_the_same_seed_gives_the_same_numbers(camera):
    first = plaintext_sensitivity(None, camera, key=KEY, trials=3, seed=4)
    second = plaintext_sensitivity(None, camera, key=KEY, trials=3, seed=4)
    assert np.array_equal(first.npcr, second.npcr) and first.nonces == second.nonces


def test_cipher_image_keeps_shape_and_dtype_and_decrypts_back():
    image = np.random.default_rng(5).integers(0, 256, (40, 30, 3), dtype=np.uint8)
    nonce = bytes(16)
    encrypted = cipher_image(image, key=KEY, nonce=nonce)
    assert encrypted.shape == image.shape and encrypted.dtype == np.uint8
    restored = np.frombuffer(ChaosCipher(KEY).decrypt(encrypted.tobytes(), nonce=nonce), np.uint8)
    assert np.array_equal(restored.reshape(image.shape), image)


def test_wrong_key_decryption_gives_noise_and_the_pipeline_refuses_every_suite():
    from securecomp._sample import landscape
    result = wrong_key_decryption(ChaosCipher, landscape(192), key=KEY, trials=4, seed=6)
    assert result.npcr.min() > 99.0 and abs(result.ssim.mean()) < 0.05
    assert result.uaci.mean() == pytest.approx(result.uaci_random, abs=0.5)
    assert result.pipeline == {suite: {"refused": True, "error": "DecryptionError"}
                               for suite in ("chaos+aes", "aes", "chaos")}


def test_flip_key_bit_changes_exactly_one_bit():
    for bit in (0, 7, 8, 255):
        changed = flip_key_bit(KEY, bit)
        difference = np.unpackbits(np.frombuffer(KEY, np.uint8) ^ np.frombuffer(changed, np.uint8))
        assert difference.sum() == 1 and difference[bit] == 1


def test_a_saturated_sample_is_nudged_downwards():
    white = np.full((16, 16), 255, dtype=np.uint8)
    result = plaintext_sensitivity(XorStream, white, key=KEY, trials=5, seed=7)
    assert np.all(result.npcr > 0)


@pytest.mark.parametrize("image", [np.zeros((8, 8), np.float32), np.zeros(10, np.uint8)])
def test_unusable_images_raise_parameter_error(image):
    with pytest.raises(ParameterError):
        plaintext_sensitivity(None, image, trials=1)
