"""The `securecomp` command: keygen, encrypt, decrypt, inspect, demo.

Every failure prints ``error: <message>`` and usually ``hint: <what to do>`` to stderr and exits
with a documented code (README.md, "Exit codes"); no traceback, no partial output file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback

import numpy as np

from . import __version__, container
from .api import decrypt, encrypt
from ._cli_io import (UsageError, check_output, encode_image, image_format,
                      image_input, is_stdio, read_input, read_secret, report, report_os_error, write_output)
from .codec import codec_ids
from .codec.bitstream import DEFAULT_CODEC, DEFAULT_QUALITY
from .codec.info import MAX_QUALITY
from .errors import SecurecompError
from .keys import format_key, generate_key, write_key_file
from .recipients import format_identity, generate_identity, write_identity_file
from .suites import DEFAULT_SUITE, SUITES

__all__ = ["main"]

SUITE_CHOICES = tuple(SUITES)
INTERRUPTED = 130
DEBUG_VARIABLE = "SECURECOMP_TRACEBACK"
PASSWORD_NOTE = ("Without --key-file, --password-file or a public-key option (--recipient, --identity), "
                 "the password is read from the terminal.")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 on success)."""
    try:
        args = build_parser().parse_args(argv)
        return args.run(args) or 0
    except SystemExit as exc:        # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except SecurecompError as exc:
        report(str(exc), exc.hint)
        return exc.exit_code
    except OSError as exc:
        return report_os_error(exc)
    except KeyboardInterrupt:
        report("interrupted")
        return INTERRUPTED
    except Exception as exc:        # a bug: still no traceback unless asked for
        return _report_bug(exc)


def _report_bug(exc: Exception) -> int:
    if os.environ.get(DEBUG_VARIABLE):
        traceback.print_exc()
    report(f"unexpected {type(exc).__name__}: {exc}",
           f"this is a bug in securecomp; set {DEBUG_VARIABLE}=1 to see the traceback and report it")
    return 1


# --- parser ------------------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """argparse that fails with ``error:``/``hint:`` lines (exit 2) instead of printing usage."""

    def error(self, message: str):
        raise UsageError(message, hint=f"see `{self.prog} --help`")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="securecomp", description="Compress images, then encrypt them in an "
                     "authenticated container (AES-256-GCM, optionally with a chaotic cipher layer).")
    parser.add_argument("--version", action="version", version=f"securecomp {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    _add_keygen(commands)
    _add_encrypt(commands)
    _add_decrypt(commands)
    _add_inspect(commands)
    _add_demo(commands)
    from . import batch_cli         # late: batch_cli reuses this module's option helpers
    batch_cli.add_parser(commands)
    from .codec import bench, train_cli
    train_cli.add_parser(commands)
    bench.add_parser(commands)
    from .analysis import cli_report
    cli_report.add_parser(commands)
    return parser


def _add_keygen(commands) -> None:
    command = commands.add_parser("keygen", help="create a random key (a one-line key file)")
    command.add_argument("-o", "--output", metavar="FILE", help="write the key to FILE (mode 0600); default: stdout")
    command.add_argument("--x25519", action="store_true",
                         help="create an X25519 identity instead (private, to FILE) and print its recipient "
                              "(public, scpub1...) on stdout")
    command.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    command.set_defaults(run=run_keygen)


def _add_encrypt(commands) -> None:
    command = commands.add_parser("encrypt", help="compress and encrypt an image", description=PASSWORD_NOTE)
    command.add_argument("input", nargs="?", metavar="INPUT", help="image file; `-` or absent: stdin")
    command.add_argument("-o", "--output", metavar="OUT", help="container file; `-` or absent: stdout")
    _add_secret_options(command, encrypting=True)
    _add_codec_options(command)
    command.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    command.set_defaults(run=run_encrypt)


def _add_decrypt(commands) -> None:
    command = commands.add_parser("decrypt", help="authenticate, decrypt and decompress a container",
                                  description=PASSWORD_NOTE)
    command.add_argument("input", nargs="?", metavar="INPUT", help="container file; `-` or absent: stdin")
    command.add_argument("-o", "--output", metavar="OUT",
                         help="image file, format from its extension (PNG when none); `-` or absent: PNG on stdout")
    _add_secret_options(command, encrypting=False)
    command.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    command.set_defaults(run=run_decrypt)


def _add_inspect(commands) -> None:
    command = commands.add_parser("inspect", help="show a container's header (no key needed)")
    command.add_argument("input", nargs="?", metavar="FILE", help="container file; `-` or absent: stdin")
    command.add_argument("--json", action="store_true", help="print one JSON object")
    command.set_defaults(run=run_inspect)


def _add_demo(commands) -> None:
    command = commands.add_parser("demo", help="encrypt and decrypt a sample image with a fresh key; print the numbers")
    _add_codec_options(command)
    command.set_defaults(run=run_demo)


def _add_secret_options(command, *, encrypting: bool) -> None:
    secret = command.add_mutually_exclusive_group()
    secret.add_argument("--key-file", metavar="K", help="key file made by `securecomp keygen`")
    secret.add_argument("--password-file", metavar="F", help="read the password from the first line of F")
    if not encrypting:
        secret.add_argument("-i", "--identity", metavar="FILE", help="identity file made by `securecomp keygen --x25519`")
        return
    command.add_argument("-r", "--recipient", action="append", metavar="R",
                         help="encrypt to the public key R (scpub1...); repeatable, up to 32")
    command.add_argument("-R", "--recipients-file", metavar="F", help="encrypt to the recipients in F, one per line")


def _add_codec_options(command) -> None:
    command.add_argument("--codec", metavar="ID", help=f"image codec: {_codec_list()}")
    command.add_argument("--quality", type=_quality, metavar="1..8",
                         help=f"quality level of lossy codecs, 8 is best (default: {DEFAULT_QUALITY})")
    command.add_argument("--cipher", choices=SUITE_CHOICES, default=DEFAULT_SUITE,
                         help=f"cipher suite (default: {DEFAULT_SUITE})")


def _codec_list() -> str:
    return f"{', '.join(codec_ids())} (default: {DEFAULT_CODEC}; png for 16-bit images)"


def _quality(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_QUALITY:
        raise argparse.ArgumentTypeError(f"quality must be an integer from 1 to {MAX_QUALITY}, not {text!r}")
    return int(text)


# --- commands ----------------------------------------------------------------------------------

def run_keygen(args) -> int:
    if args.x25519:
        return _keygen_x25519(args)
    key = generate_key()
    if is_stdio(args.output):
        print(format_key(key))
    else:
        write_key_file(args.output, key, overwrite=args.force)
        print(f"wrote key to {args.output}", file=sys.stderr)
    return 0


def _keygen_x25519(args) -> int:
    identity = generate_identity()
    if is_stdio(args.output):
        print(format_identity(identity))
        print(f"recipient: {identity.recipient}", file=sys.stderr)
    else:
        write_identity_file(args.output, identity, overwrite=args.force)
        print(f"wrote identity to {args.output}; its recipient (public key) is:", file=sys.stderr)
        print(identity.recipient)
    return 0


def run_encrypt(args) -> int:
    check_output(args.output, force=args.force)
    image = image_input(args.input)
    secret = read_secret(args.key_file, args.password_file, confirm=True, recipients=args.recipient,
                         recipients_file=args.recipients_file)
    blob = encrypt(image, quality=args.quality, codec=args.codec, cipher=args.cipher, **secret)
    write_output(args.output, blob, force=args.force)
    return 0


def run_decrypt(args) -> int:
    check_output(args.output, force=args.force)
    file_format = image_format(args.output)
    blob = read_input(args.input)
    secret = read_secret(args.key_file, args.password_file, confirm=False, identity_file=args.identity)
    image = decrypt(blob, **secret)
    write_output(args.output, encode_image(image, file_format), force=args.force)
    return 0


def run_inspect(args) -> int:
    blob = read_input(args.input)
    fields = header_fields(blob, container.parse(blob).header)
    if args.json:
        print(json.dumps(fields, indent=2))
    else:
        for name, value in _readable(fields):
            print(f"{name + ':':<11}{value}")
    return 0


def header_fields(blob: bytes, header: container.Header) -> dict:
    info = header.info
    return {"version": blob[len(container.MAGIC)], "suite": header.suite, "key": _key_fields(header),
            "nonce": header.nonce.hex(), "codec": info.codec, "model": info.model, "quality": info.quality,
            "mode": info.mode, "width": info.width, "height": info.height,
            "payload_bytes": header.payload_size, "container_bytes": len(blob),
            "bpp": len(blob) * 8 / (info.width * info.height)}


def _key_fields(header: container.Header) -> dict:
    kdf = header.kdf
    if header.stanzas:
        return {"type": "x25519 recipients", "recipients": len(header.stanzas)}
    if kdf is None:
        return {"type": "raw key"}
    return {"type": "password", "kdf": "argon2id", "memory_kib": kdf.memory_kib,
            "iterations": kdf.iterations, "lanes": kdf.lanes, "salt": kdf.salt.hex()}


def _readable(fields: dict) -> list[tuple[str, str]]:
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


def run_demo(args) -> int:
    from ._sample import load_sample
    from .analysis import psnr, ssim
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


def _timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def _print_demo(name: str, header, size: int, quality: tuple[float, float], seconds: tuple[float, float]) -> None:
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


if __name__ == "__main__":
    sys.exit(main())
