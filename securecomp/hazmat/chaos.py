"""ChaosCipher: a length-preserving logistic-map permutation–diffusion cipher over raw bytes.

HAZMAT. This primitive gives no integrity and is not what protects users: the container wraps it in
AES-256-GCM or HMAC-SHA256 (docs/security.md). It exists so that chaotic-cipher research can be done
on a design that avoids the published breaks (docs/security.md, "Known attacks on chaotic ciphers");
docs/format.md specifies it byte for byte.

Outline, for a 32-byte key, a 16-byte nonce and an n-byte message (N = n // 8 words, t = n % 8
tail bytes):

* HKDF-SHA256(key, salt=nonce) derives every parameter: per lane a start value x0 in [0.25, 0.75)
  and a control parameter r in [3.9999, 4), a region with no periodic windows (its Lyapunov
  exponent stays near ln 2; tested), plus odd multipliers and constants for each round.
* L lanes of the logistic map x <- r·x·(1 − x) run side by side in IEEE-754 double precision (one
  operation per numpy call, so no fused multiply-add can change a bit). After 1000 discarded
  transient steps each step yields one double per lane; its 64-bit pattern is whitened by the
  MurmurHash3 finaliser (a bijection) into a keystream word.
* Each of two rounds permutes 256-byte blocks (order from the keystream), XORs the keystream, then
  applies multiply/xor-shift mixing and a forward running sum mod 2**64, folds the tail in, mixes
  again and runs a backward running sum. XOR, multiplication and addition from different groups make
  the cipher non-affine; the two running sums make every output byte depend on every input byte.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .exceptions import InvalidParameter

__all__ = ["ChaosCipher", "KEY_SIZE", "NONCE_SIZE"]

KEY_SIZE = 32
NONCE_SIZE = 16
ROUNDS = 2
TRANSIENT = 1000
MAX_LANES = 1024
WORDS_PER_LANE = 64          # lanes = clamp(ceil(words / 64), 1, 1024)
BLOCK_WORDS = 32             # the permutation moves 256-byte blocks
CHUNK_WORDS = 8192           # 64 KiB: the passes run chunk by chunk in cache
R_LOW, R_SPAN = 3.9999, 0.0001
_WORD = np.dtype("<u8")
_FMIX = (np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53))
_S32, _S33 = np.uint64(32), np.uint64(33)


def _hkdf(key: bytes, nonce: bytes, label: bytes, length: int) -> bytes:
    info = b"securecomp/chaos/v1/" + label
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=nonce, info=info).derive(key)


def lane_count(n_bytes: int) -> int:
    words = n_bytes // 8 + 1
    return min(MAX_LANES, max(1, -(-words // WORDS_PER_LANE)))


def lane_parameters(key: bytes, nonce: bytes, lanes: int) -> tuple[np.ndarray, np.ndarray]:
    """Start values x0 in [0.25, 0.75) and control parameters r in [3.9999, 4) of each lane."""
    raw = np.frombuffer(_hkdf(key, nonce, b"lanes", 6 * lanes), dtype=">u2").reshape(lanes, 3)
    x_bits = raw[:, 0].astype(np.uint64) << np.uint64(16) | raw[:, 1].astype(np.uint64)
    x0 = 0.25 + 0.5 * (x_bits.astype(np.float64) / 2.0**32)
    r = R_LOW + R_SPAN * (raw[:, 2].astype(np.float64) / 2.0**16)
    return x0, r


def logistic_orbit(x0: np.ndarray, r: np.ndarray, steps: int) -> np.ndarray:
    """``steps`` iterates of every lane after the transient, shape (steps, lanes), float64."""
    x = x0.copy()
    scratch = np.empty_like(x)
    for _ in range(TRANSIENT):
        np.subtract(1.0, x, out=scratch)
        np.multiply(x, scratch, out=scratch)
        np.multiply(scratch, r, out=x)
    orbit = np.empty((steps, x.size), dtype=np.float64)
    for row in orbit:
        np.subtract(1.0, x, out=scratch)
        np.multiply(x, scratch, out=scratch)
        np.multiply(scratch, r, out=row)
        x = row
    return orbit


def fmix64(words: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser, in place: a bijection that whitens the map's bit patterns."""
    scratch = np.empty_like(words)
    for multiplier in (*_FMIX, None):
        np.right_shift(words, _S33, out=scratch)
        np.bitwise_xor(words, scratch, out=words)
        if multiplier is not None:
            np.multiply(words, multiplier, out=words)
    return words


def keystream(x0: np.ndarray, r: np.ndarray, n_words: int) -> np.ndarray:
    steps = -(-n_words // x0.size)
    bits = logistic_orbit(x0, r, steps).reshape(-1)[:n_words].view(np.uint64)
    return fmix64(bits.astype(_WORD, copy=True))


@dataclass(frozen=True)
class _Round:
    multipliers: tuple[np.uint64, np.uint64, np.uint64, np.uint64]   # odd
    inverses: tuple[np.uint64, np.uint64]                            # of m1, m2 mod 2**64
    constant: np.uint64
    permutation: np.ndarray | None                                  # of 256-byte blocks


@dataclass(frozen=True)
class _Schedule:
    stream: np.ndarray        # keystream words; the last one serves the tail
    rounds: tuple[_Round, ...]


def _schedule(key: bytes, nonce: bytes, n_bytes: int) -> _Schedule:
    n_words = n_bytes // 8
    x0, r = lane_parameters(key, nonce, lane_count(n_bytes))
    stream = keystream(x0, r, n_words + 1)
    raw = np.frombuffer(_hkdf(key, nonce, b"rounds", 40 * ROUNDS), dtype=">u8").astype(_WORD)
    blocks = n_words // BLOCK_WORDS
    rounds = []
    for i in range(ROUNDS):
        m1, m2, m3, m4 = (np.uint64(v | 1) for v in raw[5 * i : 5 * i + 4])
        constant = raw[5 * i + 4]
        sort_keys = (stream[:blocks] * m1) ^ constant
        permutation = np.argsort(sort_keys, kind="stable") if blocks > 1 else None
        inverses = (np.uint64(pow(int(m1), -1, 1 << 64)), np.uint64(pow(int(m2), -1, 1 << 64)))
        rounds.append(_Round((m1, m2, m3, m4), inverses, constant, permutation))
    return _Schedule(stream, tuple(rounds))


def _mix(w: np.ndarray, a: np.uint64, b: np.uint64, scratch: np.ndarray) -> None:
    for multiplier in (a, b):
        np.multiply(w, multiplier, out=w)
        np.right_shift(w, _S32, out=scratch)
        np.bitwise_xor(w, scratch, out=w)


def _unmix(w: np.ndarray, a_inverse: np.uint64, b_inverse: np.uint64, scratch: np.ndarray) -> None:
    """Inverse of ``_mix(w, a, b)``, given the inverses of a and b mod 2**64."""
    for inverse in (b_inverse, a_inverse):
        np.right_shift(w, _S32, out=scratch)
        np.bitwise_xor(w, scratch, out=w)
        np.multiply(w, inverse, out=w)


def _tail_mix(v: int, bits: int, rnd: _Round, inverse: bool = False) -> int:
    """Multiply / xor-shift bijection on integers mod 2**bits (the last n % 8 bytes)."""
    mask, shift = (1 << bits) - 1, bits // 2
    a, b = int(rnd.multipliers[2]), int(rnd.multipliers[3])
    if not inverse:
        for multiplier in (a, b):
            v = (v * multiplier) & mask
            v ^= v >> shift
        return v
    for multiplier in (b, a):
        v ^= v >> shift
        v = (v * pow(multiplier, -1, 1 << bits)) & mask
    return v


def _permute(w: np.ndarray, permutation: np.ndarray | None, inverse: bool) -> None:
    if permutation is None:
        return
    blocks = w[: permutation.size * BLOCK_WORDS].reshape(-1, BLOCK_WORDS)
    if inverse:
        blocks[permutation] = blocks.copy()
    else:
        blocks[:] = blocks[permutation]


def _fold(w: np.ndarray, k_tail: int, bits: int) -> int:
    last = int(w[-1]) if w.size else 0
    return (last ^ k_tail) & ((1 << bits) - 1)


def _chunks(size: int, reverse: bool = False) -> list[tuple[int, int]]:
    """Cache-sized slices: every pass below works chunk by chunk, carrying sums across chunks."""
    spans = [(a, min(a + CHUNK_WORDS, size)) for a in range(0, size, CHUNK_WORDS)]
    return spans[::-1] if reverse else spans


_RoundFunction = Callable[[np.ndarray, int, int, _Schedule, _Round], int]


def _encrypt_round(w: np.ndarray, v: int, bits: int, s: _Schedule, rnd: _Round) -> int:
    m1, m2, _, _ = rnd.multipliers
    scratch, carry = np.empty(CHUNK_WORDS, _WORD), np.uint64(0)
    _permute(w, rnd.permutation, inverse=False)
    for a, b in _chunks(w.size):                     # steps 2-4
        seg = w[a:b]
        np.bitwise_xor(seg, s.stream[a:b], out=seg)
        np.bitwise_xor(seg, rnd.constant, out=seg)
        _mix(seg, m1, m2, scratch[: b - a])
        np.cumsum(seg, out=seg)
        np.add(seg, carry, out=seg)
        carry = seg[-1]
    if bits:                                         # step 5
        v = _tail_mix(v ^ _fold(w, int(s.stream[-1]), bits), bits, rnd)
        if w.size:
            np.add(w[-1:], np.uint64(v), out=w[-1:])
    carry = np.uint64(0)
    for a, b in _chunks(w.size, reverse=True):       # steps 6-7
        seg = w[a:b]
        _mix(seg, m2, m1, scratch[: b - a])
        np.cumsum(seg[::-1], out=seg[::-1])
        np.add(seg, carry, out=seg)
        carry = seg[0]
    return v


def _decrypt_round(w: np.ndarray, v: int, bits: int, s: _Schedule, rnd: _Round) -> int:
    m1, m2 = rnd.inverses
    scratch = np.empty(CHUNK_WORDS, _WORD)
    for a, b in _chunks(w.size):                     # undo 7, 6 (ascending: w[b] still a sum)
        seg, after = w[a:b], (w[b] if b < w.size else np.uint64(0))
        np.subtract(seg[:-1], seg[1:], out=seg[:-1])
        np.subtract(seg[-1:], after, out=seg[-1:])
        _unmix(seg, m2, m1, scratch[: b - a])
    if bits:                                         # undo 5
        if w.size:
            np.subtract(w[-1:], np.uint64(v), out=w[-1:])
        v = _tail_mix(v, bits, rnd, inverse=True) ^ _fold(w, int(s.stream[-1]), bits)
    for a, b in _chunks(w.size, reverse=True):       # undo 4-2 (descending: w[a-1] still a sum)
        seg, before = w[a:b], (w[a - 1] if a else np.uint64(0))
        np.subtract(seg[1:], seg[:-1], out=seg[1:])
        np.subtract(seg[:1], before, out=seg[:1])
        _unmix(seg, m1, m2, scratch[: b - a])
        np.bitwise_xor(seg, rnd.constant, out=seg)
        np.bitwise_xor(seg, s.stream[a:b], out=seg)
    _permute(w, rnd.permutation, inverse=True)
    return v


class ChaosCipher:
    """``ChaosCipher(key).encrypt(data, nonce=nonce)``: deterministic for a given (key, nonce).

    A nonce must never be reused with the same key for different messages; the container draws a
    fresh random one per message. Provides no integrity: see the module docstring.
    """

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, (bytes, bytearray)) or len(key) != KEY_SIZE:
            raise InvalidParameter(f"ChaosCipher needs a {KEY_SIZE}-byte key")
        self._key = bytes(key)

    def encrypt(self, data: bytes | memoryview, *, nonce: bytes) -> bytes:
        return self._apply(data, nonce, _encrypt_round, forward=True)

    def decrypt(self, data: bytes | memoryview, *, nonce: bytes) -> bytes:
        return self._apply(data, nonce, _decrypt_round, forward=False)

    def _apply(self, data: bytes | memoryview, nonce: bytes, round_fn: _RoundFunction, *, forward: bool) -> bytes:
        if not isinstance(nonce, (bytes, bytearray)) or len(nonce) != NONCE_SIZE:
            raise InvalidParameter(f"ChaosCipher needs a {NONCE_SIZE}-byte nonce")
        view = memoryview(data).cast("B")
        n_words, bits = len(view) // 8, 8 * (len(view) % 8)
        schedule = _schedule(self._key, bytes(nonce), len(view))
        w = np.frombuffer(view[: 8 * n_words], dtype=_WORD).copy()
        v = int.from_bytes(view[8 * n_words :], "little")
        rounds = schedule.rounds if forward else schedule.rounds[::-1]
        for rnd in rounds:
            v = round_fn(w, v, bits, schedule, rnd)
        return w.astype(_WORD, copy=False).tobytes() + v.to_bytes(bits // 8, "little")
