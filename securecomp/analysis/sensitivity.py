"""Differential experiments on a cipher: plaintext and key sensitivity, and wrong-key decryption.

``cipher`` is a cipher factory such as :class:`securecomp.hazmat.chaos.ChaosCipher` (None means
that one): ``cipher(key)`` gives an object with ``encrypt(data, *, nonce)`` and
``decrypt(data, *, nonce)`` that keeps the length, so a cipher image has its plain image's shape.

Protocol of every trial: draw a fresh nonce, encrypt the image and its one-change variant **with
that same nonce**, and compare the two cipher images. Holding the nonce fixed within the pair is
what makes the experiment meaningful (with a fresh nonce each, any cipher that uses its nonce looks
"sensitive"). Drawing a new pair per trial is what makes the trials independent: against one shared
reference image, UACI outcomes share its histogram's offset and the pass count is not binomial.
Positions, signs, key bits and nonces come from ``seed``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import DecryptionError, ParameterError
from .differential import npcr_critical_value, npcr_expected, npcr_uaci_batch, uaci_critical_interval, uaci_expected
from .metrics import ssim
from .passrate import PassRate, pass_rate

__all__ = ["cipher_image", "plaintext_sensitivity", "key_sensitivity", "sensitivity_experiments",
           "wrong_key_decryption", "SensitivityResult", "WrongKeyResult", "flip_key_bit"]

NONCE_SIZE = 16
KEY_SIZE = 32
BATCH = 8                      # trials whose cipher images are held in memory at once
PIPELINE_SUITES = ("chaos+aes", "aes", "chaos")
PROTOCOL = ("each trial draws a fresh nonce and encrypts both images of its pair with that same nonce; "
            "trials are independent")


def cipher_image(image, *, key: bytes, nonce: bytes, cipher=None) -> np.ndarray:
    """The cipher applied to the raw samples of ``image``, reshaped to the image's shape and dtype."""
    plain = _check_image(image)
    return _encryptor(_default_cipher(cipher), plain)(key, plain, nonce)


def flip_key_bit(key: bytes, bit: int) -> bytes:
    """``key`` with bit ``bit`` (0 = most significant bit of the first byte) inverted."""
    changed = bytearray(key)
    changed[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(changed)


@dataclass(frozen=True)
class SensitivityResult:
    """NPCR and UACI of each trial's pair of cipher images, their critical values and pass rates."""

    change: str                 # "plaintext" or "key"
    trials: int
    alpha: float
    samples: int
    nonces: tuple[bytes, ...]   # one per trial, shared by both images of the pair
    npcr: np.ndarray            # percent, one per trial
    uaci: np.ndarray
    npcr_critical: float
    uaci_interval: tuple[float, float]
    npcr_rate: PassRate
    uaci_rate: PassRate
    both_passed: int
    nonce_fixed: bool = True    # within each pair

    def as_dict(self) -> dict:
        return {"change": self.change, "trials": self.trials, "alpha": self.alpha, "samples": self.samples,
                "nonce_fixed": self.nonce_fixed, "protocol": PROTOCOL, "nonces": [n.hex() for n in self.nonces],
                "npcr_mean": float(self.npcr.mean()), "uaci_mean": float(self.uaci.mean()),
                "npcr_expected": npcr_expected(), "uaci_expected": uaci_expected(),
                "npcr_critical": self.npcr_critical, "uaci_interval": list(self.uaci_interval),
                "npcr_pass_rate": self.npcr_rate.as_dict(), "uaci_pass_rate": self.uaci_rate.as_dict(),
                "both_passed": self.both_passed, "npcr": self.npcr.tolist(), "uaci": self.uaci.tolist()}


def plaintext_sensitivity(cipher, image, *, key: bytes | None = None, trials: int = 100, alpha: float = 0.05,
                          seed=None) -> SensitivityResult:
    """Per trial: change one sample at a random position by ±1; same key, same nonce for the pair."""
    return sensitivity_experiments(cipher, image, key=key, trials=trials, alpha=alpha, seed=seed,
                                   changes=("plaintext",))["plaintext"]


def key_sensitivity(cipher, image, *, key: bytes | None = None, trials: int = 100, alpha: float = 0.05,
                    seed=None) -> SensitivityResult:
    """Per trial: flip one random bit of the key; same plaintext, same nonce for the pair."""
    return sensitivity_experiments(cipher, image, key=key, trials=trials, alpha=alpha, seed=seed,
                                   changes=("key",))["key"]


def sensitivity_experiments(cipher, image, *, key: bytes | None = None, trials: int = 100, alpha: float = 0.05,
                            seed=None, changes: tuple[str, ...] = ("plaintext", "key")) -> dict[str, SensitivityResult]:
    """Both experiments at once: trial i of each compares against the same reference cipher image."""
    plain, rng = _check_image(image), np.random.default_rng(seed)
    key = rng.bytes(KEY_SIZE) if key is None else bytes(key)
    plan = _Plan.draw(rng, plain, len(key), _check_trials(trials))
    encrypt = _encryptor(_default_cipher(cipher), plain)
    largest = int(np.iinfo(plain.dtype).max)
    values: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {
        change: ([], []) for change in _check_changes(changes)}
    for start in range(0, trials, BATCH):
        indices = range(start, min(trials, start + BATCH))
        references = np.stack([encrypt(key, plain, plan.nonces[i]) for i in indices])
        for change, (npcr_values, uaci_values) in values.items():
            variants = np.stack([plan.variant(change, i, plain, key, encrypt) for i in indices])
            changed, intensity = npcr_uaci_batch(references, variants, largest_value=largest)
            npcr_values.append(changed)
            uaci_values.append(intensity)
    return {change: _summarise(change, plain, np.concatenate(npcr), np.concatenate(uaci), alpha, plan.nonces)
            for change, (npcr, uaci) in values.items()}


@dataclass(frozen=True)
class _Plan:
    """The random choices of all trials, drawn up front from one generator."""

    nonces: tuple[bytes, ...]
    positions: np.ndarray
    signs: np.ndarray
    bits: np.ndarray

    @classmethod
    def draw(cls, rng: np.random.Generator, plain: np.ndarray, key_size: int, trials: int) -> _Plan:
        nonces = tuple(rng.bytes(NONCE_SIZE) for _ in range(trials))
        return cls(nonces, rng.integers(0, plain.size, size=trials), rng.choice(np.array([-1, 1]), size=trials),
                   rng.integers(0, 8 * key_size, size=trials))

    def variant(self, change: str, index: int, plain: np.ndarray, key: bytes, encrypt) -> np.ndarray:
        nonce = self.nonces[index]
        if change == "key":
            return encrypt(flip_key_bit(key, int(self.bits[index])), plain, nonce)
        changed = plain.copy().reshape(-1)
        position = self.positions[index]
        changed[position] = _nudge(int(changed[position]), int(self.signs[index]), plain.dtype)
        return encrypt(key, changed.reshape(plain.shape), nonce)


@dataclass(frozen=True)
class WrongKeyResult:
    """How far decryption with a one-bit-different key lands from the original image."""

    trials: int
    nonce: bytes
    npcr: np.ndarray            # percent, decrypted vs original, one per trial
    uaci: np.ndarray
    ssim: np.ndarray
    npcr_critical: float
    uaci_random: float          # mean UACI of this image against uniform noise
    pipeline: dict              # suite -> {"refused": bool, "error": str}
    nonce_fixed: bool = True

    def as_dict(self) -> dict:
        return {"trials": self.trials, "nonce_fixed": self.nonce_fixed, "nonce": self.nonce.hex(),
                "npcr_mean": float(self.npcr.mean()), "uaci_mean": float(self.uaci.mean()),
                "ssim_mean": float(self.ssim.mean()), "npcr_critical": self.npcr_critical,
                "uaci_random": self.uaci_random, "npcr": self.npcr.tolist(), "uaci": self.uaci.tolist(),
                "ssim": self.ssim.tolist(), "pipeline": self.pipeline}


def wrong_key_decryption(cipher, image, *, key: bytes | None = None, trials: int = 10, seed=None,
                         suites: tuple[str, ...] = PIPELINE_SUITES, similarity_trials: int = 3) -> WrongKeyResult:
    """Encrypt with ``key``, decrypt with the key one bit off (same nonce); and try the full pipeline.

    For the raw cipher the decrypted image is compared with the original: NPCR and UACI in every
    trial, SSIM in the first ``similarity_trials`` (an ideal cipher gives noise: NPCR ≈ 99.61 %,
    SSIM ≈ 0). For each suite in ``suites``, securecomp.encrypt with ``key`` and securecomp.decrypt
    with the wrong key must raise DecryptionError.
    """
    plain, rng = _check_image(image), np.random.default_rng(seed)
    key = rng.bytes(KEY_SIZE) if key is None else bytes(key)
    nonce, factory = rng.bytes(NONCE_SIZE), _default_cipher(cipher)
    sealed = factory(key).encrypt(plain.tobytes(), nonce=nonce)
    bits = rng.integers(0, 8 * len(key), size=_check_trials(trials))
    opened = np.stack([np.frombuffer(factory(flip_key_bit(key, int(bit))).decrypt(sealed, nonce=nonce),
                                     dtype=plain.dtype).reshape(plain.shape) for bit in bits])
    largest = int(np.iinfo(plain.dtype).max)
    changed, intensity = npcr_uaci_batch(plain, opened, largest_value=largest)
    similarity = np.array([_similarity(plain, row, largest) for row in opened[:max(1, similarity_trials)]])
    pipeline = {suite: _pipeline_refuses(plain, key, suite, int(bits[0])) for suite in suites}
    return WrongKeyResult(trials, nonce, changed, intensity, similarity,
                          npcr_critical_value(plain.size, largest_value=largest), _uaci_against_noise(plain),
                          pipeline)


# --- helpers -----------------------------------------------------------------------------------

def _summarise(change: str, plain: np.ndarray, npcr_all: np.ndarray, uaci_all: np.ndarray, alpha: float,
               nonces: tuple[bytes, ...]) -> SensitivityResult:
    largest, trials = int(np.iinfo(plain.dtype).max), npcr_all.size
    critical = npcr_critical_value(plain.size, alpha=alpha, largest_value=largest)
    low, high = uaci_critical_interval(plain.size, alpha=alpha, largest_value=largest)
    npcr_pass, uaci_pass = npcr_all >= critical, (uaci_all >= low) & (uaci_all <= high)
    return SensitivityResult(change, trials, alpha, int(plain.size), nonces, npcr_all, uaci_all, critical,
                             (low, high), pass_rate(int(npcr_pass.sum()), trials, ideal=1 - alpha),
                             pass_rate(int(uaci_pass.sum()), trials, ideal=1 - alpha),
                             int((npcr_pass & uaci_pass).sum()))


def _encryptor(factory, plain: np.ndarray):
    def encrypt(key: bytes, pixels: np.ndarray, nonce: bytes) -> np.ndarray:
        data = factory(key).encrypt(pixels.tobytes(), nonce=nonce)
        return np.frombuffer(data, dtype=plain.dtype).reshape(plain.shape)
    return encrypt


def _nudge(value: int, sign: int, dtype: np.dtype) -> int:
    """value ± 1, turned around at the ends of the range so that the sample always changes."""
    if not 0 <= value + sign <= int(np.iinfo(dtype).max):
        sign = -sign
    return value + sign


def _similarity(plain: np.ndarray, opened: np.ndarray, largest: int) -> float:
    return ssim(plain, opened, data_range=largest, channel_axis=-1 if plain.ndim == 3 else None)


def _uaci_against_noise(plain: np.ndarray) -> float:
    """Mean UACI (percent) of ``plain`` against independent uniform noise: E|p − U| / F per sample."""
    largest = int(np.iinfo(plain.dtype).max)
    values = plain.astype(np.float64).reshape(-1)
    expected = (values * (values + 1) + (largest - values) * (largest + 1 - values)) / (2 * (largest + 1))
    return float(expected.mean() * 100.0 / largest)


def _pipeline_refuses(plain: np.ndarray, key: bytes, suite: str, bit: int) -> dict:
    from ..api import decrypt, encrypt
    blob = encrypt(plain, key=key, cipher=suite, codec="png")
    try:
        decrypt(blob, key=flip_key_bit(key, bit))
    except DecryptionError as exc:
        return {"refused": True, "error": type(exc).__name__}
    return {"refused": False, "error": ""}


def _check_image(image) -> np.ndarray:
    plain = np.ascontiguousarray(image)
    if plain.dtype not in (np.uint8, np.uint16) or plain.ndim not in (2, 3) or plain.size < 2:
        raise ParameterError(f"need an 8- or 16-bit image of shape H x W or H x W x C, "
                             f"got {plain.dtype} of shape {plain.shape}")
    return plain


def _check_trials(trials: int) -> int:
    if int(trials) < 1:
        raise ParameterError(f"trials must be at least 1, got {trials}")
    return int(trials)


def _check_changes(changes) -> tuple[str, ...]:
    if not changes or any(change not in ("plaintext", "key") for change in changes):
        raise ParameterError(f"changes must name 'plaintext' and/or 'key', got {changes!r}")
    return tuple(changes)


def _default_cipher(cipher):
    if cipher is not None:
        return cipher
    from ..hazmat.chaos import ChaosCipher
    return ChaosCipher
