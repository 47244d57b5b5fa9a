"""The results table of docs/security.md: ChaosCipher on scikit-image samples and the Kodak images.

Per image: statistics of the cipher image (ChaosCipher on the raw samples) and NPCR/UACI pass
rates over --trials trials of each differential experiment (one sample ±1, one key bit; the nonce
held fixed within each pair, a fresh nonce per trial). Pooled over all images: the pass counts with
their binomial judgement, the single-image tests against the failures chance explains, wrong-key
decryption, and the NIST SP800-22 battery over --nist-sequences sequences of ChaosCipher output.

    python benchmarks/security_table.py                       # print the Markdown
    python benchmarks/security_table.py --write docs/security.md   # replace the Results section

Kodak comes from ../shared/datasets/kodak (or --kodak DIR) and is left out when absent. Every
number in the Results section of docs/security.md comes from this script.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from scipy.stats import binom  # noqa: E402

from securecomp import __version__  # noqa: E402
from securecomp.analysis import nist  # noqa: E402
from securecomp.analysis.passrate import pass_rate  # noqa: E402
from securecomp.analysis.report import image_statistics  # noqa: E402
from securecomp.analysis.sensitivity import cipher_image, sensitivity_experiments, wrong_key_decryption  # noqa: E402
from securecomp.hazmat.chaos import ChaosCipher  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_KODAK = REPO.parent / "shared" / "datasets" / "kodak"
SKIMAGE_SAMPLES = ("camera", "moon", "astronaut", "coffee")
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
ALPHA = 0.05


def load_images(kodak: Path) -> list[tuple[str, np.ndarray]]:
    from skimage import data

    from securecomp.images import image_to_array
    images = [(f"skimage {name}", np.ascontiguousarray(getattr(data, name)())) for name in SKIMAGE_SAMPLES]
    if kodak.is_dir():
        images += [(path.stem, image_to_array(path)) for path in sorted(kodak.glob("kodim*.png"))]
    return images


def measure(name: str, image: np.ndarray, key: bytes, trials: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    encrypted = cipher_image(image, key=key, nonce=rng.bytes(16))
    statistics = image_statistics(encrypted, alpha=ALPHA, seed=int(rng.integers(2**63)))
    experiments = sensitivity_experiments(None, image, key=key, trials=trials, alpha=ALPHA,
                                          seed=int(rng.integers(2**63)))
    wrong = wrong_key_decryption(None, image, key=key, trials=3, seed=int(rng.integers(2**63)))
    return {"name": name, "shape": image.shape, "statistics": statistics, "experiments": experiments, "wrong": wrong}


def single_image_failures(row: dict) -> int:
    statistics = row["statistics"]
    failures = (not statistics["local_entropy"]["passed"]) + (not statistics["histogram"]["passed"])
    return failures + sum(abs(c["all_pairs"]) >= c["critical"] for c in statistics["correlation"].values())


def image_row(row: dict) -> str:
    statistics, experiments = row["statistics"], row["experiments"]
    correlation = " / ".join(f"{c['all_pairs']:+.4f}" for c in statistics["correlation"].values())
    rates = [f"{r.passes}" for e in experiments.values() for r in (e.npcr_rate, e.uaci_rate)]
    size = "x".join(str(v) for v in (row["shape"][1], row["shape"][0], *row["shape"][2:]))
    return (f"| {row['name']} | {size} | {statistics['entropy']:.5f} | {statistics['local_entropy']['value']:.5f}"
            f"{'' if statistics['local_entropy']['passed'] else ' ✗'} | {statistics['histogram']['statistic']:.1f}"
            f"{'' if statistics['histogram']['passed'] else ' ✗'} | {correlation} | "
            f"{experiments['plaintext'].npcr.mean():.4f} / {experiments['plaintext'].uaci.mean():.4f} | "
            f"{' / '.join(rates)} |")


def pooled_rows(rows: list[dict], trials: int) -> list[str]:
    lines = []
    for change in ("plaintext", "key"):
        for statistic in ("npcr", "uaci"):
            passes = sum(getattr(row["experiments"][change], f"{statistic}_rate").passes for row in rows)
            rate = pass_rate(passes, trials * len(rows), ideal=1 - ALPHA)
            lines.append(f"| {change} sensitivity, {statistic.upper()} | {passes} / {rate.trials} "
                         f"({100 * rate.rate:.2f} %) | P(≤) = {rate.p_low:.3f}, P(≥) = {rate.p_high:.3f} | "
                         f"{rate.verdict} |")
    checks = 5 * len(rows)
    failed = sum(single_image_failures(row) for row in rows)
    allowed = int(binom.ppf(0.99, checks, ALPHA))
    verdict = "consistent" if failed <= allowed else "finding"
    lines.append(f"| single-image tests (local entropy, χ², 3 correlations) | {failed} failed of {checks} | "
                 f"expected {ALPHA * checks:.1f}, chance allows ≤ {allowed} | {verdict} |")
    return lines


def wrong_key_line(rows: list[dict]) -> str:
    npcr = np.concatenate([row["wrong"].npcr for row in rows])
    similarity = np.concatenate([row["wrong"].ssim for row in rows])
    refused = all(outcome["refused"] for row in rows for outcome in row["wrong"].pipeline.values())
    return (f"Decryption with a key one bit off: raw ChaosCipher output differs from the original in "
            f"{npcr.mean():.4f} % of samples on average (noise: 99.6094 %), mean SSIM {similarity.mean():+.4f}; "
            f"securecomp.decrypt {'refused every' if refused else 'did NOT refuse every'} such attempt "
            f"({3 * len(rows)} attempts, suites chaos+aes, aes, chaos) with DecryptionError.")


def nist_lines(images: list[tuple[str, np.ndarray]], key: bytes, sequences: int, seed: int) -> list[str]:
    rng, chunks, needed, have = np.random.default_rng(seed), [], sequences * 1_000_000, 0
    cipher = ChaosCipher(key)
    while have < needed:
        _, image = images[len(chunks) % len(images)]
        chunks.append(cipher.encrypt(image.tobytes(), nonce=rng.bytes(16)))
        have += 8 * len(chunks[-1])
    battery = nist.nist_battery(nist.bits_from_bytes(b"".join(chunks))[:needed])
    low, high = nist.proportion_interval(sequences)
    lines = [f"NIST SP800-22 rev1a, α = 0.01, {sequences} sequences of 10^6 bits of ChaosCipher output "
             f"(the images above in turn, fresh nonces); proportion range [{low:.4f}, {high:.4f}]"
             f"{', uniformity from 55 sequences on' if sequences >= 55 else ''}:", "",
             "| test | lowest proportion | lowest uniformity P | failing rows (chance allows) | result |",
             "|---|---|---|---|---|"]
    for test in battery.tests:
        proportions = [row.proportion for row in test.rows if row.applied]
        uniform = [row.uniformity for row in test.rows if row.uniformity is not None]
        result = {True: "pass", False: "FAIL", None: "skipped"}[test.passed]
        lines.append(f"| {test.title} | {min(proportions):.3f} | {f'{min(uniform):.4f}' if uniform else '—'} | "
                     f"{test.failing_rows} of {len(test.rows)} ({test.allowed_failures}) | {result} |")
    return lines


def markdown(rows: list[dict], nist_part: list[str], args, seconds: float) -> str:
    header = ("| image | size | entropy | local entropy | χ² | correlation H / V / D | mean NPCR / UACI (%) | "
              "passes: pt NPCR / pt UACI / key NPCR / key UACI |")
    parts = [BEGIN,
             f"Produced by `python benchmarks/security_table.py --trials {args.trials} --nist-sequences "
             f"{args.nist_sequences} --seed {args.seed}` (securecomp {__version__}, {time.strftime('%Y-%m-%d')}, "
             f"{seconds / 60:.1f} min on {os.cpu_count()} CPUs). ChaosCipher on the raw samples of each image, "
             f"one random key; α = {ALPHA}. Critical values: local entropy μ ± 1.96·σ/√30 "
             f"(7.89936–7.90558), χ² < 293.25, |r| < 1.96/√N for N adjacent pairs. NPCR/UACI: "
             f"{args.trials} trials per experiment, each with a fresh nonce shared by both images of its pair; "
             f"an ideal cipher passes each test in 95 % of trials. ✗ marks a failed single-image test.", "",
             header, "|" + "---|" * 8] + [image_row(row) for row in rows]
    parts += ["", "Pooled over all images (binomial test at 1 % on each side against the ideal rate):", "",
              "| check | passes | binomial | verdict |", "|---|---|---|---|"] + pooled_rows(rows, args.trials)
    parts += ["", wrong_key_line(rows), ""] + nist_part
    parts += ["", "These numbers say that ChaosCipher's output is not distinguishable from random data by these "
              "tests. They do not say that it is secure: see the sections above.", END]
    return "\n".join(parts) + "\n"


def write_section(path: Path, text: str) -> None:
    document = path.read_text(encoding="utf-8")
    if BEGIN in document and END in document:
        before, rest = document.split(BEGIN, 1)
        document = before + text.rstrip("\n") + rest.split(END, 1)[1]
    else:
        document = document.rstrip("\n") + "\n\n## Results\n\n" + text
    path.write_text(document, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--nist-sequences", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2011)
    parser.add_argument("--kodak", type=Path, default=DEFAULT_KODAK)
    parser.add_argument("--write", type=Path, help="replace the Results section of this Markdown file")
    args = parser.parse_args()
    start = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    key, images = rng.bytes(32), load_images(args.kodak)
    rows = []
    for index, (name, image) in enumerate(images):
        rows.append(measure(name, image, key, args.trials, args.seed + index))
        print(f"{index + 1}/{len(images)} {name}", file=sys.stderr)
    nist_part = nist_lines(images, key, args.nist_sequences, args.seed) if args.nist_sequences else []
    text = markdown(rows, nist_part, args, time.perf_counter() - start)
    if args.write:
        write_section(args.write, text)
    print(text)


if __name__ == "__main__":
    main()
