"""Regression vector for the password partitioning oracle (issue 17, finding 2; Len, Grubbs and
Ristenpart 2021): a password container whose payload AES-GCM accepts under 16 candidate passwords.

Format 2 closes the oracle: the header MAC holds under one key at most, so for every password but
that one the reader stops at the header MAC with the same DecryptionError (and CLI exit code 3)
as for any wrong password, whether or not the password is among the 16. The construction is
checked against cryptography's AESGCM itself (the payload really opens under all 16 keys), and
its format-1 twin, read with allow_legacy, still shows the oracle, so the test cannot pass
vacuously. tests/vectors/partition.json holds the container; the test rebuilds it byte for byte
(`python tests/test_partition.py` rewrites it, a format change only).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from salamander import Partition, partition_container

import securecomp
from securecomp import cli, container
from securecomp.errors import DecryptionError, SecurecompError
from securecomp.keys import MIN_KDF, KdfParams

VECTOR = Path(__file__).parent / "vectors" / "partition.json"
CANDIDATES = tuple(f"partition candidate {i:02d}" for i in range(16))
OUTSIDE = "not among the candidates"
SALT = hashlib.sha256(b"partition/salt").digest()[:16]
NONCE = hashlib.sha256(b"partition/nonce").digest()[:16]
# The writer's own Argon2id cost: the reader's floor, so the reader does run the KDF and reaches the MAC.
KDF = KdfParams(memory_kib=MIN_KDF.memory_kib, iterations=MIN_KDF.iterations, lanes=MIN_KDF.lanes, salt=SALT)


def build(version: int = 2, masters: tuple[bytes, ...] | None = None) -> Partition:
    return partition_container(CANDIDATES, kdf=KDF, nonce=NONCE, suite="chaos+aes", version=version,
                               mac_password=0, masters=masters)


@pytest.fixture(scope="module")
def partition() -> Partition:
    return build()     # 16 Argon2id derivations at the writer's defaults: about 3 s


def test_the_payload_opens_under_all_16_candidate_keys_in_aesgcm_itself(partition):
    parsed = container.parse(partition.blob)
    assert parsed.header.kdf == KDF and parsed.header.version == 2 and parsed.header_bytes == partition.header_bytes
    assert len(partition.gcm) == len(set(partition.gcm)) == 16
    plaintexts = set()
    for key, nonce in partition.gcm:
        plaintexts.add(AESGCM(key).decrypt(nonce, bytes(parsed.sealed), parsed.header_bytes))
    assert len(plaintexts) == 16      # 16 different keys: 16 different (junk) payloads, all authenticated


def test_the_vector_file_is_the_container_byte_for_byte(partition):
    vector = json.loads(VECTOR.read_text())
    assert vector == describe(partition)


@pytest.mark.parametrize("victim", [CANDIDATES[7], CANDIDATES[15], OUTSIDE])
def test_decrypt_gives_the_same_error_whether_or_not_the_password_is_a_candidate(partition, victim):
    with pytest.raises(DecryptionError) as refused:
        securecomp.decrypt(partition.blob, password=victim)
    wrong = DecryptionError("authentication failed: wrong key or password, or the file was modified")
    assert (str(refused.value), refused.value.hint) == (str(wrong), wrong.hint)


def test_the_one_password_the_header_mac_holds_for_opens_the_junk_payload(partition):
    """What is left: the header MAC holds for one key, so one candidate gets past it (and fails on
    the junk body). That is one online guess, as an honest container under that password is."""
    with pytest.raises(SecurecompError) as opened:
        securecomp.decrypt(partition.blob, password=CANDIDATES[0])
    assert not isinstance(opened.value, DecryptionError)


def test_the_cli_exits_the_same_whether_or_not_the_password_is_a_candidate(partition, tmp_path, capsys):
    sealed = tmp_path / "partition.sc"
    sealed.write_bytes(partition.blob)
    outcomes = []
    for victim in (CANDIDATES[7], OUTSIDE):
        password_file = tmp_path / "password.txt"
        password_file.write_text(victim + "\n")
        argv = ["decrypt", sealed, "-o", tmp_path / "out.png", "--password-file", password_file]
        code = cli.main([str(arg) for arg in argv])
        outcomes.append((code, capsys.readouterr().err))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == DecryptionError.exit_code == 3
    assert not (tmp_path / "out.png").exists()


def test_the_format_1_twin_still_shows_the_oracle(partition):
    """Without the header MAC (format 1, read only with allow_legacy) the same construction tells a
    candidate (the junk body fails to decode) from any other password (authentication fails)."""
    legacy = build(version=1, masters=partition.masters).blob
    with pytest.raises(SecurecompError) as candidate:
        securecomp.decrypt(legacy, password=CANDIDATES[7], allow_legacy=True)
    assert not isinstance(candidate.value, DecryptionError)
    with pytest.raises(DecryptionError, match="authentication failed"):
        securecomp.decrypt(legacy, password=OUTSIDE, allow_legacy=True)


def describe(partition: Partition) -> dict:
    return {
        "description": "container format 2, suite chaos+aes, key_type 2 (password): its one AES-GCM chunk "
                       "authenticates under the master key of each of the 16 candidate passwords; the header MAC "
                       "is made under candidate 0. A format-2 reader must refuse every other password, candidate "
                       "or not, with the same error. Built by tests/salamander.py (partition_container).",
        "passwords": list(partition.passwords),
        "kdf": {"memory_kib": KDF.memory_kib, "iterations": KDF.iterations, "lanes": KDF.lanes, "salt": KDF.salt.hex()},
        "nonce": NONCE.hex(),
        "header_mac_password": partition.mac_password,
        "container": partition.blob.hex(),
    }


if __name__ == "__main__":      # rewrite the vector: a format change only
    VECTOR.write_text(json.dumps(describe(build()), indent=2) + "\n")
    print(f"wrote {VECTOR}")
