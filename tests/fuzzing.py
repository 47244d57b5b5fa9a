"""Seeds, mutations and the invariant of the fuzz tests (tests/test_fuzz.py, ``make fuzz``).

The invariant (docs: GUIDE section 3, issue 17): for any bytes, ``decompress``, ``container.parse``
and ``decrypt`` return an image (or a parsed container) or raise a SecurecompError; nothing else
escapes, and no call runs for longer than ``HANG_SECONDS`` (faulthandler then dumps every thread's
stack and ends the process, so a hang fails the run loudly instead of stalling it).

Run as a script, this writes the seed corpus of ``make fuzz``: one valid bitstream per codec and
mode, one container per suite and key type, and the bomb regression bodies::

    python tests/fuzzing.py build/fuzz-corpus

The secrets of the corpus containers are the fixed ones below (KEY, PASSWORD with FAST_KDF,
IDENTITY), so the fuzzer decrypts with the right secret. The corpus is rebuilt, not committed.
"""

from __future__ import annotations

import faulthandler
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st
from PIL import Image

import securecomp
from securecomp import _wire, container
from securecomp.api import _seal
from securecomp.codec.bitstream import encode_image
from securecomp.codec.framing import MAGIC
from securecomp.codec.info import ImageInfo
from securecomp.codec.registry import codec_ids, get_codec
from securecomp.errors import SecurecompError
from securecomp.keys import KdfParams
from securecomp.recipients import Identity, _wrap_to

HANG_SECONDS = 20
KEY = bytes(range(32))
PASSWORD = "correct horse"
FAST_KDF = KdfParams(memory_kib=256, iterations=1, lanes=1, salt=bytes(16))   # opened with allow_weak_kdf
IDENTITY = Identity._from_bytes(bytes(range(100, 132)))
SECRETS: dict[str, dict[str, Any]] = {
    "key": {"key": KEY},
    "password": {"password": PASSWORD, "allow_weak_kdf": True,      # a mutated header may ask for more:
                 "max_kdf": KdfParams(memory_kib=8 * 1024, iterations=4, lanes=4)},   # refused cheaply
    "identity": {"identity": IDENTITY},
}
SUITES = ("aes", "chaos+aes", "chaos")
QUALITY = 4         # every learned model ships quality 4; lossless codecs ignore it
INTERESTING_U32 = (0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x10000, 0x10001, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)


def image(mode: str = "RGB", size: tuple[int, int] = (24, 20), seed: int = 1) -> Image.Image:
    """A small noisy image with a smooth gradient (so lossy codecs code something)."""
    width, height = size
    rng = np.random.default_rng(seed)
    ramp = np.add.outer(np.arange(height), np.arange(width)) * 4 % 256
    if mode == "I;16":
        return Image.fromarray((ramp * 257 + rng.integers(0, 64, ramp.shape)).astype(np.uint16))
    channels = len(mode)
    pixels = (ramp[..., None] + rng.integers(0, 48, (height, width, channels))) % 256
    return Image.fromarray(pixels.astype(np.uint8).squeeze(), mode)


def bitstream_seeds(full: bool = False) -> dict[str, bytes]:
    """Valid ``compress()`` bitstreams, one per codec (RGB, 24x20); ``full`` adds every mode a codec
    carries and a second size."""
    seeds = {}
    for codec in codec_ids():
        modes = sorted(get_codec(codec).modes) if full else ["RGB"]
        sizes = [(24, 20), (70, 9)] if full else [(24, 20)]
        for mode in modes:
            for size in sizes:
                data = securecomp.compress(image(mode, size), codec=codec, quality=QUALITY)
                seeds[f"{codec}-{mode.replace(';', '')}-{size[0]}x{size[1]}"] = data
    return seeds


def container_seeds(full: bool = False) -> dict[str, tuple[str, bytes]]:
    """Valid containers (name -> (secret kind, blob)): every suite and key type around a png body;
    ``full`` adds jpeg2000 and learned bodies."""
    codecs = ["png", "jpeg2000", "learned"] if full else ["png"]
    seeds = {}
    for codec in codecs:
        info, body = encode_image(image(size=(12, 10)), codec, QUALITY)
        for suite in SUITES:
            for kind in SECRETS:
                seeds[f"{codec}-{suite}-{kind}"] = (kind, seal(info, body, suite=suite, kind=kind))
    return seeds


def seal(info: ImageInfo, body: bytes, *, suite: str = "aes", kind: str = "key") -> bytes:
    """A container around any descriptor and body (no codec runs), openable with ``SECRETS[kind]``."""
    nonce = bytes(range(16))
    if kind == "password":
        return _seal(info, body, suite=suite, key=None, password=PASSWORD, nonce=nonce, kdf=FAST_KDF)
    if kind == "identity":
        ephemeral = Identity._from_bytes(bytes(range(200, 232)))._private
        stanzas = (_wrap_to(KEY, IDENTITY.recipient, ephemeral),)
        return _seal(info, body, suite=suite, key=KEY, password=None, nonce=nonce, kdf=None, stanzas=stanzas)
    return _seal(info, body, suite=suite, key=KEY, password=None, nonce=nonce, kdf=None)


def bomb_seeds() -> dict[str, bytes]:
    """The regression body of issue 17, finding 4 (refused before decoding), as a bitstream."""
    from bombs import framed, jpeg2000_bomb

    return {"jpeg2000-bomb-16384": framed(ImageInfo("jpeg2000", "RGB", 16384, 16384, 1), jpeg2000_bomb())}


def bitstream_split(bitstream: bytes) -> int:
    """Where the body of a (valid) bitstream starts: after magic, version and descriptor."""
    reader = _wire.Reader(bitstream[:-4], "seed")
    reader.take(len(MAGIC))
    ImageInfo.read(reader, reader.u8())
    return reader.pos


def container_split(blob: bytes) -> int:
    """Where the sealed payload of a (valid) container starts."""
    return len(container.parse(blob).header_bytes)


@st.composite
def mutated(draw: st.DrawFn, data: bytes, keep: int = 0, split: int | None = None) -> bytes:
    """``data`` after one to five mutations: bit flips, byte and u32 overwrites, insertions,
    deletions, duplications and truncation. The first ``keep`` bytes stay (a bitstream's magic and
    version: past the CRC those only meet one check); a third of the mutations fall before ``split``
    (the descriptor or header), the rest after it (the body or payload)."""
    out = bytearray(data)
    split = keep if split is None else split
    for _ in range(draw(st.integers(1, 5))):
        low, high = (keep, split) if draw(st.integers(0, 2)) == 0 and split > keep else (split, len(out))
        high = min(high, len(out))
        if low >= high:
            continue
        at = draw(st.integers(low, high - 1))
        op = draw(st.sampled_from(["flip", "byte", "u32", "insert", "delete", "duplicate", "truncate"]))
        if op == "flip":
            out[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "byte":
            out[at] = draw(st.sampled_from([0, 1, 0x7F, 0x80, 0xFF]) | st.integers(0, 255))
        elif op == "u32":
            value = draw(st.sampled_from(INTERESTING_U32))
            out[at:at + 4] = value.to_bytes(4, draw(st.sampled_from(["big", "little"])))
        elif op == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del out[at:at + draw(st.integers(1, 16))]
        elif op == "duplicate":
            out[at:at] = out[at:at + draw(st.integers(1, 32))]
        else:
            del out[max(at, keep + 1):]
    return bytes(out)


def mutated_frame(bitstream: bytes) -> st.SearchStrategy[bytes]:
    """A mutated bitstream without its CRC-32 trailer (the caller appends a valid one)."""
    return mutated(bitstream[:-4], keep=len(MAGIC) + 1, split=bitstream_split(bitstream))


def mutated_container(blob: bytes) -> st.SearchStrategy[bytes]:
    return mutated(blob, split=container_split(blob))


@contextmanager
def no_hang(what: str) -> Iterator[None]:
    """End the process with every thread's stack if the block runs for more than HANG_SECONDS."""
    faulthandler.dump_traceback_later(HANG_SECONDS, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


def only_typed_errors(call: Callable[[], Any], what: str) -> Any:
    """``call()``'s result, or None when it raised a SecurecompError; anything else propagates, which
    fails the test with Hypothesis's shrunk example."""
    with no_hang(what):
        try:
            return call()
        except SecurecompError:
            return None


def write_corpus(directory: Path) -> int:
    """Write the seed corpus; return the number of files."""
    directory.mkdir(parents=True, exist_ok=True)
    count = 0
    for name, data in {**bitstream_seeds(full=True), **bomb_seeds()}.items():
        (directory / f"bitstream-{name}.bin").write_bytes(data)
        count += 1
    for name, (kind, blob) in container_seeds(full=True).items():
        (directory / f"container-{kind}-{name}.bin").write_bytes(blob)
        count += 1
    return count


def read_corpus(directory: Path) -> tuple[dict[str, bytes], dict[str, tuple[str, bytes]]]:
    """The bitstreams and containers (with their secret kind) of a corpus written by write_corpus."""
    bitstreams, containers = {}, {}
    for path in sorted(directory.glob("*.bin")):
        kind, _, name = path.stem.partition("-")
        if kind == "bitstream":
            bitstreams[name] = path.read_bytes()
        elif kind == "container":
            secret, _, rest = name.partition("-")
            containers[rest] = (secret, path.read_bytes())
    return bitstreams, containers


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))     # bombs.py
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "build/fuzz-corpus")
    print(f"wrote {write_corpus(target)} seeds to {target}")
