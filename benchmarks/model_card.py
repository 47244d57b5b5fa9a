"""Regenerate docs/codec.md, the learned codec's model card: `make model-card`.

Runs `securecomp bench` on Kodak and on the first --clic-limit images of val/clic2025 (unless
--results / --clic-results point at existing JSONs; --keep takes the named codecs' rows from the
committed docs/codec-*.json instead of running them again, e.g. the retired models' after a
retrain of the default one), then writes the card from the zoo manifest (architecture, data, steps, hardware,
wall time; the continuous model's training log per stage), the benchmarks (RD tables, BD-rates,
timings, RD plots) and the JSONs of benchmarks/codec_checks.py (continuous quality, effort, seams).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from securecomp.analysis import ratedistortion as bench  # noqa: E402
from securecomp.codec import zoo  # noqa: E402
from securecomp.codec.catalog import CONTINUOUS_MODEL, model_for  # noqa: E402
from securecomp.codec.learned import DEFAULT_MODEL  # noqa: E402

DOCS = ROOT / "docs"
KODAK = ROOT.parent / "shared" / "datasets" / "kodak"
CLIC = ROOT.parent / "shared" / "datasets" / "val" / "clic2025"
CONTINUOUS = CONTINUOUS_MODEL


def _codec_of(model: str) -> str:
    return "learned" if model == DEFAULT_MODEL else model


def training_rows() -> list[str]:
    rows = ["| model | quality | λ | width | params | steps: this run (all) | this run | started from | hardware "
            "| wall time: this run (all) | val PSNR / bpp |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for model_id, entries in zoo.manifest().items():
        if zoo.ALL_QUALITIES in entries:
            continue                                   # the continuous model: training_log()
        for quality, entry in sorted(entries.items(), key=lambda kv: int(kv[0])):
            model = model_for(model_id, int(quality))
            params = sum(p.numel() for p in model.parameters())
            total_wall = entry.get("total_wall_minutes", entry["wall_minutes"])
            rows.append(f"| {model_id} | {quality} | {entry['lambda']} | {_width(model)} | {params / 1e6:.2f} M "
                        f"| {entry['steps']} ({entry['total_steps']}) | {_recipe(entry)} | {entry['init']} "
                        f"| {entry['hardware']} "
                        f"| {entry['wall_minutes']:.0f} min ({total_wall:.0f} min) "
                        f"| {entry['val_psnr']:.2f} dB / {entry['val_bpp']:.3f} |")
    return rows


def training_log() -> list[str]:
    """The continuous model's stages: steps, wall time and validation (gb82) at each validated q."""
    entry = zoo.manifest().get(CONTINUOUS, {}).get(zoo.ALL_QUALITIES)
    if entry is None:
        return ["(not shipped)"]
    qualities = sorted({k[4:] for stage in entry["stages"] if stage["val"]
                        for k in stage["val"] if k.startswith("bpp@")}, key=float)
    rows = [f"Shipped file: {entry['file']} ({(zoo.WEIGHTS / entry['file']).stat().st_size / 1e6:.1f} MB, fp16), "
            f"{entry['total_steps']:,} steps and {entry['total_wall_minutes'] / 60:.1f} hours in all (hardware of "
            f"the last run: {entry['hardware']}).", "",
            "| stage (run) | steps | wall time | recipe | "
            + " | ".join(f"val q{q} bpp / dB" for q in qualities) + " |",
            "|---|---|---|---|" + "---|" * len(qualities)]
    for stage in entry["stages"]:
        val = stage["val"] or {}
        cells = [f"{val[f'bpp@{q}']:.3f} / {val[f'psnr@{q}']:.2f}" if f"bpp@{q}" in val else "–" for q in qualities]
        recipe = _recipe(stage["config"]) if stage["config"] else "per-quality model (below)"
        rows.append(f"| {stage['run']} | {stage['steps']:,} | {stage['wall_minutes']:.0f} min | {recipe} | "
                    + " | ".join(cells) + " |")
    return rows


def _recipe(entry: dict) -> str:
    """lr, crops per batch, and the training proxy where it is not plain noise (e.g. 3e-05, 2×256², mixed)."""
    parts = [entry["change"]] if entry.get("change") else []
    parts += [f"{entry['lr']:g}", f"{entry['batch_size']}×{entry['crop']}²"]
    if entry.get("quantization", "noise") != "noise":
        parts.append(entry["quantization"])
    if entry.get("latent_gain", 1) != 1:
        parts.append(f"gain {entry['latent_gain']:g}")
    if entry.get("ema"):
        parts.append(f"EMA {entry['ema']:g}")
    if entry.get("precision") not in (None, "auto", "float32"):
        parts.append(entry["precision"])
    if entry.get("threads"):
        parts.append(f"{entry['threads']} thread{'s' * (entry['threads'] > 1)}")
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


def card(kodak: dict, clic: dict | None) -> str:
    parts = [(DOCS / "codec-intro.md").read_text().rstrip(), "",
             f"## Training log of the continuous-rate model ({CONTINUOUS})", "", *training_log(), "",
             "## Training of the per-quality models (the baseline)", "", *training_rows(), "",
             *results_section(f"Kodak results ({len(kodak['images'])} images, real bytes)", kodak, "codec-rd.png"),
             "Regenerate: `make model-card` (runs `securecomp bench --dataset ../shared/datasets/kodak`).", ""]
    if clic is not None:
        parts += results_section(f"Large photos: val/clic2025 ({len(clic['images'])} images of about 2048 px, "
                                 "never trained on)", clic, "codec-rd-clic2025.png")
    parts += checks_section()
    return "\n".join(parts)


def results_section(title: str, summary: dict, plot_name: str) -> list[str]:
    return [f"## {title}", "", f"![rate-distortion]({plot_name})", "",
            "BD-rate (negative: fewer bits than the anchor for the same PSNR; PCHIP, overlapping range):", "",
            *bd_rows(summary), "", *rd_rows(summary), ""]


def checks_section() -> list[str]:
    """Continuous quality, effort, seams and the context, from benchmarks/codec_checks.py's JSONs (where run)."""
    parts = []
    continuous = _read_json("codec-continuous.json")
    if continuous:
        parts += ["## Continuous quality (benchmarks/codec_checks.py continuous)", "",
                  "| quality | " + " | ".join(f"{name} bpp / dB" for name in continuous["images"]) + " |",
                  "|---|" + "---|" * len(continuous["images"])]
        columns = list(continuous["images"].values())
        for i, row in enumerate(columns[0]):
            cells = [f"{column[i]['bpp']:.4f} / {column[i]['psnr']:.2f}" for column in columns]
            parts.append(f"| {row['quality']:g} | " + " | ".join(cells) + " |")
        parts.append("")
    effort = _read_json("codec-effort.json")
    if effort:
        parts += ["## Effort (benchmarks/codec_checks.py effort)", "",
                  f"Images: {', '.join(effort['images'])}; mean per quality. BD-rate of effort=max against the "
                  f"default: {_percent(effort['bd_rate_max_vs_default'])}.", "",
                  "| effort | quality | bpp | PSNR (dB) | encode s |", "|---|---|---|---|---|"]
        for level, rows in effort["curves"].items():
            parts += [f"| {level} | {r['quality']} | {r['bpp']:.4f} | {r['psnr']:.2f} | {r['encode_s']:.1f} |"
                      for r in rows]
        parts.append("")
    seams = _read_json("codec-seams.json")
    if seams:
        parts += ["## Tile edges (benchmarks/codec_checks.py seams)", "",
                  f"{seams['image']}, quality {seams['quality']}: the largest jump of the coding error across a row "
                  "or column that is a multiple of 16, over the median jump across the 16 lines around it.", "",
                  "| model | largest ratio | where |", "|---|---|---|"]
        parts += [f"| {model} | {r['max_ratio']:.2f} | {r['where']} |" for model, r in seams["result"].items()]
        parts.append("")
    context = _read_json("codec-context.json")
    if context:
        variants = list(context["curves"])
        parts += ["## Checkerboard context (benchmarks/codec_checks.py context)", "",
                  f"{context['model']} on {context['images']}, mean per quality, coded with the context and with its "
                  "correction switched off (the same weights coding as a plain mean-scale hyperprior). BD-rate of the "
                  f"context against none: {_percent(context['bd_rate_context_vs_none'])}. Both variants run the "
                  "context (switched off, its correction is zero), so their decoding times match. Once h_s has trained "
                  "beside the context, switching it off measures how much the model relies on it, not what it gains "
                  "over a mean-scale model trained as long (session 9, 9,000 steps into the context: -1.3 %).", "",
                  "| quality | " + " | ".join(f"{v}: bpp / dB / decode s" for v in variants) + " |",
                  "|---|" + "---|" * len(variants)]
        for i, row in enumerate(context["curves"][variants[0]]):
            cells = [f"{c[i]['bpp']:.4f} / {c[i]['psnr']:.2f} / {c[i]['decode_s']:.2f}"
                     for c in context["curves"].values()]
            parts.append(f"| {row['quality']} | " + " | ".join(cells) + " |")
        parts.append("")
    return parts


def _read_json(name: str) -> dict | None:
    path = DOCS / name
    return json.loads(path.read_text()) if path.exists() else None


def merge(summaries: list[dict]) -> dict:
    """One summary from runs over the same images (codecs or qualities split between runs); where
    two runs hold the same codec and quality, the later one's row stands."""
    if any(s["images"] != summaries[0]["images"] for s in summaries):
        raise SystemExit("the bench results cover different images")
    rows: dict[str, dict[float, dict]] = {}
    for summary in summaries:
        for codec, codec_rows in summary["results"].items():
            rows.setdefault(codec, {}).update((row["quality"], row) for row in codec_rows)
    results = {codec: [by_quality[q] for q in sorted(by_quality)] for codec, by_quality in rows.items()}
    return {"images": summaries[0]["images"], "results": results, "bd_rate": bench.bd_table(results)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", nargs="+", help="reuse these Kodak bench JSONs (merged) instead of running")
    parser.add_argument("--clic-results", nargs="+", help="reuse these val/clic2025 bench JSONs (merged)")
    parser.add_argument("--keep", nargs="+", default=[], metavar="CODEC",
                        help="take these codecs' rows from the committed docs/codec-*.json, not a new run")
    parser.add_argument("--dataset", default=str(KODAK))
    parser.add_argument("--clic-limit", type=int, default=4, help="the first N images of val/clic2025 (default 4)")
    parser.add_argument("--no-clic", action="store_true", help="leave out the val/clic2025 run")
    args = parser.parse_args()
    learned = ["learned", *(_codec_of(m) for m in zoo.manifest() if m != DEFAULT_MODEL)]
    kodak = _summary(args.results, bench.dataset_images(args.dataset), [*learned, *bench.ANCHORS],
                     args.keep, DOCS / "codec-kodak.json")
    bench.write(kodak, DOCS / "codec-kodak.json")
    bench.plot(kodak, DOCS / "codec-rd.png", title="Kodak")
    clic = None
    if not args.no_clic and (args.clic_results or CLIC.is_dir()):
        clic = _summary(args.clic_results, bench.dataset_images(CLIC)[: args.clic_limit],
                        [_codec_of(CONTINUOUS), *bench.ANCHORS], args.keep, DOCS / "codec-clic2025.json")
        bench.write(clic, DOCS / "codec-clic2025.json")
        bench.plot(clic, DOCS / "codec-rd-clic2025.png", published=False, title="val/clic2025")
    (DOCS / "codec.md").write_text(card(kodak, clic))
    print(f"wrote {DOCS / 'codec.md'}")


def _summary(results: list[str] | None, images: list[Path], codecs: list[str], keep: list[str],
             committed: Path) -> dict:
    """The bench summary: the given JSONs merged, or a run of ``codecs`` over ``images``; the
    ``keep`` codecs' rows come from the ``committed`` summary (which must cover the same images)."""
    if results:
        return merge([json.loads(Path(p).read_text()) for p in results])
    kept: list[dict] = []
    if keep:
        old = json.loads(committed.read_text())
        kept = [{"images": old["images"], "results": {c: old["results"][c] for c in keep if c in old["results"]}}]
    ran = bench.run(images, [c for c in codecs if c not in keep], list(range(1, 9)))
    return merge(kept + [ran])


if __name__ == "__main__":
    main()
