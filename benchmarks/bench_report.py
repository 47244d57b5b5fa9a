"""Speed of the security-evaluation report (issue 4's targets), best of --repeat runs.

1. the full report (HTML included) for one 512 x 512 image, NIST battery excluded: target < 10 s;
2. the NIST SP800-22 battery (all fifteen tests) over 10^6 bits: target < 60 s.

Usage: ``python benchmarks/bench_report.py [--image astronaut|camera|PATH] [--repeat 3] [--json out.json]``.
The report time includes figures and HTML, not the Python start-up and imports.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from securecomp.analysis.compression import best_seconds  # noqa: E402
from securecomp.analysis.nist import bits_from_bytes, nist_battery  # noqa: E402
from securecomp.analysis.rendering import report_html  # noqa: E402
from securecomp.analysis.report import ReportSettings, build_report  # noqa: E402

REPORT_TARGET_S = 10.0
NIST_TARGET_S = 60.0


def load_image(name: str) -> np.ndarray:
    if name in ("astronaut", "camera"):
        from skimage import data
        return getattr(data, name)()
    from securecomp.images import image_to_array
    return image_to_array(name)



def report_seconds(image: np.ndarray, repeat: int) -> float:
    settings = ReportSettings(nist_sequences=0, seed=1)
    key = os.urandom(32)
    return best_seconds(lambda: report_html(build_report([("image", image)], key=key, settings=settings)), repeat)


def nist_seconds(repeat: int) -> float:
    bits = bits_from_bytes(os.urandom(1_000_000 // 8))
    return best_seconds(lambda: nist_battery(bits, sequence_length=1_000_000), repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", default="astronaut", help="astronaut (512x512 RGB), camera (512x512 gray) or a path")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    image = load_image(args.image)
    result = {"image": args.image, "shape": list(image.shape), "repeat": args.repeat,
              "machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
              "report_seconds": report_seconds(image, args.repeat),
              "nist_seconds_per_million_bits": nist_seconds(args.repeat)}
    print(f"report, {args.image} {'x'.join(map(str, image.shape))}, no NIST: {result['report_seconds']:6.2f} s "
          f"(target < {REPORT_TARGET_S:.0f} s)")
    print(f"NIST battery, 10^6 bits:                  {result['nist_seconds_per_million_bits']:6.2f} s "
          f"(target < {NIST_TARGET_S:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
