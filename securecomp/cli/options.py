"""Options shared by several commands, as argparse parent parsers, and the one set of validators.

Each ``*_options`` function returns a fresh parent parser (``add_help=False``) for
``commands.add_parser(..., parents=[...])``: the secret options (key file, password file, public
keys), the codec options (codec, quality, cipher suite), output and ``--force``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..codec.bitstream import DEFAULT_CODEC, DEFAULT_QUALITY
from ..codec.info import MAX_QUALITY
from ..suites import DEFAULT_SUITE, SUITES

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[Any]        # what add_subparsers() returns

__all__ = ["integer", "quality", "byte_size", "positive", "at_least", "fraction_below_half", "secret_options",
           "codec_options", "encoding_options", "output_option", "force_option"]

SUITE_CHOICES = tuple(SUITES)


# --- validators (argparse ``type=``) ------------------------------------------------------------

def integer(smallest: int, largest: int | None = None, *, message: str) -> Callable[[str], int]:
    """A ``type=`` for whole numbers in ``smallest..largest``; ``message`` is formatted with ``text``."""
    def parse(text: str) -> int:
        if not text.isdigit() or int(text) < smallest or (largest is not None and int(text) > largest):
            raise argparse.ArgumentTypeError(message.format(text=text))
        return int(text)
    return parse


def quality(text: str) -> float:
    """A quality level: a number from 1 to 8 (hundredths are kept)."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 1 <= value <= MAX_QUALITY:
        raise argparse.ArgumentTypeError(f"quality must be a number from 1 to {MAX_QUALITY}, not {text!r}")
    return value


def byte_size(text: str) -> int:
    """A size in bytes: 40000, 40k, 40kB, 40KiB."""
    from ..codec.budget import parse_size
    from ..errors import ParameterError

    try:
        return parse_size(text)
    except ParameterError as exc:
        raise argparse.ArgumentTypeError(f"{exc} (e.g. 40000, 40k or 40KiB)") from None
positive = integer(1, message="expected a positive integer, not {text!r}")


def at_least(smallest: int) -> Callable[[str], int]:
    return integer(smallest, message=f"expected a whole number of at least {smallest}, not {{text!r}}")


def fraction_below_half(text: str) -> float:
    """A significance level: a number strictly between 0 and 0.5."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 < value < 0.5:
        raise argparse.ArgumentTypeError(f"alpha must be a number between 0 and 0.5, not {text!r}")
    return value


# --- parent parsers ----------------------------------------------------------------------------

def _parent() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(add_help=False)


def secret_options(*, encrypting: bool) -> argparse.ArgumentParser:
    """--key-file | --password-file, then --recipient/--recipients-file (encrypting) or | --identity."""
    parser = _parent()
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument("--key-file", metavar="K", help="key file made by `securecomp keygen`")
    secret.add_argument("--password-file", metavar="F", help="read the password from the first line of F")
    if not encrypting:
        secret.add_argument("-i", "--identity", metavar="FILE",
                            help="identity file made by `securecomp keygen --x25519`")
        return parser
    parser.add_argument("-r", "--recipient", action="append", metavar="R",
                        help="encrypt to the public key R (scpub1...); repeatable, up to 32")
    parser.add_argument("-R", "--recipients-file", metavar="F", help="encrypt to the recipients in F, one per line")
    return parser


def codec_options() -> argparse.ArgumentParser:
    parser = _parent()
    parser.add_argument("--codec", metavar="ID", action=_CodecOption, help="image codec: %(codecs)s")
    parser.add_argument("--quality", type=quality, metavar="1..8",
                        help=f"quality level of lossy codecs, 8 is best; 3.5 lies between 3 and 4 "
                        f"(default: {DEFAULT_QUALITY})")
    parser.add_argument("--cipher", choices=SUITE_CHOICES, default=DEFAULT_SUITE,
                        help=f"cipher suite (default: {DEFAULT_SUITE})")
    return parser


def encoding_options() -> argparse.ArgumentParser:
    """--effort, --max-size and --keep-metadata of encrypt."""
    parser = _parent()
    parser.add_argument("--effort", choices=("default", "max"), default="default",
                        help="max: optimise the learned codec's latents for this image (fewer bits, ~1 min per "
                        "megapixel; the same decoder)")
    parser.add_argument("--max-size", type=byte_size, metavar="SIZE",
                        help="the highest quality whose container fits in SIZE bytes (40000, 40k, 40KiB); "
                        "instead of --quality")
    parser.add_argument("--keep-metadata", action="store_true",
                        help="also carry EXIF and XMP (camera, time, GPS); the ICC profile is always carried")
    return parser


class _CodecList:
    """The codec ids for a help text, looked up when the help is printed: the lookup registers every
    codec (the learned codec's module and Pillow's format plugins), which building a parser must not."""

    def __str__(self) -> str:
        from ..codec import codec_ids
        return f"{', '.join(codec_ids())} (default: {DEFAULT_CODEC}; png for 16-bit images)"


class _CodecOption(argparse.Action):
    """``--codec ID``: stores ID; its help's ``%(codecs)s`` is a :class:`_CodecList`."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, **kwargs)
        self.codecs = _CodecList()

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        setattr(namespace, self.dest, values)


def output_option(metavar: str, help: str) -> argparse.ArgumentParser:
    parser = _parent()
    parser.add_argument("-o", "--output", metavar=metavar, help=help)
    return parser


def legacy_option() -> argparse.ArgumentParser:
    parser = _parent()
    parser.add_argument("--allow-legacy", action="store_true",
                        help="also open format-1 containers (made before 0.2; not key-committing)")
    return parser


def force_option(what: str) -> argparse.ArgumentParser:
    parser = _parent()
    parser.add_argument("--force", action="store_true", help=f"overwrite {what} if it exists")
    return parser
