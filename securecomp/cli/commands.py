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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from PIL import Image

from .. import container, metadata
from ..api import decrypt, encrypt
from ..codec.info import DEFAULT_MAX_PIXELS, MAX_PIXELS
from ..codec.registry import check_codec_choice
from ..errors import DecodeLimitError, FormatError, LegacyFormatWarning, UnsupportedImageError, UsageError
from ..images import pillow_pixel_limit
from ..keys import format_key, generate_key, write_key_file
from ..recipients import format_identity, generate_identity, write_identity_file
from .io import (
    check_output,
    encode_image,
    image_format,
    image_input,
    is_stdio,
    lossy_output_warning,
    print_warning,
    read_container,
    read_secret,
    reported_warnings,
    write_output,
    writing,
)
from .options import codec_options, encoding_options, force_option, integer, output_option, secret_options

if TYPE_CHECKING:
    from .options import Subparsers

T = TypeVar("T")

__all__ = ["add_parsers", "run_keygen", "run_encrypt", "run_decrypt", "run_inspect", "run_demo"]

PROGRESS_PIXELS = 4_000_000      # above this, a terminal shows the learned codecs' progress (tiles)
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
    command.add_argument("--first-frame", action="store_true",
                         help="of an animated or multi-page image, encrypt the first frame (otherwise refused)")
    _max_pixels_option(command, "read image files of up to N pixels (default: Pillow's decompression-bomb "
                       f"limit, {_pillow_limit()}; at most {MAX_PIXELS:,})", default=None)
    command.set_defaults(run=run_encrypt)


def _max_pixels_option(command: argparse.ArgumentParser, help: str, default: int | None) -> None:
    command.add_argument("--max-pixels", metavar="N", default=default, help=help,
                         type=integer(1, MAX_PIXELS, message=f"--max-pixels takes a whole number from 1 to {MAX_PIXELS}"
                                      ", not {text!r}"))


def _pillow_limit() -> str:
    limit = pillow_pixel_limit()
    return "none" if limit is None else f"{limit:,}"


def _add_decrypt(commands: Subparsers) -> None:
    output = output_option("OUT", "image file, format from its extension (PNG when none); `-` or absent: PNG on stdout")
    command = commands.add_parser("decrypt", help="authenticate, decrypt and decompress a container",
                                  description=PASSWORD_NOTE,
                                  parents=[output, secret_options(encrypting=False), force_option("OUT")])
    command.add_argument("input", nargs="?", metavar="INPUT", help="container file; `-` or absent: stdin")
    command.add_argument("--allow-legacy", action="store_true",
                         help="also open format-1 containers (made before 0.2; not key-committing)")
    _max_pixels_option(command, f"open images of up to N pixels (default: {DEFAULT_MAX_PIXELS:,}; at most "
                       f"{MAX_PIXELS:,}); checked before any key is derived", default=DEFAULT_MAX_PIXELS)
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
        with writing(args.output):
            write_key_file(args.output, key, overwrite=args.force)
        print(f"wrote key to {args.output}", file=sys.stderr)
    return 0


def _keygen_x25519(args: argparse.Namespace) -> int:
    identity = generate_identity()
    if is_stdio(args.output):
        print(format_identity(identity))
        print(f"recipient: {identity.recipient}", file=sys.stderr)
    else:
        with writing(args.output):
            write_identity_file(args.output, identity, overwrite=args.force)
        print(f"wrote identity to {args.output}; its recipient (public key) is:", file=sys.stderr)
        print(identity.recipient)
    return 0


def run_encrypt(args: argparse.Namespace) -> int:
    check_output(args.output, force=args.force)
    check_codec_choice(args.codec)
    if args.max_size is not None and args.quality is not None:
        raise UsageError("--max-size picks the quality itself; leave out --quality")
    _allow_pixels(args.max_pixels)
    image = _read_image(args)
    left_out = metadata.dropped(image, keep_metadata=args.keep_metadata)
    if left_out:
        print(f"note: the image's {' and '.join(name.upper() for name in left_out)} metadata (camera, time, "
              "place) is left out; --keep-metadata carries it, encrypted", file=sys.stderr)
    secret = read_secret(args.key_file, args.password_file, confirm=True, recipients=args.recipient,
                         recipients_file=args.recipients_file)
    if args.cipher == "chaos":
        print("warning: with --cipher chaos, confidentiality rests on the chaotic cipher alone, which has had "
              "no public cryptanalysis; use chaos+aes (the default) or aes", file=sys.stderr)
    pixels = image.width * image.height
    with reported_warnings(), _progress_bar(pixels, "encrypt") as progress:
        blob = encrypt(image, quality=args.quality, codec=args.codec, cipher=args.cipher, secret=secret,
                       effort=args.effort, max_bytes=args.max_size, keep_metadata=args.keep_metadata,
                       progress=progress)
    if pixels > DEFAULT_MAX_PIXELS:
        print_warning(f"the image has {pixels:,} pixels, more than decrypt opens by default "
                      f"({DEFAULT_MAX_PIXELS:,}); decrypt it with --max-pixels {pixels}")
    write_output(args.output, blob, force=args.force)
    return 0


def _read_image(args: argparse.Namespace) -> Image.Image:
    """The input image; conversions (CMYK, the first of several frames) each say so on one line."""
    try:
        with reported_warnings():
            return image_input(args.input, first_frame=args.first_frame)
    except UnsupportedImageError as exc:
        if isinstance(exc.__cause__, Image.DecompressionBombError):
            exc.hint = (f"image files above {_pillow_limit()} pixels are refused as possible decompression bombs; "
                        f"if you trust the file, pass --max-pixels N (at most {MAX_PIXELS:,})")
        raise


def _allow_pixels(max_pixels: int | None) -> None:
    """Let Pillow open and decode images of ``max_pixels`` (it refuses above 2 * MAX_IMAGE_PIXELS)."""
    limit = Image.MAX_IMAGE_PIXELS
    if max_pixels is not None and limit is not None and max_pixels > 2 * limit:
        Image.MAX_IMAGE_PIXELS = (max_pixels + 1) // 2


def run_decrypt(args: argparse.Namespace) -> int:
    check_output(args.output, force=args.force)
    file_format = image_format(args.output)
    blob = read_container(args.input)
    secret = read_secret(args.key_file, args.password_file, confirm=False, identity_file=args.identity)
    _allow_pixels(args.max_pixels)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LegacyFormatWarning)
        try:
            with _progress_bar(_declared_pixels(blob), "decrypt") as progress:
                image = decrypt(blob, secret=secret, allow_legacy=args.allow_legacy, max_pixels=args.max_pixels,
                                progress=progress)
        except DecodeLimitError as exc:
            info = container.parse(blob).header.info        # parsed already: the limit is checked after
            exc.hint = (f"if you trust the input, pass --max-pixels {info.width * info.height} "
                        f"(at most {MAX_PIXELS:,}, the format's limit)")
            raise
    for warning in caught:
        print(f"note: {warning.message}", file=sys.stderr)
    lossy = lossy_output_warning(args.output, file_format)
    if lossy:
        print_warning(lossy)
    write_output(args.output, encode_image(image, file_format), force=args.force)
    return 0


def _declared_pixels(blob: bytes) -> int:
    try:
        info = container.parse(blob).header.info
    except FormatError:
        return 0                # decrypt says what is wrong
    return info.width * info.height


def _stderr_is_terminal() -> bool:
    return sys.stderr is not None and sys.stderr.isatty()


@contextmanager
def _progress_bar(pixels: int, what: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress callback for encrypt/decrypt that draws a tile bar on a terminal, for images above
    PROGRESS_PIXELS; the bar appears at the first tile (classical codecs report none) and is
    cleared at the end."""
    if pixels <= PROGRESS_PIXELS or not _stderr_is_terminal():
        yield None
        return
    bars: list[Any] = []

    def update(done: int, total: int) -> None:
        if not bars:
            from tqdm import tqdm

            bars.append(tqdm(total=total, unit="tile", desc=what, leave=False, file=sys.stderr))
        bar = bars[0]
        if bar.total != total or done < bar.n:         # a new pass (--max-size tries several qualities)
            bar.reset(total=total)
        bar.update(done - bar.n)
        bar.refresh()       # a tile takes seconds: show each one, whatever tqdm's rate limit

    try:
        yield update
    finally:
        for bar in bars:
            bar.close()


def run_inspect(args: argparse.Namespace) -> int:
    blob = read_container(args.input)
    try:
        header = container.parse(blob).header
    except FormatError as exc:
        return _inspect_damaged(args, blob, exc)
    _print_fields(header_fields(blob, header), json_output=args.json)
    return 0


def _print_fields(fields: dict[str, Any], *, json_output: bool) -> None:
    if json_output:
        print(json.dumps(fields, indent=2))
    else:
        for name, value in _readable(fields):
            print(f"{name + ':':<11}{value}")
    sys.stdout.flush()


def _inspect_damaged(args: argparse.Namespace, blob: bytes, error: FormatError) -> int:
    """A container parse() refuses: print what its header still tells, then fail (exit 4)."""
    partial = container.read_partial(blob)
    if not partial.fields or not partial.problem:
        raise error
    fields = partial_fields(partial)
    _print_fields(fields, json_output=args.json)
    name = "stdin" if is_stdio(args.input) else args.input
    what = "the fields above are all that its header still tells"
    if partial.truncated:
        raise FormatError(f"{name}: {partial.problem}; {what}",
                          hint="the file was cut short (an interrupted copy or download?); decrypt refuses it: "
                               "get the whole file again from its source")
    raise FormatError(f"{name}: {partial.problem}; {what}",
                      hint="the file was damaged after it was written; decrypt refuses it: restore it from a copy")


def header_fields(blob: bytes, header: container.Header) -> dict[str, Any]:
    info = header.info
    return {"version": blob[len(container.MAGIC)], "suite": header.suite, "key": _key_fields(header),
            "nonce": header.nonce.hex(), "codec": info.codec, "model": info.model, "quality": info.quality,
            "mode": info.mode, "width": info.width, "height": info.height,
            "payload_bytes": header.payload_size, "container_bytes": len(blob),
            "bpp": len(blob) * 8 / (info.width * info.height)}


def partial_fields(partial: container.PartialHeader) -> dict[str, Any]:
    """What :func:`header_fields` gives, for the fields a damaged container's header still holds, and
    ``problem``, ``truncated`` and (when the header tells it) ``expected_bytes``."""
    read = partial.fields
    fields: dict[str, Any] = {name: read[name] for name in ("version", "suite") if name in read}
    if "key_type" in read:
        fields["key"] = _key_fields_of(read["key_type"], read.get("kdf"), read.get("recipients"))
    if "nonce" in read:
        fields["nonce"] = read["nonce"].hex()
    fields.update({name: read[name] for name in ("codec", "model", "quality", "mode", "width", "height")
                   if name in read})
    if "payload_size" in read:
        fields["payload_bytes"] = read["payload_size"]
    fields["container_bytes"] = partial.size
    if partial.expected_size is not None:
        fields["expected_bytes"] = partial.expected_size
    fields.update(truncated=partial.truncated, problem=partial.problem)
    return fields


def _key_fields(header: container.Header) -> dict[str, Any]:
    return _key_fields_of(header.key_type, header.kdf, len(header.stanzas))


def _key_fields_of(key_type: int, kdf: Any, recipients: int | None) -> dict[str, Any]:
    if key_type == container.KEY_RECIPIENTS:
        return {"type": "x25519 recipients"} | ({"recipients": recipients} if recipients else {})
    if key_type == container.KDF_KEY:
        return {"type": "raw key"}
    if kdf is None:
        return {"type": "password"}
    return {"type": "password", "kdf": "argon2id", "memory_kib": kdf.memory_kib,
            "iterations": kdf.iterations, "lanes": kdf.lanes, "salt": kdf.salt.hex()}


def _key_text(key: dict[str, Any]) -> str:
    if key["type"] == "password" and "kdf" in key:
        return f"password (argon2id m={key['memory_kib']} KiB, t={key['iterations']}, p={key['lanes']})"
    if key["type"] == "x25519 recipients":
        return f"{key.get('recipients', '?')} X25519 recipient(s)"
    return str(key["type"])


def _readable(fields: dict[str, Any]) -> list[tuple[str, Any]]:
    """The rows ``inspect`` prints, for the fields there are (a damaged container has fewer)."""
    rows: list[tuple[str, Any]] = [(name, fields[name]) for name in ("version", "suite") if name in fields]
    if "key" in fields:
        rows.append(("key", _key_text(fields["key"])))
    rows += [(name, fields[name]) for name in ("nonce", "codec") if name in fields]
    if "model" in fields:
        rows.append(("model", fields["model"] or "-"))
    if "quality" in fields:
        rows.append(("quality", fields["quality"] or "0 (lossless)"))
    if "mode" in fields:
        rows.append(("mode", fields["mode"]))
    if "width" in fields:
        rows.append(("size", f"{fields['width']}x{fields['height']}"))
    if "payload_bytes" in fields:
        rows.append(("payload", f"{fields['payload_bytes']} bytes"))
    container_text = f"{fields['container_bytes']} bytes"
    if "problem" in fields:
        expected = f" of {fields['expected_bytes']}" if "expected_bytes" in fields else ""
        container_text = (f"{fields['container_bytes']}{expected} bytes, "
                          f"{'TRUNCATED' if fields['truncated'] else 'DAMAGED'}")
    rows.append(("container", container_text))
    if "bpp" in fields:
        rows.append(("bpp", f"{fields['bpp']:.4f}"))
    return rows


def run_demo(args: argparse.Namespace) -> int:
    check_codec_choice(args.codec)
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
