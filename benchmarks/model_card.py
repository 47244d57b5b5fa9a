"""Regenerate docs/codec.md, the learned codec's model card: `make model-card`.

Runs `securecomp bench` on Kodak (unless --results points at an existing JSON), then writes the
card from the zoo manifest (architecture, data, steps, hardware, wall time per quality) and the
benchmark (RD table, BD-rates, timings, RD plot beside CompressAI's published curves).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from securecomp.codec import bench, zoo  # noqa: E402
from securecomp.codec.learned import DEFAULT_MODEL  # noqa: E402
from securecomp.codec.models import model_for  # noqa: E402

DOCS = ROOT / "docs"
KODAK = ROOT.parent / "shared" / "datasets" / "kodak"


def training_rows() -> list[str]:
    rows = ["| model | quality | λ | width | params | steps: this run (all) | this run | started from | hardware "
            "| wall time: this run (all) | val PSNR / bpp |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for model_id, entries in zoo.manifest().items():
        for quality, entry in sorted(entries.items(), key=lambda kv: int(kv[0])):
            model = model_for(model_id, int(quality))
            params = sum(p.numel() for p in model.parameters())
            total_wall = entry.get("total_wall_minutes", entry["wall_minutes"])
            rows.append(f"| {model_id} | {quality} | {entry['lambda']} | {_width(model)} | {params / 1e6:.2f} M "
                        f"| {entry['steps']} ({entry['total_steps']}) | {_recipe(entry)} | {entry['init']} | {entry['hardware']} "
                        f"| {entry['wall_minutes']:.0f} min ({total_wall:.0f} min) "
                        f"| {entry['val_psnr']:.2f} dB / {entry['val_bpp']:.3f} |")
    return rows


def _recipe(entry: dict) -> str:
    """lr, crops per batch, and the training proxy where it is not plain noise (e.g. 3e-05, 2×256², mixed)."""
    parts = [f"{entry['lr']:g}", f"{entry['batch_size']}×{entry['crop']}²"]
    if entry.get("quantization", "noise") != "noise":
        parts.append(entry["quantization"])
    if entry.get("latent_gain", 1) != 1:
        parts.append(f"gain {entry['latent_gain']:g}")
    if entry.get("ema"):
        parts.append(f"EMA {entry['ema']:g}")
    return ", ".join(parts)


def _width(model) -> str:
    """N/M for the convolutional models, hidden/latent for the block MLP."""
    return f"{model.N}/{model.M}" if hasattr(model, "N") else f"{model.g_a[1].out_channels}/{model.M}"


def rd_rows(summary: dict) -> list[str]:
    rows = ["| codec | quality | bpp | PSNR (dB) | MS-SSIM | encode s | decode s |", "|---|---|---|---|---|---|---|"]
    for codec, points in summary["results"].items():
        for p in points:
            ms = f"{p['ms_ssim']:.4f}" if "ms_ssim" in p else "–"
            rows.append(f"| {codec} | {p['quality']} | {p['bpp']:.3f} | {p['psnr']:.2f} | {ms} "
                        f"| {p['encode_s']:.3f} | {p['decode_s']:.3f} |")
    return rows


def bd_rows(summary: dict) -> list[str]:
    anchors = [a for a in bench.ANCHORS if a in summary["results"]]
    rows = ["| codec | " + " | ".join(f"vs {a}" for a in anchors) + " |", "|---" * (len(anchors) + 1) + "|"]
    for codec, table in summary["bd_rate"].items():
        cells = [_percent(table.get(a)) for a in anchors]
        rows.append(f"| {codec} | " + " | ".join(cells) + " |")
    for name, points in bench.PUBLISHED.items():      # published curves against our anchor runs
        cells = [_percent(bench.bd_rate(bench.curve(summary["results"][a]), points)) for a in anchors]
        rows.append(f"| {name} (published) | " + " | ".join(cells) + " |")
    return rows


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1f} %"


def card(summary: dict, plot_name: str) -> str:
    parts = [(DOCS / "codec-intro.md").read_text().rstrip(), "",
             "## Training, per quality", "", *training_rows(), "",
             f"## Kodak results ({len(summary['images'])} images, real bytes)", "",
             f"![rate-distortion]({plot_name})", "",
             "BD-rate (negative: fewer bits than the anchor for the same PSNR; PCHIP, overlapping range):", "",
             *bd_rows(summary), "", *rd_rows(summary), "",
             "Regenerate: `make model-card` (runs `securecomp bench --dataset ../shared/datasets/kodak`).", ""]
    return "\n".join(parts)


def merge(summaries: list[dict]) -> dict:
    """One summary from runs over the same images (codecs or qualities split between runs)."""
    if any(s["images"] != summaries[0]["images"] for s in summaries):
        raise SystemExit("the bench results cover different images")
    results: dict[str, list[dict]] = {}
    for summary in summaries:
        for codec, rows in summary["results"].items():
            results[codec] = sorted(results.get(codec, []) + rows, key=lambda row: row["quality"])
    return {"images": summaries[0]["images"], "results": results, "bd_rate": bench.bd_table(results)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", nargs="+", help="reuse these bench JSONs (merged) instead of running")
    parser.add_argument("--dataset", default=str(KODAK))
    args = parser.parse_args()
    results = DOCS / "codec-kodak.json"
    if args.results:
        summary = merge([json.loads(Path(p).read_text()) for p in args.results])
    else:
        learned = ["learned", *(m for m in zoo.manifest() if m != DEFAULT_MODEL)]
        summary = bench.run(bench.dataset_images(args.dataset), [*learned, *bench.ANCHORS], list(range(1, 9)))
    bench.write(summary, results)
    bench.plot(summary, DOCS / "codec-rd.png")
    (DOCS / "codec.md").write_text(card(summary, "codec-rd.png"))
    print(f"wrote {DOCS / 'codec.md'}")


if __name__ == "__main__":
    main()
