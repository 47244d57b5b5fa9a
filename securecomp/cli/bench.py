"""``securecomp bench``: the command line of :mod:`securecomp.analysis.ratedistortion`.

The evaluation (and with it scipy, matplotlib and the learned codec) loads only when the command
runs, not when the parser is built.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from .options import positive, quality

if TYPE_CHECKING:
    from .options import Subparsers

__all__ = ["add_parser", "run_bench"]


def add_parser(commands: Subparsers) -> None:
    command = commands.add_parser("bench", help="rate-distortion benchmark of the codecs on a dataset",
                                  description="bpp from real bytes, RGB PSNR (and MS-SSIM), BD-rate "
                                  "against the classical anchors, seconds; JSON and an RD plot.")
    command.add_argument("--dataset", required=True, help="folder of PNG/JPEG images (e.g. Kodak)")
    command.add_argument("--codecs", nargs="+", metavar="ID",
                         help="codec ids (default: learned and the classical anchors jpeg, jpeg2000, webp, avif)")
    command.add_argument("--qualities", nargs="+", type=quality, default=list(range(1, 9)), metavar="Q",
                         help="qualities, real numbers from 1 to 8 (default: 1 2 ... 8)")
    command.add_argument("--limit", type=positive, help="use only the first N images")
    command.add_argument("-o", "--output", default="bench.json", help="JSON results (default %(default)s)")
    command.add_argument("--plot", help="RD plot PNG (default: beside the JSON)")
    command.set_defaults(run=run_bench)


def run_bench(args: argparse.Namespace) -> int:
    from ..analysis.ratedistortion import ANCHORS, dataset_images, plot, run, write  # scipy, matplotlib

    images = dataset_images(args.dataset)[: args.limit]
    summary = run(images, args.codecs or ["learned", *ANCHORS], args.qualities)
    write(summary, args.output)
    plot(summary, args.plot or str(Path(args.output).with_suffix(".png")))
    for codec, anchors in summary["bd_rate"].items():
        shown = ", ".join(f"{a} {v:+.1f} %" for a, v in anchors.items() if v is not None)
        print(f"{codec:15s} BD-rate: {shown or 'n/a'}")
    return 0
