"""X25519 recipients (key_type 3): round trips, strict parsing, identity files, recipient strings,
and the `keygen --x25519` / `encrypt --recipient` / `decrypt --identity` command line."""

from __future__ import annotations

import stat

import numpy as np
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from PIL import Image

import securecomp
from securecomp import _bech32, cli, container
from securecomp.errors import DecryptionError, FormatError, KeyFileError, ParameterError
from securecomp.keys import write_key_file
from securecomp.recipients import (
    Identity,
    Recipient,
    _wrap_to,
    format_identity,
    generate_identity,
    parse_identity,
    parse_recipient,
    read_identity_file,
    write_identity_file,
)

KEY = bytes(range(32))
IDENTITIES = [generate_identity() for _ in range(3)]


def _image(seed=0, size=(9, 7)):
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, size[::-1] + (3,), dtype=np.uint8))


def _sealed(count=2, suite="chaos+aes"):
    return securecomp.encrypt(_image(), recipients=[str(i.recipient) for i in IDENTITIES[:count]],
                              codec="png", cipher=suite)


# --- round trips and secrets -------------------------------------------------------------------

@pytest.mark.parametrize("suite", ["chaos+aes", "aes", "chaos"])
def test_every_recipient_decrypts_to_identical_pixels(suite):
    blob = _sealed(3, suite)
    for identity in IDENTITIES:
        assert np.array_equal(np.asarray(securecomp.decrypt(blob, identity=identity)), np.asarray(_image()))
    assert np.array_equal(np.asarray(securecomp.decrypt(blob, identity=format_identity(IDENTITIES[2]))),
                          np.asarray(_image()))


def test_an_identity_that_is_no_recipient_raises_decryption_error_with_a_hint():
    with pytest.raises(DecryptionError, match="not among the container's recipients") as caught:
        securecomp.decrypt(_sealed(2), identity=IDENTITIES[2])
    assert "--recipient" in caught.value.hint


def test_the_wrong_kind_of_secret_raises_decryption_error_naming_the_right_one():
    with pytest.raises(DecryptionError, match="public-key recipients") as caught:
        securecomp.decrypt(_sealed(1), key=KEY)
    assert "--identity" in caught.value.hint
    with pytest.raises(DecryptionError, match="with a key"):
        securecomp.decrypt(securecomp.encrypt(_image(), key=KEY, codec="png"), identity=IDENTITIES[0])


@pytest.mark.parametrize("secrets", [{}, {"key": KEY, "recipients": ["x"]}, {"password": "pw", "recipients": ["x"]},
                                     {"recipients": []}, {"recipients": "scpub1abc"}])
def test_encrypt_takes_exactly_one_secret_and_a_nonempty_recipient_list(secrets):
    with pytest.raises(ParameterError):
        securecomp.encrypt(_image(), codec="png", **secrets)


def test_decrypt_takes_exactly_one_of_key_password_identity():
    blob = _sealed(1)
    for secrets in ({}, {"key": KEY, "identity": IDENTITIES[0]}, {"password": "pw", "identity": IDENTITIES[0]},
                    {"identity": 42}):
        with pytest.raises(ParameterError):
            securecomp.decrypt(blob, **secrets)


def test_duplicate_recipients_are_written_once_and_more_than_32_are_refused():
    recipient = str(IDENTITIES[0].recipient)
    blob = securecomp.encrypt(_image(), recipients=[recipient, IDENTITIES[0].recipient, recipient], codec="png")
    assert len(container.parse(blob).header.stanzas) == 1
    many = [str(generate_identity().recipient) for _ in range(33)]
    with pytest.raises(ParameterError, match="33 recipients"):
        securecomp.encrypt(_image(), recipients=many, codec="png")
    assert len(container.parse(securecomp.encrypt(_image(), recipients=many[:32], codec="png")).header.stanzas) == 32


def test_two_encryptions_to_one_recipient_share_no_ephemeral_key_or_wrapped_key():
    a, b = (container.parse(_sealed(1)).header.stanzas[0] for _ in range(2))
    assert a.ephemeral != b.ephemeral and a.wrapped != b.wrapped


def test_stanza_matches_rfc7748_x25519_and_the_specified_hkdf_and_aead():
    alice = Identity._from_bytes(bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
    bob = Identity._from_bytes(bytes.fromhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"))
    assert alice.recipient.public_bytes.hex() == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
    shared = bytes.fromhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")   # RFC 7748 §6.1
    stanza = _wrap_to(KEY, alice.recipient, bob._private)
    assert stanza.ephemeral == bob.recipient.public_bytes
    wrap_key = HKDF(hashes.SHA256(), 32, stanza.ephemeral + alice.recipient.public_bytes,
                    b"securecomp/v1/x25519").derive(shared)
    assert ChaCha20Poly1305(wrap_key).decrypt(bytes(12), stanza.wrapped, None) == KEY
    assert alice.unwrap([stanza]) == KEY


# --- strict parsing ------------------------------------------------------------------------------

STANZAS_AT = len(container.MAGIC) + 3 + 16      # magic, version, suite, key_type, nonce


def _patched(blob: bytes, offset: int, data: bytes) -> bytes:
    return blob[:offset] + data + blob[offset + len(data):]


LOW_ORDER_POINT = bytes.fromhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")


@pytest.mark.parametrize("change,message", [
    (lambda b: _patched(b, STANZAS_AT, b"\x00"), "recipient count 0"),
    (lambda b: _patched(b, STANZAS_AT, b"\x21"), "recipient count 33"),
    (lambda b: _patched(b, STANZAS_AT + 1 + 31, bytes([b[STANZAS_AT + 32] | 0x80])), "not a canonical"),
    (lambda b: _patched(b, STANZAS_AT + 1, (2**255 - 19).to_bytes(32, "little")), "not a canonical"),
    (lambda b: _patched(b, STANZAS_AT + 1, LOW_ORDER_POINT), "low-order"),
    (lambda b: _patched(b, STANZAS_AT + 81, b[STANZAS_AT + 1: STANZAS_AT + 33]), "share one ephemeral key"),
    (lambda b: _patched(b, STANZAS_AT - 17, b"\x04"), "unknown key type code 4"),
])
def test_malformed_recipient_headers_raise_format_error_before_any_key_work(change, message, monkeypatch):
    def no_key_work(*args):
        raise AssertionError("an X25519 operation ran before the header was checked")
    monkeypatch.setattr(Identity, "unwrap", no_key_work)
    damaged = change(_sealed(2))
    with pytest.raises(FormatError, match=message):
        securecomp.decrypt(damaged, identity=IDENTITIES[0])


def test_flipping_any_header_byte_or_stanza_of_another_recipient_raises_typed_errors():
    blob = _sealed(2, "aes")
    header_size = len(container.parse(blob).header_bytes)
    for position in range(header_size + 20):
        damaged = bytearray(blob)
        damaged[position] ^= 0x01
        with pytest.raises((DecryptionError, FormatError)):
            securecomp.decrypt(bytes(damaged), identity=IDENTITIES[0])
    other = _patched(blob, STANZAS_AT + 81 + 40, bytes([blob[STANZAS_AT + 81 + 40] ^ 0x01]))
    with pytest.raises(DecryptionError, match="authentication failed"):
        securecomp.decrypt(other, identity=IDENTITIES[0])      # its own stanza opens; the tag does not


def test_truncating_a_recipient_container_anywhere_raises_typed_errors():
    blob = _sealed(2)
    for length in range(len(blob)):
        with pytest.raises((DecryptionError, FormatError)):
            securecomp.decrypt(blob[:length], identity=IDENTITIES[1])


# --- recipient strings and identity files -------------------------------------------------------

def test_recipient_strings_round_trip_and_are_64_lowercase_characters():
    text = str(IDENTITIES[0].recipient)
    assert text.startswith("scpub1") and len(text) == 64 and text == text.lower()
    assert parse_recipient(text) == IDENTITIES[0].recipient == parse_recipient(text.upper())


def _bad_recipients():
    text = str(IDENTITIES[0].recipient)
    swapped = text[:20] + ("q" if text[20] != "q" else "p") + text[21:]
    return {"typo": swapped, "mixed-case": text[:10] + text[10:].upper(), "wrong-prefix": "scpux" + text[5:],
            "short": _bech32.encode("scpub", bytes(30) + b"\x09"), "long": _bech32.encode("scpub", bytes(33)),
            "low-order": _bech32.encode("scpub", LOW_ORDER_POINT), "empty": "", "bad-alphabet": text[:-1] + "b"}


@pytest.mark.parametrize("name", list(_bad_recipients()))
def test_malformed_recipient_strings_raise_parameter_error_with_a_hint(name):
    with pytest.raises(ParameterError) as caught:
        parse_recipient(_bad_recipients()[name])
    assert "scpub1" in caught.value.hint


def test_bech32_refuses_noncanonical_padding():
    words = [_bech32.CHARSET.index(c) for c in str(IDENTITIES[0].recipient)[6:-6]]
    words[-1] |= 1                                   # a set padding bit
    data = "".join(_bech32.CHARSET[w] for w in words)
    body = [_bech32.CHARSET.index(c) for c in data]
    check = _bech32._polymod(_bech32._expand("scpub") + body + [0] * 6) ^ 1
    text = "scpub1" + data + "".join(_bech32.CHARSET[check >> 5 * (5 - i) & 31] for i in range(6))
    with pytest.raises(ParameterError, match="padding"):
        parse_recipient(text)


def test_identity_file_is_one_line_mode_0600_and_round_trips(tmp_path):
    path = tmp_path / "id.key"
    write_identity_file(path, IDENTITIES[0])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = path.read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith("securecomp-identity-v1:")
    assert read_identity_file(path).recipient == IDENTITIES[0].recipient
    assert lines[0] not in repr(IDENTITIES[0]) and lines[0].split(":")[1] not in repr(IDENTITIES[0])


def test_damaged_or_foreign_identity_files_raise_key_file_error(tmp_path):
    line = format_identity(IDENTITIES[0])
    body = line.split(":")[1]
    typo = line.replace(body, body[:5] + ("A" if body[5] != "A" else "B") + body[6:])
    key_file = tmp_path / "secret.key"
    write_key_file(key_file, KEY)
    for text in (typo, line.replace("-v1", "-v2"), line[:-1], line.replace(":", ";")):
        with pytest.raises(KeyFileError):
            parse_identity(text)
    with pytest.raises(KeyFileError, match="this is a securecomp key file") as caught:
        read_identity_file(key_file)
    assert "--key-file" in caught.value.hint


# --- command line --------------------------------------------------------------------------------

def _run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "photo.png"
    _image(7, (20, 12)).save(path)
    return path


def test_cli_keygen_encrypt_to_two_recipients_and_decrypt_with_each_identity(tmp_path, photo, capsys):
    recipients = []
    for name in ("alice.key", "bob.key"):
        code, out, err = _run(capsys, "keygen", "--x25519", "-o", tmp_path / name)
        assert code == 0 and "wrote identity" in err
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
        recipients.append(out.strip())
        assert parse_recipient(out.strip()) == read_identity_file(tmp_path / name).recipient
    sealed = tmp_path / "photo.sc"
    assert _run(capsys, "encrypt", photo, "-o", sealed, "-r", recipients[0], "--recipient", recipients[1],
                "--codec", "png")[0] == 0
    for name in ("alice.key", "bob.key"):
        out_path = tmp_path / f"{name}.png"
        assert _run(capsys, "decrypt", sealed, "-o", out_path, "--identity", tmp_path / name)[0] == 0
        assert np.array_equal(np.asarray(Image.open(out_path)), np.asarray(Image.open(photo)))
    code, out, _ = _run(capsys, "inspect", sealed)
    assert code == 0 and "2 X25519 recipient(s)" in out


def test_cli_recipients_file_and_the_errors_of_a_stranger_and_of_mixed_secrets(tmp_path, photo, capsys):
    listing = tmp_path / "team.txt"
    listing.write_text(f"# the team\n\n{IDENTITIES[0].recipient}\n  {IDENTITIES[1].recipient}  \n")
    sealed, stranger = tmp_path / "photo.sc", tmp_path / "stranger.key"
    write_identity_file(stranger, IDENTITIES[2])
    assert _run(capsys, "encrypt", photo, "-o", sealed, "-R", listing, "--codec", "png")[0] == 0
    code, _, err = _run(capsys, "decrypt", sealed, "-o", tmp_path / "x.png", "-i", stranger)
    assert code == 3 and "not among" in err and "hint:" in err and not (tmp_path / "x.png").exists()
    listing.write_text("scpub1notarecipient\n")
    code, _, err = _run(capsys, "encrypt", photo, "-o", tmp_path / "y.sc", "-R", listing)
    assert code == 2 and "line 1" in err and not (tmp_path / "y.sc").exists()
    key_file = tmp_path / "k"
    write_key_file(key_file, KEY)
    code, _, err = _run(capsys, "encrypt", photo, "-o", tmp_path / "z.sc", "-r", str(IDENTITIES[0].recipient),
                        "--key-file", key_file)
    assert code == 2 and "cannot be combined" in err


def test_cli_keygen_x25519_without_output_prints_identity_and_recipient(capsys):
    code, out, err = _run(capsys, "keygen", "--x25519")
    assert code == 0
    identity = parse_identity(out)
    assert err.strip() == f"recipient: {identity.recipient}"
    assert isinstance(identity.recipient, Recipient)
