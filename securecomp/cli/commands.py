"""The basic commands: keygen, encrypt, decrypt, demo (and inspect, from :mod:`.inspect`).

Every failure prints ``error: <message>`` and usually ``hint: <what to do>`` to stderr and exits
with a documented code (README.md, "Exit codes"); no traceback, no partial output file.
"""

from __future__ import annotations

import argparse
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
from . import inspect
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
from .options import (
    codec_options,
    encoding_options,
    force_option,
    integer,
    legacy_option,
    output_option,
    secret_options,
)

if TYPE_CHECKING:
    from .options import Subparsers

T = TypeVar("T")

__all__ = ["add_parsers", "run_keygen", "run_encrypt", "run_decrypt", "run_demo"]

PROGRESS_PIXELS = 4_000_000      # above this, a terminal shows the learned codecs' progress (tile steps)
PASSWORD_NOTE = ("Without --key-file, --password-file or a public-key option (--recipient, --identity), "
                 "the password is read from the terminal.")


def add_parsers(commands: Subparsers) -> None:
    _add_keygen(commands)
    _add_encrypt(commands)
    _add_decrypt(commands)
    inspect.add_parser(commands)
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
                                  parents=[output, secret_options(encrypting=False), force_option("OUT"),
                                           legacy_option()])
    command.add_argument("input", nargs="?", metavar="INPUT", help="container file; `-` or absent: stdin")
    _max_pixels_option(command, f"open images of up to N pixels (default: {DEFAULT_MAX_PIXELS:,}; at most "
                       f"{MAX_PIXELS:,}); checked before any key is derived", default=DEFAULT_MAX_PIXELS)
    command.set_defaults(run=run_decrypt)


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
    """A progress callback for encrypt/decrypt that draws a bar on a terminal, for images above
    PROGRESS_PIXELS; its steps are the learned codecs' tile steps (a tile's analysis, coding
    pass or synthesis); the bar appears at the first step (classical codecs report none) and is
    cleared at the end."""
    if pixels <= PROGRESS_PIXELS or not _stderr_is_terminal():
        yield None
        return
    bars: list[Any] = []

    def update(done: int, total: int) -> None:
        if not bars:
            from tqdm import tqdm

            bars.append(tqdm(total=total, unit="step", desc=what, leave=False, file=sys.stderr))
        bar = bars[0]
        if bar.total != total or done < bar.n:         # a new pass (--max-size tries several qualities)
            bar.reset(total=total)
        bar.update(done - bar.n)
        bar.refresh()       # a step can take seconds: show each one, whatever tqdm's rate limit

    try:
        yield update
    finally:
        for bar in bars:
            bar.close()


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
