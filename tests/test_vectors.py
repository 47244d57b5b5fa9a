"""The test vectors in tests/vectors/ still come out byte for byte (format stability)."""

import json
from pathlib import Path

import numpy as np
import pytest

import securecomp
from securecomp.api import _seal
from securecomp.container import parse
from securecomp.hazmat.chaos import ChaosCipher
from securecomp.keys import KdfParams

VECTORS = Path(__file__).parent / "vectors"
CHAOS = json.loads((VECTORS / "chaos.json").read_text())
CONTAINERS = json.loads((VECTORS / "container.json").read_text())
LEGACY = [*json.loads((VECTORS / "container-v1.json").read_text()),
          *json.loads((VECTORS / "recipients-v1.json").read_text())]


@pytest.mark.parametrize("vector", CHAOS, ids=lambda v: f"{len(v['plaintext']) // 2}B")
def test_chaos_cipher_reproduces_its_vectors(vector):
    key, nonce = bytes.fromhex(vector["key"]), bytes.fromhex(vector["nonce"])
    plaintext, ciphertext = bytes.fromhex(vector["plaintext"]), bytes.fromhex(vector["ciphertext"])
    assert ChaosCipher(key).encrypt(plaintext, nonce=nonce) == ciphertext
    assert ChaosCipher(key).decrypt(ciphertext, nonce=nonce) == plaintext


def _secret(vector):
    if "key" in vector:
        return {"key": bytes.fromhex(vector["key"])}, None
    k = vector["kdf"]
    kdf = KdfParams(memory_kib=k["memory_kib"], iterations=k["iterations"], lanes=k["lanes"],
                    salt=bytes.fromhex(k["salt"]))
    return {"password": vector["password"]}, kdf


@pytest.mark.parametrize("vector", CONTAINERS, ids=lambda v: f"{v['suite']}-{'key' if 'key' in v else 'password'}")
def test_container_vectors_reseal_identically_and_decrypt(vector):
    secret, kdf = _secret(vector)
    blob = bytes.fromhex(vector["container"])
    info = parse(blob).header.info
    resealed = _seal(info, bytes.fromhex(vector["body"]), suite=vector["suite"], key=secret.get("key"),
                     password=secret.get("password"), nonce=bytes.fromhex(vector["nonce"]), kdf=kdf,
                     metadata_block=bytes.fromhex(vector["metadata_block"]))
    assert resealed == blob
    image = securecomp.decrypt(blob, **secret, allow_weak_kdf=True)
    assert image.mode == "RGB" and image.size == (6, 4)
    assert np.asarray(image).tobytes() == bytes.fromhex(vector["pixels"])
    assert image.info["icc_profile"] == bytes.fromhex(vector["metadata_block"])[5:]


def _kind(vector: dict) -> str:
    return "key" if "key" in vector else "password" if "password" in vector else "recipients"


@pytest.mark.parametrize("vector", LEGACY, ids=lambda v: f"{v['suite']}-{_kind(v)}")
def test_format_1_containers_open_only_when_asked_and_then_with_a_warning(vector):
    from securecomp.errors import LegacyFormatWarning
    from securecomp.recipients import parse_identity

    blob = bytes.fromhex(vector["container"])
    assert blob[10] == 1
    secrets = [{"identity": parse_identity(line)} for line in vector.get("identities", [])] or [_secret(vector)[0]]
    for secret in secrets:
        with pytest.raises(securecomp.errors.DecryptionError, match="version 1"):
            securecomp.decrypt(blob, **secret, allow_weak_kdf=True)
        with pytest.warns(LegacyFormatWarning, match="not key-committing"):
            image = securecomp.decrypt(blob, **secret, allow_weak_kdf=True, allow_legacy=True)
        assert np.asarray(image).tobytes() == bytes.fromhex(vector["pixels"])


RECIPIENTS = json.loads((VECTORS / "recipients.json").read_text())


@pytest.mark.parametrize("vector", RECIPIENTS, ids=lambda v: f"{v['suite']}-{len(v['recipients'])}")
def test_recipient_vectors_reseal_identically_and_open_with_every_identity(vector):
    from securecomp.recipients import Identity, _wrap_to, parse_identity, parse_recipient

    identities = [parse_identity(line) for line in vector["identities"]]
    assert [str(i.recipient) for i in identities] == vector["recipients"]
    assert [parse_recipient(r) for r in vector["recipients"]] == [i.recipient for i in identities]
    file_key, blob = bytes.fromhex(vector["file_key"]), bytes.fromhex(vector["container"])
    stanzas = [_wrap_to(file_key, identity.recipient, Identity._from_bytes(bytes.fromhex(eph))._private)
               for identity, eph in zip(identities, vector["ephemeral_private_keys"])]
    resealed = _seal(parse(blob).header.info, bytes.fromhex(vector["body"]), suite=vector["suite"], key=file_key,
                     password=None, nonce=bytes.fromhex(vector["nonce"]), kdf=None, stanzas=stanzas)
    assert resealed == blob
    for identity in identities:
        image = securecomp.decrypt(blob, identity=identity)
        assert np.asarray(image).tobytes() == bytes.fromhex(vector["pixels"])
