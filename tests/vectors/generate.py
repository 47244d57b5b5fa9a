"""Regenerate the test vectors in this folder: `make vectors` (or `python tests/vectors/generate.py`).

Origin: every input below is derived from a fixed label with SHA-256 (no randomness), so anyone can
re-derive it (X25519 private keys, identities' and ephemeral ones, are such 32-byte strings, clamped
by X25519 as RFC 7748 says); the outputs are what this version of securecomp produced. The tests check that the
code still produces exactly these bytes. Regenerating is a format change: only do it together with
a version bump in docs/format.md.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from PIL import Image  # noqa: E402

from securecomp.api import _seal  # noqa: E402
from securecomp.codec.info import ImageInfo  # noqa: E402
from securecomp.hazmat.chaos import ChaosCipher  # noqa: E402
from securecomp.keys import KdfParams  # noqa: E402
from securecomp.recipients import Identity, _wrap_to, format_identity  # noqa: E402

CHAOS_LENGTHS = [0, 1, 7, 8, 9, 64, 255, 256, 515, 1000, 4096, 20000]
METADATA = bytes([1]) + (36).to_bytes(4, "big") + b"icc:" + hashlib.sha256(b"icc").digest()   # kind 1: ICC


def derived(label: str, n: int) -> bytes:
    """n bytes from SHA-256 in counter mode over a label: reproducible 'random' inputs."""
    out = b"".join(hashlib.sha256(f"{label}/{i}".encode()).digest() for i in range(-(-n // 32)))
    return out[:n]


def chaos_vectors() -> list[dict]:
    vectors = []
    for n in CHAOS_LENGTHS:
        key, nonce, pt = derived(f"chaos-key-{n}", 32), derived(f"chaos-nonce-{n}", 16), derived(f"chaos-pt-{n}", n)
        ct = ChaosCipher(key).encrypt(pt, nonce=nonce)
        vectors.append({"key": key.hex(), "nonce": nonce.hex(), "plaintext": pt.hex(), "ciphertext": ct.hex()})
    return vectors


def sample_body() -> tuple[ImageInfo, bytes]:
    """A 6x4 RGB PNG made from derived bytes; PNG decoding of fixed bytes is stable across Pillow."""
    image = Image.frombytes("RGB", (6, 4), derived("image", 6 * 4 * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=9)
    return ImageInfo(codec="png", mode="RGB", width=6, height=4), buffer.getvalue()


def container_vectors() -> list[dict]:
    """Container v2 for every suite, sealed with a raw key and with a password (Argon2id m=256 KiB,
    t=1, p=1 to keep tests fast: decrypting them needs allow_weak_kdf=True), with an ICC-profile
    metadata block of derived bytes."""
    info, body = sample_body()
    vectors = []
    for suite in ("aes", "chaos+aes", "chaos"):
        for secret in ("key", "password"):
            nonce = derived(f"container-nonce-{suite}-{secret}", 16)
            entry = {"suite": suite, "nonce": nonce.hex(), "body": body.hex(), "pixels": derived("image", 72).hex()}
            if secret == "key":
                key = derived(f"container-key-{suite}", 32)
                blob = _seal(info, body, suite=suite, key=key, password=None, nonce=nonce, kdf=None,
                             metadata_block=METADATA)
                entry["key"] = key.hex()
            else:
                kdf = KdfParams(memory_kib=256, iterations=1, lanes=1, salt=derived(f"salt-{suite}", 16))
                password = f"correct horse {suite}"
                blob = _seal(info, body, suite=suite, key=None, password=password, nonce=nonce, kdf=kdf,
                             metadata_block=METADATA)
                entry |= {"password": password, "kdf": {"memory_kib": 256, "iterations": 1, "lanes": 1,
                                                        "salt": kdf.salt.hex()}}
            entry |= {"metadata_block": METADATA.hex(), "container": blob.hex()}
            vectors.append(entry)
    return vectors


RECIPIENT_CASES = [("aes", 1), ("chaos+aes", 1), ("chaos", 1), ("chaos+aes", 3)]


def recipient_vectors() -> list[dict]:
    """key_type 3: a file key wrapped to 1 or 3 X25519 recipients with derived ephemeral keys."""
    info, body = sample_body()
    vectors = []
    for suite, count in RECIPIENT_CASES:
        label = f"{suite}-{count}"
        identities = [Identity._from_bytes(derived(f"recipient-identity-{i}", 32)) for i in range(count)]
        ephemerals = [derived(f"recipient-ephemeral-{label}-{i}", 32) for i in range(count)]
        file_key, nonce = derived(f"recipient-file-key-{label}", 32), derived(f"recipient-nonce-{label}", 16)
        stanzas = [_wrap_to(file_key, identity.recipient, Identity._from_bytes(eph)._private)
                   for identity, eph in zip(identities, ephemerals)]
        blob = _seal(info, body, suite=suite, key=file_key, password=None, nonce=nonce, kdf=None, stanzas=stanzas)
        vectors.append({"suite": suite, "identities": [format_identity(i) for i in identities],
                        "recipients": [str(i.recipient) for i in identities],
                        "ephemeral_private_keys": [e.hex() for e in ephemerals], "file_key": file_key.hex(),
                        "nonce": nonce.hex(), "body": body.hex(), "pixels": derived("image", 72).hex(),
                        "container": blob.hex()})
    return vectors


def learned_images() -> dict[str, Image.Image]:
    """Two 96×80 crops of scikit-image's public-domain samples (odd sizes exercise the padding)."""
    from skimage import data

    return {"astronaut": Image.fromarray(data.astronaut()[40:120, 180:276]),
            "coffee": Image.fromarray(data.coffee()[200:280, 300:396])}


def latent_digest(bitstream: bytes) -> str:
    """SHA-256 of the decoder's latents (y_hat) of a learned bitstream: exact on every machine."""
    from securecomp.codec.learned import decoder_latents

    return hashlib.sha256(decoder_latents(bitstream)).hexdigest()


def learned_vectors() -> list[dict]:
    from securecomp import compress
    from securecomp.codec import models, zoo
    from securecomp.codec.learned import DEFAULT_MODEL

    os.environ[models.PRECISION_VARIABLE] = "float32"      # the re-encoding test compares in float32
    models._native_bf16.cache_clear()

    vectors = []
    for model in zoo.manifest():           # the default model as "learned", the others under their id
        codec = "learned" if model == DEFAULT_MODEL else model
        for quality in zoo.qualities(model):
            for name, image in learned_images().items():
                bits = compress(image, codec=codec, quality=quality)
                vectors.append({"codec": codec, "image": name, "quality": quality, "bitstream": bits.hex(),
                                "sha256": hashlib.sha256(bits).hexdigest(), "latents_sha256": latent_digest(bits)})
    return vectors


GENERATORS = {"chaos.json": chaos_vectors, "container.json": container_vectors,
              "recipients.json": recipient_vectors, "learned.json": learned_vectors}


def main() -> None:
    """Regenerate the files named on the command line (default: all but learned.json, whose
    bitstreams change with every weights update: name it to regenerate it). container-v1.json and
    recipients-v1.json were made by securecomp 0.1.0 (format v1) and are kept as they are: the
    tests decrypt them, nothing regenerates them."""
    for name in sys.argv[1:] or [n for n in GENERATORS if n != "learned.json"]:
        vectors = GENERATORS[name]()
        (HERE / name).write_text(json.dumps(vectors, indent=1) + "\n")
        print(f"wrote {len(vectors)} vectors to {HERE / name}")


if __name__ == "__main__":
    main()
