"""`securecomp report IMAGE [IMAGE...] --key-file K -o report.html [--json out.json]`.

Everything is checked before
the long work starts (outputs writable, key file valid, every image readable and large enough),
so a mistake costs a second, not a minute; failures print ``error:``/``hint:`` lines and leave no
output file. Heavy modules load only when the command runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError
from .io import check_output, image_input, read_key, write_output
from .options import at_least, fraction_below_half

if TYPE_CHECKING:
    import numpy as np
    from tqdm import tqdm

    from .options import Subparsers

__all__ = ["add_parser", "run_report"]

DESCRIPTION = ("Measure compression (bpp, PSNR, SSIM, MS-SSIM) and the ChaosCipher layer (NPCR/UACI pass "
               "rates with the nonce held fixed, entropy, local entropy, correlation, histogram, NIST SP800-22, "
               "wrong-key decryption) on each image, and write one self-contained HTML page. These are "
               "statistical checks, not proofs of security.")
STEPS_PER_IMAGE = 5            # compression, statistics, differential tests, wrong key, figures


def add_parser(commands: Subparsers) -> None:
    """Add the ``report`` subcommand to ``commands`` (the object ``add_subparsers`` returned)."""
    command = commands.add_parser("report", help="evaluate compression and encryption on images; write an HTML report",
                                  description=DESCRIPTION)
    command.add_argument("images", nargs="+", metavar="IMAGE", help="image files (8-bit L, RGB or RGBA)")
    command.add_argument("-o", "--output", required=True, metavar="HTML", help="the report (self-contained HTML)")
    command.add_argument("--json", metavar="FILE", help="also write every number as JSON")
    command.add_argument("--key-file", metavar="K",
                         help="key file from `securecomp keygen`; default: a fresh random key")
    _add_settings(command)
    command.add_argument("--force", action="store_true", help="overwrite existing output files")
    command.add_argument("--quiet", action="store_true", help="no progress bar")
    command.set_defaults(run=run_report)


def _add_settings(command: argparse.ArgumentParser) -> None:
    command.add_argument("--trials", type=at_least(1), default=100, metavar="N",
                         help="trials per NPCR/UACI experiment (default: 100)")
    command.add_argument("--alpha", type=fraction_below_half, default=0.05, metavar="A",
                         help="significance level of the image tests (default: 0.05)")
    command.add_argument("--seed", type=at_least(0), metavar="S",
                         help="seed for nonces, positions and key bits (default: random, recorded in the report)")
    command.add_argument("--nist-sequences", type=at_least(0), default=10, metavar="N",
                         help="NIST SP800-22 sequences of ciphertext (default: 10; 0 skips; "
                              "55 or more add the uniformity rule)")
    command.add_argument("--nist-bits", type=at_least(1000), default=1_000_000, metavar="N",
                         help="bits per NIST sequence (default: 1000000, as SP800-22 recommends)")
    command.add_argument("--codec", metavar="ID", help="codec for the compression results (default: the default codec)")
    command.add_argument("--quality", type=at_least(1), action="append", metavar="Q",
                         help="quality level 1..8; repeat for several (default: the codec's default)")


def run_report(args: argparse.Namespace) -> int:
    _check_outputs(args)
    _check_codec(args.codec, args.quality or ())
    key, key_source = _key(args.key_file)
    images = [_load(path) for path in args.images]
    from ..analysis.rendering import report_html
    from ..analysis.report import ReportSettings, build_report, report_json
    settings = ReportSettings(trials=args.trials, alpha=args.alpha, seed=args.seed,
                              nist_sequences=args.nist_sequences, nist_sequence_length=args.nist_bits,
                              codec=args.codec, qualities=tuple(args.quality or (None,)))
    with _progress(len(images), args) as bar:
        report = build_report(images, key=key, settings=settings, progress=lambda step: _advance(bar, step),
                              key_source=key_source)
    write_output(args.output, report_html(report).encode("utf-8"), force=args.force)
    if args.json:
        write_output(args.json, report_json(report).encode("utf-8"), force=args.force)
    print(f"wrote {args.output}: {report.data['verdict']['headline']}", file=sys.stderr)
    return 0


def _check_outputs(args: argparse.Namespace) -> None:
    check_output(args.output, force=args.force)
    if args.json is None:
        return
    check_output(args.json, force=args.force)
    if Path(args.json).resolve() == Path(args.output).resolve():
        raise UsageError("--json and -o name the same file", hint="give the JSON its own file name")


def _check_codec(codec: str | None, qualities: Iterable[int]) -> None:
    from ..codec.bitstream import check_quality
    from ..codec.registry import check_codec_choice

    check_codec_choice(codec)
    for quality in qualities:
        check_quality(quality)


def _key(key_file: str | None) -> tuple[bytes, str]:
    if key_file is None:
        from ..keys import generate_key
        return generate_key(), "a fresh random key (no --key-file)"
    return read_key(Path(key_file)), f"key file {Path(key_file).name}"


def _load(path: str) -> tuple[str, np.ndarray]:
    from ..analysis.report import check_report_image
    from ..images import image_to_array
    if path == "-":
        raise UsageError("the report reads images from files, not stdin", hint="give the image file names")
    pixels = image_to_array(image_input(path))
    check_report_image(path, pixels)
    return path, pixels


def _progress(images: int, args: argparse.Namespace) -> tqdm:
    from tqdm import tqdm
    total = images * (STEPS_PER_IMAGE + args.nist_sequences)
    return tqdm(total=total, desc="report", unit="step", file=sys.stderr, disable=True if args.quiet else None,
                dynamic_ncols=True)


def _advance(bar: tqdm, step: str) -> None:
    bar.set_postfix_str(step, refresh=False)
    bar.update(1)
