"""The basic commands: keygen, encrypt, decrypt, inspect, demo.

Every failure prints ``error: <message>`` and usually ``hint: <what to do>`` to stderr and exits
with a documented code (README.md, "Exit codes"); no traceback, no partial output file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from .. import container
from ..api import decrypt, encrypt
from ..errors import LegacyFormatWarning, UsageError
from ..keys import format_key, generate_key, write_key_file
from ..recipients import format_identity, generate_identity, write_identity_file
from .io import check_output, encode_image, image_format, image_input, is_stdio, read_input, read_secret, write_output
from .options import codec_options, encoding_options, force_option, output_option, secret_options

if TYPE_CHECKING:
    from .options import Subparsers

T = TypeVar("T")

__all__ = ["add_parsers", "run_keygen", "run_encrypt", "run_decrypt", "run_inspect", "run_demo"]

PASSWORD_NOTE = ("Without --key-file, --password-file or a public-key option (--recipient, --identity), "
                 "the password is read from the terminal.")


def add_parsers(commands: Subparsers) -> None:
    _add_keygen(commands)
    _add_encrypt(commands)
    _add_decrypt(commands)
    _add_inspect(commands)
    _add_demo(commands)


def _add_keygen(commands: Subparsers) -> None:
    command = commands.add_parser("keygen", help="create a random key (a one-line key file)")
    command.add_argument("-o", "--output", metavar="FILE", help="write the key to FILE (mode 0600); default: stdout")
    command.add_argument("--x25519", action="store_true",
                         help="create an X25519 identity instead (private, to FILE) and print its recipient "
                              "(public, scpub1...) on stdout")
    command.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    command.set_defaults(run=run_keygen)


def _add_encrypt(commands: Subparsers) -> None:
    parents = [output_option("OUT", "container file; `-` or absent: stdout"), secret_options(encrypting=True),
               codec_options(), encoding_options(), force_option("OUT")]
    command = commands.add_parser("encrypt", help="compress and encrypt an image", description=PASSWORD_NOTE,
                                  parents=parents)
    command.add_argument("input", nargs="?", metavar="INPUT", help="image file; `-` or absent: stdin")
    command.set_defaults(run=run_encrypt)


def _add_decrypt(commands: Subparsers) -> None:
    output = output_option("OUT", "image file, format from its extension (PNG when none); `-` or absent: PNG on stdout")
    command = commands.add_parser("decrypt", help="authenticate, decrypt and decompress a container",
                                  description=PASSWORD_NOTE,
                                  parents=[output, secret_options(encrypting=False), force_option("OUT")])
    command.add_argument("input", nargs="?", metavar="INPUT", help="container file; `-` or absent: stdin")
    command.add_argument("--allow-legacy", action="store_true",
                         help="also open format-1 containers (made before 0.2; not key-committing)")
    command.set_defaults(run=run_decrypt)


def _add_inspect(commands: Subparsers) -> None:
    command = commands.add_parser("inspect", help="show a container's header (no key needed)")
    command.add_argument("input", nargs="?", metavar="FILE", help="container file; `-` or absent: stdin")
    command.add_argument("--json", action="store_true", help="print one JSON object")
    command.set_defaults(run=run_inspect)


def _add_demo(commands: Subparsers) -> None:
    command = commands.add_parser("demo", help="encrypt and decrypt a sample image with a fresh key; print the numbers",
                                  parents=[codec_options()])
    command.set_defaults(run=run_demo)


# --- commands ----------------------------------------------------------------------------------

def run_keygen(args: argparse.Namespace) -> int:
    if args.x25519:
        return _keygen_x25519(args)
    key = generate_key()
    if is_stdio(args.output):
        print(format_key(key))
    else:
        write_key_file(args.output, key, overwrite=args.force)
        print(f"wrote key to {args.output}", file=sys.stderr)
    return 0


def _keygen_x25519(args: argparse.Namespace) -> int:
    identity = generate_identity()
    if is_stdio(args.output):
        print(format_identity(identity))
        print(f"recipient: {identity.recipient}", file=sys.stderr)
    else:
        write_identity_file(args.output, identity, overwrite=args.force)
        print(f"wrote identity to {args.output}; its recipient (public key) is:", file=sys.stderr)
        print(identity.recipient)
    return 0


def run_encrypt(args: argparse.Namespace) -> int:
    check_output(args.output, force=args.force)
    image = image_input(args.input)
    secret = read_secret(args.key_file, args.password_file, confirm=True, recipients=args.recipient,
                         recipients_file=args.recipients_file)
    if args.max_size is not None and args.quality is not None:
        raise UsageError("--max-size picks the quality itself; leave out --quality")
    if args.cipher == "chaos":
        print("warning: with --cipher chaos, confidentiality rests on the chaotic cipher alone, which has had "
              "no public cryptanalysis; use chaos+aes (the default) or aes", file=sys.stderr)
    blob = encrypt(image, quality=args.quality, codec=args.codec, cipher=args.cipher, secret=secret,
                   effort=args.effort, max_bytes=args.max_size, keep_metadata=args.keep_metadata)
    write_output(args.output, blob, force=args.force)
    return 0


def run_decrypt(args: argparse.Namespace) -> int:
    check_output(args.output, force=args.force)
    file_format = image_format(args.output)
    blob = read_input(args.input)
    secret = read_secret(args.key_file, args.password_file, confirm=False, identity_file=args.identity)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LegacyFormatWarning)
        image = decrypt(blob, secret=secret, allow_legacy=args.allow_legacy)
    for warning in caught:
        print(f"note: {warning.message}", file=sys.stderr)
    write_output(args.output, encode_image(image, file_format), force=args.force)
    return 0


def run_inspect(args: argparse.Namespace) -> int:
    blob = read_input(args.input)
    fields = header_fields(blob, container.parse(blob).header)
    if args.json:
        print(json.dumps(fields, indent=2))
    else:
        for name, value in _readable(fields):
            print(f"{name + ':':<11}{value}")
    return 0


def header_fields(blob: bytes, header: container.Header) -> dict[str, Any]:
    info = header.info
    return {"version": blob[len(container.MAGIC)], "suite": header.suite, "key": _key_fields(header),
            "nonce": header.nonce.hex(), "codec": info.codec, "model": info.model, "quality": info.quality,
            "mode": info.mode, "width": info.width, "height": info.height,
            "payload_bytes": header.payload_size, "container_bytes": len(blob),
            "bpp": len(blob) * 8 / (info.width * info.height)}


def _key_fields(header: container.Header) -> dict[str, Any]:
    kdf = header.kdf
    if header.stanzas:
        return {"type": "x25519 recipients", "recipients": len(header.stanzas)}
    if kdf is None:
        return {"type": "raw key"}
    return {"type": "password", "kdf": "argon2id", "memory_kib": kdf.memory_kib,
            "iterations": kdf.iterations, "lanes": kdf.lanes, "salt": kdf.salt.hex()}


def _readable(fields: dict[str, Any]) -> list[tuple[str, Any]]:
    key = fields["key"]
    if key["type"] == "password":
        key_text = f"password (argon2id m={key['memory_kib']} KiB, t={key['iterations']}, p={key['lanes']})"
    elif key["type"] == "x25519 recipients":
        key_text = f"{key['recipients']} X25519 recipient(s)"
    else:
        key_text = key["type"]
    quality = fields["quality"] or "0 (lossless)"
    return [("version", fields["version"]), ("suite", fields["suite"]), ("key", key_text),
            ("nonce", fields["nonce"]), ("codec", fields["codec"]), ("model", fields["model"] or "-"),
            ("quality", quality), ("mode", fields["mode"]), ("size", f"{fields['width']}x{fields['height']}"),
            ("payload", f"{fields['payload_bytes']} bytes"), ("container", f"{fields['container_bytes']} bytes"),
            ("bpp", f"{fields['bpp']:.4f}")]


def run_demo(args: argparse.Namespace) -> int:
    from .._sample import load_sample
    from ..analysis import psnr, ssim
    name, original = load_sample()
    key = generate_key()
    blob, encrypt_seconds = _timed(encrypt, original, key=key, quality=args.quality,
                                   codec=args.codec, cipher=args.cipher)
    restored, decrypt_seconds = _timed(decrypt, blob, key=key)
    decoded = np.asarray(restored.convert("RGB"))
    header = container.parse(blob).header
    quality = psnr(original, decoded), ssim(original, decoded, channel_axis=-1)
    _print_demo(name, header, len(blob), quality, (encrypt_seconds, decrypt_seconds))
    return 0


def _timed(function: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T, float]:
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def _print_demo(name: str, header: container.Header, size: int, quality: tuple[float, float],
                seconds: tuple[float, float]) -> None:
    info = header.info
    codec = info.codec + (f" (model {info.model})" if info.model else "")
    codec += f", quality {info.quality}" if info.quality else ", lossless"
    rows = [("sample", name), ("codec", codec), ("cipher", header.suite),
            ("image", f"{info.width}x{info.height} {info.mode}"),
            ("container", f"{size} bytes, {size * 8 / (info.width * info.height):.4f} bpp"),
            ("PSNR", f"{quality[0]:.2f} dB"), ("SSIM", f"{quality[1]:.4f}"),
            ("encrypt", f"{seconds[0]:.3f} s"), ("decrypt", f"{seconds[1]:.3f} s")]
    for label, value in rows:
        print(f"{label + ':':<11}{value}")
